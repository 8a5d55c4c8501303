"""What every runner shares: the unit of work (a chunk), its encoding, and the cache protocol.

A stage is run as a :class:`StageJob`: the backend to build (:class:`WorkerSpec`, plain data that
a remote worker can rebuild it from) and the stage's input cut into chunks, each encoded as
JSON-ready data. :func:`run_chunk` turns one chunk's input into its output; the local runner calls
it in this process, the Ray runner in actors, so both produce the same bytes. :class:`Runner`
looks each chunk up in the :class:`~xproj.cache.StageCache` first and hands only the missing
ones to the subclass's :meth:`Runner._compute`, storing each result as soon as it arrives, so a
run killed at any point resumes with the chunks it finished.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj.cache import StageCache, stage_fingerprint
from xproj.errors import InputError, ParameterError, XprojError
from xproj.params import Component
from xproj.progress import Progress
from xproj.reported import Reported, merge_reports
from xproj.types import Alignment, LabelledSentence, Projection, Sentence

__all__ = [
    "Runner",
    "StageJob",
    "WorkerSpec",
    "decode_items",
    "encode_chunk",
    "run_chunk",
]


@dataclass(frozen=True)
class WorkerSpec:
    """How to build one stage's backend, as plain (picklable, JSON-ready) data.

    Attributes
    ----------
    slot
        ``"translator"``, ``"labeller"``, ``"aligner"`` or ``"projector"``.
    backend
        The registry name.
    params
        Constructor parameters as given in the config.
    batch_size
        Sentences per backend call within a chunk (None: the whole chunk at once).
    plugins
        Plugin modules/files to import before building (see ``RunConfig.plugins``).
    base_dir
        The folder relative plugin paths are resolved against.
    """

    slot: str
    backend: str
    params: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None
    plugins: tuple[str, ...] = ()
    base_dir: str = "."

    def build(self) -> Any:
        """Construct the backend (in this process)."""
        from xproj.config import StageSpec, build_component, import_plugins

        if self.plugins:
            import_plugins(self.plugins, self.base_dir)
        return build_component(self.slot, StageSpec(backend=self.backend, params=self.params))

    def fingerprint(self, component: Component | None = None) -> str:
        """A hash of the backend's full configuration (defaults included) and batch size."""
        from xproj.config import component_params

        built = component if component is not None else self.build()
        params = component_params(built)
        return stage_fingerprint(self.backend, params, slot=self.slot, batch_size=self.batch_size)


@dataclass
class StageJob:
    """One stage over a list of chunks.

    Attributes
    ----------
    title
        Shown in progress and logs, e.g. ``"align"`` or ``"project greedy"``.
    spec
        The backend.
    payloads
        One JSON-ready input per chunk (:func:`encode_chunk`).
    sizes
        Sentences per chunk.
    keys
        Cache keys, one per chunk.
    owners
        The dataset each chunk belongs to (for error messages).
    offsets
        The index of each chunk's first sentence in its dataset.
    """

    title: str
    spec: WorkerSpec
    payloads: list[dict[str, Any]]
    sizes: list[int]
    keys: list[str]
    owners: list[str] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def error(self, i: int, err: XprojError) -> XprojError:
        """``err`` (raised computing chunk ``i``) with the stage, dataset and sentence index."""
        owner = self.owners[i] if i < len(self.owners) else f"chunk {i}"
        where = f"{self.title}, dataset {owner}"
        if isinstance(err, InputError):
            offset = self.offsets[i] if i < len(self.offsets) else 0
            sentence = None if err.sentence is None else offset + err.sentence
            return InputError(
                f"{where}: {err.message}", path=err.path, line=err.line, sentence=sentence
            )
        return type(err)(f"{where}: {err}") if type(err) in _REBUILDABLE else err

    def __len__(self) -> int:
        return len(self.payloads)


_REBUILDABLE = (XprojError, ParameterError)


def encode_chunk(slot: str, **inputs: Any) -> dict[str, Any]:
    """The JSON-ready input of one chunk of stage ``slot``.

    translator: ``sentences``, ``tgt_lang``; labeller: ``sentences``; aligner: ``sources``,
    ``targets`` (sentences); projector: ``sources`` (labelled), ``targets``, ``alignments``.
    """
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, str):
            out[name] = value
        else:
            out[name] = [x.to_dict() for x in value]
    return out


#: The input columns of each stage's chunks and the type each decodes to (strings stay strings).
COLUMNS: dict[str, dict[str, Any]] = {
    "translator": {"sentences": Sentence, "tgt_lang": str},
    "labeller": {"sentences": Sentence},
    "aligner": {"sources": Sentence, "targets": Sentence},
    "projector": {"sources": LabelledSentence, "targets": Sentence, "alignments": Alignment},
    "refiner": {"targets": Sentence, "labels": LabelledSentence, "projections": Projection},
}
#: The type of each stage's output items.
OUTPUTS: dict[str, Any] = {
    "translator": Sentence,
    "labeller": LabelledSentence,
    "aligner": Alignment,
    "projector": Projection,
    "refiner": Projection,
}


def run_chunk(
    component: Any, slot: str, payload: dict[str, Any], batch_size: int | None
) -> dict[str, Any]:
    """Compute one chunk: decode ``payload``, call the backend in batches
    (:func:`~xproj.executor.call_stage`), encode the output (``{"items": [...], "report":
    {...}}``, the report merged over the batches)."""
    from xproj.executor import call_stage

    if slot not in COLUMNS:
        raise ValueError(f"unknown stage {slot!r}; expected one of {', '.join(COLUMNS)}")
    fixed = {k: payload[k] for k, t in COLUMNS[slot].items() if t is str}
    names = [k for k, t in COLUMNS[slot].items() if t is not str]
    lists = [[COLUMNS[slot][k].from_dict(d) for d in payload[k]] for k in names]
    out = _batched(
        lambda *cols: call_stage(component, slot, **fixed, **dict(zip(names, cols))),
        batch_size,
        *lists,
    )
    result: dict[str, Any] = {"items": [x.to_dict() for x in out.items]}
    if out.report:
        result["report"] = out.report
    return result


def run_chunk_or_error(
    component: Any, slot: str, payload: dict[str, Any], batch_size: int | None
) -> dict[str, Any]:
    """:func:`run_chunk`, but an xproj error comes back as ``{"error": {...}}`` data (so a
    remote worker reports it to the driver instead of failing, and it is not retried)."""
    try:
        return run_chunk(component, slot, payload, batch_size)
    except InputError as e:
        return {
            "error": {
                "kind": "InputError",
                "message": e.message,
                "path": e.path,
                "line": e.line,
                "sentence": e.sentence,
            }
        }
    except XprojError as e:
        return {"error": {"kind": type(e).__name__, "message": str(e)}}


def raise_chunk_error(job: StageJob, i: int, error: dict[str, Any]) -> None:
    """Raise the error a chunk's output carries, located in its stage and dataset."""
    if error.get("kind") == "InputError":
        err: XprojError = InputError(
            error["message"], path=error.get("path"), line=error.get("line"),
            sentence=error.get("sentence"),
        )  # fmt: skip
    elif error.get("kind") == "ParameterError":
        err = ParameterError(error["message"])
    else:
        err = XprojError(f"{error.get('kind')}: {error['message']}")
    raise job.error(i, err) from None


def decode_items(slot: str, result: dict[str, Any]) -> list[Any]:
    """The objects of a chunk's output (Sentence, LabelledSentence, Alignment, Projection)."""
    cls = OUTPUTS[slot]
    return [cls.from_dict(d) for d in result["items"]]


def _batched(fn: Any, batch_size: int | None, *columns: Sequence[Any]) -> Reported[Any]:
    n = len(columns[0])
    if batch_size is None or batch_size >= n:
        return Reported.of(fn(*columns))
    items: list[Any] = []
    report: dict[str, Any] = {}
    for i in range(0, n, batch_size):
        try:
            part = Reported.of(fn(*(c[i : i + batch_size] for c in columns)))
        except InputError as e:  # a sentence index in the batch -> in the chunk
            if e.sentence is None:
                raise
            raise InputError(e.message, path=e.path, line=e.line, sentence=e.sentence + i) from None
        items.extend(part.items)
        report = merge_reports(report, part.report)
    return Reported(items, report)


class Runner(ABC):
    """Runs stage jobs chunk by chunk, through the cache."""

    #: Shown in summaries.
    kind: str = ""

    def run_stage(
        self, job: StageJob, cache: StageCache, progress: Progress
    ) -> list[dict[str, Any]]:
        """The output of every chunk of ``job``, in order; cached chunks are not recomputed."""
        n = len(job)
        results: list[dict[str, Any] | None] = [None] * n
        slot = job.spec.slot
        with progress.stage(job.title, chunks=n, sentences=sum(job.sizes)) as bar:
            missing: list[int] = []
            for i in range(n):
                got = cache.get(slot, job.keys[i])
                if _valid(got, job.sizes[i]):
                    results[i] = got
                    bar.advance(job.sizes[i], cached=True)
                else:
                    missing.append(i)
            if missing:
                for i, result in self._compute(job, missing):
                    if "error" in result:
                        raise_chunk_error(job, i, result["error"])
                    if not _valid(result, job.sizes[i]):
                        raise RuntimeError(
                            f"{job.title}: chunk {i} came back with "
                            f"{len(result.get('items', ()))} items for {job.sizes[i]} sentences"
                        )
                    cache.put(slot, job.keys[i], result)
                    results[i] = result
                    bar.advance(job.sizes[i])
        if any(r is None for r in results):  # a runner bug, never the user's
            lost = [i for i, r in enumerate(results) if r is None]
            raise RuntimeError(f"{job.title}: chunks {lost} were never computed")
        return results  # type: ignore[return-value]

    @abstractmethod
    def _compute(self, job: StageJob, indices: list[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Compute the chunks ``indices`` of ``job``, yielding ``(index, output)`` as each ends."""

    def run_whole(self, task: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run a whole-dataset task (:data:`xproj.executor.WHOLE_TASKS`) once (here: in this
        process; the Ray runner overrides it to run a Ray task with the step's resources)."""
        from xproj.executor import WHOLE_TASKS

        return WHOLE_TASKS[task](payload)

    def close(self) -> None:  # noqa: B027 - a hook; runners that hold nothing keep it
        """Release what the runner holds (models, a Ray connection it opened)."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _valid(result: Any, size: int) -> bool:
    return (
        isinstance(result, dict)
        and isinstance(result.get("items"), list)
        and len(result["items"]) == size
    )
