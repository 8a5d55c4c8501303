"""The one executor: runs a flow's steps over datasets, step by step across all datasets.

``xproj run`` (:mod:`xproj.run`), :class:`xproj.Pipeline` and ``xproj project`` all run their
flow here; they differ only in the :class:`Backend` that computes a step:

- :mod:`xproj.run` hands chunked steps to a runner (in-process or Ray) through the stage cache,
  and whole-dataset steps to the runner as one task, cached under a fingerprint of all its
  input;
- :class:`xproj.Pipeline` calls its component objects directly, in memory
  (:class:`MemoryBackend`).

Which steps run for a dataset is the flow's :func:`~xproj.flows.plan`: a step whose output the
dataset gives is skipped. After the flow's own steps come the extra steps a config declares
(``[[steps]]``: refine, vote, train, selftrain, reproject, evaluate), in order. Steps run across all
datasets at once, so a model loads once per run.

Every step's report (:class:`~xproj.reported.Reported`) is kept per dataset under the step's
title (``"translate"``, ``"project greedy"``), for ``summary.json`` and the run report.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj._train_data import FILTERS, match_key
from xproj._train_data import _training_set as _training_set
from xproj.config import StageSpec, build_component
from xproj.ensemble import vote_spans
from xproj.flows import STEP_KINDS, Flow, Step, plan
from xproj.reported import Reported
from xproj.types import Alignment, LabelledSentence, ProjectedSpan, Projection, Sentence

__all__ = [
    "FILTERS",
    "INFERENCE_PARAMS",
    "Backend",
    "DatasetState",
    "Executor",
    "ExtraStep",
    "MemoryBackend",
    "as_projections",
    "call_stage",
    "match_key",
    "model_in_the_loop",
]


@dataclass(frozen=True)
class ExtraStep:
    """A step after the flow's own (``[[steps]]`` in a config).

    Attributes
    ----------
    kind
        ``"refine"``, ``"vote"``, ``"train"``, ``"selftrain"``, ``"reproject"`` or
        ``"evaluate"``.
    name
        The method its output is reported (and written) under; for ``train``, the model's
        folder name too.
    inputs
        The methods it reads: the projection to refine, the routes to vote over, the
        projection to train on; ``selftrain``, ``reproject`` and ``evaluate``: the train
        step whose model it applies, or, for ``evaluate``, nothing (then ``component`` is the
        labeller applied).
    component
        ``refine``: the refiner; ``evaluate`` without inputs: the labeller (a spec or an
        object, as the backend takes them); ``reproject``: the matching projector's
        :class:`~xproj.config.StageSpec` without candidates and scorer (None: ``greedy``).
    params
        ``vote``: ``min_votes``; ``train``: keyword arguments of
        :func:`xproj.label.train.train_labeller` (``model``, ``epochs``, ...); ``selftrain``:
        the same, ``model`` by default the model that labels the unlabelled sentences;
        ``evaluate``: ``splits``, the held-out splits labelled (default: all).
    pool
        ``train``, ``selftrain``: one model on all datasets' sentences together instead of
        one per dataset.
    mix
        ``train``, ``selftrain``: labelled sentences added to the training set (e.g.
        source-language gold).
    label_dataset
        ``train``, ``selftrain``: whether the trained model then labels each dataset's
        sentences (a method).
    filter
        ``train``: which projected sentences it trains on (:data:`FILTERS`): ``"none"`` (all),
        ``"complete"`` (every source entity was projected) or ``"complete+count"`` (and as
        many target spans as source entities).
    min_score
        ``train``: leave out a sentence with a projected span scored below this (the
        projector's span score, e.g. the heuristic projector's aligned fraction); None: no
        score filter. ``selftrain``: leave out an unlabelled sentence with a span the model
        scored below this.
    """

    kind: str
    name: str
    inputs: tuple[str, ...]
    component: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)
    pool: bool = False
    mix: tuple[LabelledSentence, ...] = ()
    label_dataset: bool = True
    filter: str = "none"
    min_score: float | None = None


@dataclass
class DatasetState:
    """One dataset as the steps fill it in.

    Attributes
    ----------
    name, lang
        From the config (or ``"data"`` and the call's language for a Pipeline).
    src_lang
        The language of the dataset's source side when it is not the executor's ``src_lang``
        (empty: the executor's).
    columns
        Column name -> one entry per sentence (``source``, ``input``, ``translations``,
        ``labels``, ``alignments``). A value may be a callable taking the state, resolved
        when first read (alignments read from a file need the sentences they align).
    given
        The columns the dataset gave (those steps are skipped).
    methods
        Method name -> one :class:`~xproj.types.Projection` per sentence (projectors,
        refiners) or :class:`~xproj.types.LabelledSentence` (votes, trained models).
    models
        ``train`` step name -> the trained model's folder.
    reports
        Step title -> what the step reported.
    computed
        The columns the steps computed.
    heldout
        Held-out gold sentences of the dataset's language by split name (not the dataset's
        own sentences): what ``evaluate`` steps label, and what ``train`` steps keep out of
        their training sets.
    evaluations
        ``evaluate`` step name -> split -> the held-out sentences as its model labelled them.
    origins
        ``(file number, pair index in that file)`` of each sentence when they were read from
        several files or chosen from them (``xproj run``'s ``sample``); empty otherwise.
    unlabelled
        Other sentences of the dataset's language, without labels: what ``selftrain`` steps
        have a trained model label and learn from (none given: empty).
    """

    name: str
    lang: str
    columns: dict[str, Any]
    given: frozenset[str]
    methods: dict[str, list[Any]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    computed: set[str] = field(default_factory=set)
    src_lang: str = ""
    heldout: dict[str, list[LabelledSentence]] = field(default_factory=dict)
    evaluations: dict[str, dict[str, list[LabelledSentence]]] = field(default_factory=dict)
    origins: list[tuple[int, int]] = field(default_factory=list)
    unlabelled: list[Sentence] = field(default_factory=list)

    def column(self, name: str) -> list[Any]:
        value = self.columns[name]
        if callable(value):
            value = self.columns[name] = value(self)
        return value  # type: ignore[no-any-return]


class Backend(ABC):
    """How a step is computed: chunk by chunk (:meth:`map`) or whole (:meth:`whole`)."""

    @abstractmethod
    def map(
        self, title: str, slot: str, component: Any, work: list[tuple[str, dict[str, Any]]]
    ) -> dict[str, Reported[Any]]:
        """Run ``component`` (stage ``slot``) over each ``(dataset, columns)``; the output and
        report per dataset."""

    @abstractmethod
    def whole(self, title: str, task: str, dataset: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run the whole-dataset ``task`` (a :data:`WHOLE_TASKS` name) on ``payload`` once."""


def call_stage(component: Any, slot: str, **columns: Any) -> Reported[Any]:
    """Call ``component`` as stage ``slot`` on one batch of decoded columns.

    translator: ``sentences``, ``tgt_lang``; labeller: ``sentences``; aligner: ``sources``,
    ``targets``; projector: ``sources``, ``targets``, ``alignments``; refiner: ``targets``,
    ``labels``, ``projections``.
    """
    if slot == "translator":
        return component.translate_reported(columns["sentences"], columns["tgt_lang"])  # type: ignore[no-any-return]
    if slot == "labeller":
        return component.label_reported(columns["sentences"])  # type: ignore[no-any-return]
    if slot == "aligner":
        return Reported(component.align(columns["sources"], columns["targets"]))
    if slot == "projector":
        return component.project_reported(  # type: ignore[no-any-return]
            columns["sources"], columns["targets"], columns["alignments"]
        )
    if slot == "refiner":
        return component.refine_reported(  # type: ignore[no-any-return]
            columns["targets"], columns["labels"], columns["projections"]
        )
    raise ValueError(f"unknown stage {slot!r}")


class MemoryBackend(Backend):
    """Calls component objects directly, in this process, without a cache (the Pipeline's)."""

    def map(
        self, title: str, slot: str, component: Any, work: list[tuple[str, dict[str, Any]]]
    ) -> dict[str, Reported[Any]]:
        if isinstance(component, StageSpec):  # a step's own component (a trained model's)
            component = build_component(slot, component)
        return {name: call_stage(component, slot, **cols) for name, cols in work}

    def whole(self, title: str, task: str, dataset: str, payload: dict[str, Any]) -> dict[str, Any]:
        return WHOLE_TASKS[task](payload)


def as_projections(labelled: Sequence[LabelledSentence], method: str) -> list[Projection]:
    """Labelled sentences as projections of their own spans (for methods that label)."""
    return [
        Projection.build(
            s.words,
            [
                ProjectedSpan(sp.start, sp.end, sp.label, k, sp.score, method)
                for k, sp in enumerate(s.spans)
            ],
            len(s.spans),
            s.lang,
        )
        for s in labelled
    ]


def _train_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Train a labeller on a whole dataset: ``payload`` holds ``train`` (encoded labelled
    sentences), ``output_dir`` and the keyword arguments of ``train_labeller``."""
    from xproj.label.train import train_labeller

    kwargs = dict(payload["params"])
    sentences = [LabelledSentence.from_dict(d) for d in payload["train"]]
    result = train_labeller(sentences, output_dir=payload["output_dir"], overwrite=True, **kwargs)
    info = result.to_dict()
    info.pop("seconds", None)  # the report must not depend on timing
    info.pop("output_dir", None)
    return {"model": payload["output_dir"], "report": info}


def _train_key(payload: dict[str, Any]) -> dict[str, Any]:
    """What a train task's result is cached under: its payload with every parameter of
    ``train_labeller`` in effect, defaults included, so that a changed default trains anew
    instead of returning a model trained under the old one."""
    from xproj.label.train import training_parameters

    return {**payload, "params": {**training_parameters(), **payload["params"]}}


#: Whole-dataset tasks by name: plain functions of JSON-ready payloads, so a remote worker
#: (a Ray task) runs them as the driver would.
WHOLE_TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"train": _train_task}

#: What each whole-dataset task's result is cached under (its payload where not listed).
WHOLE_KEYS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"train": _train_key}


#: The parameters of the flow's labeller that a trained model's labeller takes over: where and
#: how it runs (a config whose labeller runs on a GPU, in bfloat16, or with a given batch
#: size evaluates and re-projects with its trained models the same way), not what it labels.
INFERENCE_PARAMS = ("device", "dtype", "batch_size", "decoding")


class Executor:
    """Runs ``flow`` then ``extra`` steps over datasets through ``backend``.

    Parameters
    ----------
    flow
        The flow (:data:`xproj.flows.FLOWS`).
    components
        The components of the flow's stages, by ``[stages]`` slot: ``translator``,
        ``labeller``, ``aligner`` (a spec or an object, as the backend takes them), and
        ``projectors``: a list of ``(name, component)``.
    backend
        Computes the steps.
    src_lang
        The labelled language (what translate-test translates into).
    extra
        Steps after the flow's own.
    model_dir
        Where a ``train`` step's model folder goes: called with the dataset and step name
        (the dataset ``""`` for a model pooled over all datasets).
    """

    def __init__(
        self,
        flow: Flow,
        components: Mapping[str, Any],
        backend: Backend,
        *,
        src_lang: str = "en",
        extra: Sequence[ExtraStep] = (),
        model_dir: Callable[[str, str], str] | None = None,
    ) -> None:
        self.flow = flow
        self.components = components
        self.backend = backend
        self.src_lang = src_lang
        self.extra = tuple(extra)
        self.model_dir = model_dir

    # ------------------------------------------------------------------ the flow

    def run(self, datasets: Sequence[DatasetState]) -> list[DatasetState]:
        """Run every step each dataset needs, step by step across datasets."""
        plans = {d.name: plan(self.flow, d.given) for d in datasets}
        for step in self.flow.steps:
            todo = [d for d in datasets if step in plans[d.name]]
            if todo:
                _STEPS[step.kind](self, step, todo)
        for extra in self.extra:
            _EXTRA[extra.kind](self, extra, list(datasets))
        return list(datasets)

    def _map(
        self, title: str, slot: str, component: Any, work: list[tuple[DatasetState, dict[str, Any]]]
    ) -> dict[str, list[Any]]:
        out = self.backend.map(title, slot, component, [(d.name, cols) for d, cols in work])
        for d, _ in work:
            if out[d.name].report:
                d.reports[title] = out[d.name].report
        return {name: r.items for name, r in out.items()}

    def _translate(self, step: Step, todo: list[DatasetState]) -> None:
        work = [
            (
                d,
                {
                    "sentences": _sentences(d.column(step.reads[0])),
                    "tgt_lang": d.lang if step.into == "target" else d.src_lang or self.src_lang,
                },
            )
            for d in todo
        ]
        out = self._map("translate", "translator", self.components["translator"], work)
        for d in todo:
            d.columns[step.writes] = out[d.name]
            d.computed.add(step.writes)

    def _label(self, step: Step, todo: list[DatasetState]) -> None:
        work = [(d, {"sentences": d.column(step.reads[0])}) for d in todo]
        out = self._map("label", "labeller", self.components["labeller"], work)
        for d in todo:
            d.columns[step.writes] = out[d.name]
            d.computed.add(step.writes)

    def _align(self, step: Step, todo: list[DatasetState]) -> None:
        src, tgt = step.reads
        for d in todo:
            _check_parallel(d, src, tgt)
        work = [(d, {"sources": _sentences(d.column(src)), "targets": d.column(tgt)}) for d in todo]
        out = self._map("align", "aligner", self.components["aligner"], work)
        for d in todo:
            d.columns[step.writes] = out[d.name]
            d.computed.add(step.writes)

    def _project(self, step: Step, todo: list[DatasetState]) -> None:
        src, tgt = step.reads[:2]
        for d in todo:
            _check_parallel(d, src, tgt)
        for name, projector in self.components["projectors"]:
            work = [(d, _projection_columns(d, step.reads)) for d in todo]
            out = self._map(f"project {name}" if name else "project", "projector", projector, work)
            for d in todo:
                d.methods[name] = out[d.name]

    # ------------------------------------------------------------------ extra steps

    def _refine(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        labels, targets = self.flow.steps[-1].reads[:2]
        work = [
            (
                d,
                {
                    "targets": d.column(targets),
                    "labels": d.column(labels),
                    "projections": d.methods[step.inputs[0]],
                },
            )
            for d in todo
        ]
        out = self._map(f"refine {step.name}", "refiner", step.component, work)
        for d in todo:
            d.methods[step.name] = out[d.name]

    def _vote(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        min_votes = int(step.params.get("min_votes", 2))
        for d in todo:
            voted = vote_spans([d.methods[m] for m in step.inputs], min_votes=min_votes)
            d.methods[step.name] = as_projections(voted, step.name)

    def _train(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        sets: dict[str, list[LabelledSentence]] = {}
        counts: dict[str, dict[str, Any]] = {}
        for d in todo:
            sets[d.name], counts[d.name] = _training_set(d, step)
        self._fit(step, todo, sets, counts, {})
        if step.label_dataset:
            self._label_targets(step, todo, lambda d: d.methods[step.inputs[0]])

    def _selftrain(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        """Self-training: a trained model labels each dataset's unlabelled sentences, and a
        new model learns from those labels (by default starting from that model)."""
        sets: dict[str, list[LabelledSentence]] = {d.name: [] for d in todo}
        counts: dict[str, dict[str, Any]] = {d.name: {} for d in todo}
        teachers: dict[str, str] = {}
        for model, group in _by_model(todo, step.inputs[0]).items():
            given = [d for d in group if d.unlabelled]
            work = [(d, {"sentences": d.unlabelled}) for d in given]
            out = self._map(f"pseudo-label {step.name}", "labeller", self._trained(model), work)
            for d in group:
                teachers[d.name] = model
                sets[d.name], counts[d.name] = _pseudo_labelled(out.get(d.name, []), step, d.name)
        self._fit(step, todo, sets, counts, teachers)
        if step.label_dataset:
            reads = next(s for s in reversed(self.flow.steps) if s.kind == "project").reads
            self._label_targets(step, todo, lambda d: d.column(reads[1]))

    def _fit(
        self,
        step: ExtraStep,
        todo: list[DatasetState],
        sets: Mapping[str, list[LabelledSentence]],
        counts: Mapping[str, dict[str, Any]],
        start: Mapping[str, str],
    ) -> None:
        """Train the step's model(s) on ``sets`` (per dataset, or pooled) plus its mix; a
        dataset in ``start`` starts from that model folder unless ``params`` name a model."""
        model_dir = self.model_dir
        if model_dir is None:
            raise ValueError(f"step {step.name!r}: a train step needs somewhere to save the model")
        title = f"{step.kind} {step.name}"
        mix = [s.to_dict() for s in step.mix]

        def train(name: str, sentences: list[LabelledSentence], origin: str | None) -> Any:
            params = dict(step.params)
            if origin is not None:
                params.setdefault("model", origin)
            payload = {
                "train": [*(s.to_dict() for s in sentences), *mix],
                "params": params,
                "output_dir": model_dir(name, step.name),
            }
            return self.backend.whole(title, "train", name or "all datasets", payload)

        if step.pool:  # one model on every dataset's sentences
            origins = {start[d.name] for d in todo if d.name in start}
            if len(origins) > 1:
                raise ValueError(
                    f"step {step.name!r}: a pooled model starts from one model, but the "
                    f"datasets' models differ ({', '.join(sorted(origins))}); pool the train "
                    "step it reads too, or set params.model"
                )
            origin = next(iter(origins), None)
            pooled = train("", [s for d in todo for s in sets[d.name]], origin)
            results = {d.name: pooled for d in todo}
        else:
            results = {d.name: train(d.name, sets[d.name], start.get(d.name)) for d in todo}
        for d in todo:
            d.models[step.name] = results[d.name]["model"]
            d.reports[title] = {**results[d.name]["report"], **counts[d.name]}
            if step.pool:
                d.reports[title]["pooled"] = [x.name for x in todo]

    def _label_targets(
        self,
        step: ExtraStep,
        todo: list[DatasetState],
        targets: Callable[[DatasetState], Sequence[Any]],
    ) -> None:
        """The step's model labels each dataset's ``targets`` (projections or sentences):
        the method ``step.name``, its row in the report."""
        for model, group in _by_model(todo, step.name).items():
            labeller = self._trained(model)
            work = [(d, {"sentences": _targets(targets(d))}) for d in group]
            out = self._map(f"label {step.name}", "labeller", labeller, work)
            for d in group:
                d.methods[step.name] = as_projections(out[d.name], step.name)

    def _reproject(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        """Project the flow's labels again with a trained model in the loop (its spans as
        candidates, its probabilities as NER scores fused with the alignment score)."""
        reads = next(s for s in reversed(self.flow.steps) if s.kind == "project").reads
        for model, group in _by_model(todo, step.inputs[0]).items():
            projector = model_in_the_loop(step.component, model, self._inference())
            work = [(d, _projection_columns(d, reads)) for d in group]
            out = self._map(f"reproject {step.name}", "projector", projector, work)
            for d in group:
                d.methods[step.name] = out[d.name]

    def _inference(self) -> dict[str, Any]:
        """How trained models label: the flow labeller's :data:`INFERENCE_PARAMS` (none when
        the labeller is an object, not a spec)."""
        spec = self.components.get("labeller")
        if not isinstance(spec, StageSpec):
            return {}
        return {k: spec.params[k] for k in INFERENCE_PARAMS if k in spec.params}

    def _trained(self, model: str) -> StageSpec:
        """A labeller spec for a trained model folder, labelling as the flow labeller does."""
        return StageSpec(backend="transformers", params={**self._inference(), "model": model})

    def _evaluate(self, step: ExtraStep, todo: list[DatasetState]) -> None:
        """Label each dataset's held-out sentences with a trained model or a labeller."""
        splits = step.params.get("splits")
        for d in todo:
            d.evaluations[step.name] = {}
        names = sorted({s for d in todo for s in d.heldout if splits is None or s in splits})
        for split in names:
            groups: dict[str, tuple[Any, list[DatasetState]]] = {}
            for d in todo:
                if split not in d.heldout:
                    continue  # no gold of this split: the report says so
                if step.inputs:
                    model = d.models[step.inputs[0]]
                    spec = self._trained(model)
                    groups.setdefault(model, (spec, []))[1].append(d)
                else:
                    groups.setdefault("", (step.component, []))[1].append(d)
            for component, group in groups.values():
                work = [(d, {"sentences": [s.sentence for s in d.heldout[split]]}) for d in group]
                out = self._map(f"evaluate {step.name} {split}", "labeller", component, work)
                for d in group:
                    d.evaluations[step.name][split] = list(out[d.name])


_STEPS: dict[str, Callable[[Executor, Step, list[DatasetState]], None]] = {
    "translate": Executor._translate,
    "label": Executor._label,
    "align": Executor._align,
    "project": Executor._project,
}
_EXTRA: dict[str, Callable[[Executor, ExtraStep, list[DatasetState]], None]] = {
    "refine": Executor._refine,
    "vote": Executor._vote,
    "train": Executor._train,
    "selftrain": Executor._selftrain,
    "reproject": Executor._reproject,
    "evaluate": Executor._evaluate,
}
assert set(_STEPS) | set(_EXTRA) <= set(STEP_KINDS)


def model_in_the_loop(
    spec: StageSpec | None, model: str, inference: Mapping[str, Any] | None = None
) -> StageSpec:
    """The matching projector ``spec`` (None: ``greedy``) with a trained model in the loop.

    Candidates: every n-gram plus the model's own spans; scores: the mean of the alignment
    score and the model's NER score, its probability that a candidate is exactly one entity of
    the source entity's type (the fused alignment + NER matching of Politov et al., 2025).
    Both read one labelling of each target sentence (:func:`~xproj.project.ner_scorer.
    share_labelling`). ``inference``: how the model labels (:data:`INFERENCE_PARAMS`).
    """
    labeller = {"type": "transformers", **(inference or {}), "model": model}
    base = spec if spec is not None else StageSpec(backend="greedy")
    params = {
        **base.params,
        "candidates": {
            "type": "union",
            "extractors": [{"type": "ngrams"}, {"type": "labeller", "labeller": labeller}],
        },
        "scorer": {
            "type": "fusion",
            "scorers": [{"type": "alignment"}, {"type": "ner", "labeller": labeller}],
        },
    }
    return StageSpec(backend=base.backend, params=params)


def _projection_columns(d: DatasetState, reads: Sequence[str]) -> dict[str, Any]:
    """A projector's input columns: the ``(labels, targets, alignments)`` a project step reads."""
    src, tgt, ali = reads
    return {"sources": d.column(src), "targets": d.column(tgt), "alignments": d.column(ali)}


def _by_model(todo: Sequence[DatasetState], train_step: str) -> dict[str, list[DatasetState]]:
    """The datasets grouped by the model folder ``train_step`` gave each (one group if pooled)."""
    groups: dict[str, list[DatasetState]] = {}
    for d in todo:
        groups.setdefault(d.models[train_step], []).append(d)
    return groups


def _targets(items: Sequence[Any]) -> list[Sentence]:
    """The target sentences of projections (or the sentences themselves)."""
    return [p.target.sentence if isinstance(p, Projection) else p for p in _sentences(items)]


def _pseudo_labelled(
    labelled: Sequence[LabelledSentence], step: ExtraStep, dataset: str
) -> tuple[list[LabelledSentence], dict[str, Any]]:
    """A selftrain step's training sentences from a model's labels of the unlabelled ones,
    and what it counted: ``unlabelled_sentences`` = ``low_score_dropped`` (with
    ``min_score``: a span the model scored below it) + ``dataset_sentences``.

    Raises
    ------
    ValueError
        ``min_score`` is set and a span has no score (a model that does not score its spans
        cannot be filtered by score), naming the step, dataset and sentence.
    """
    counts: dict[str, Any] = {"unlabelled_sentences": len(labelled)}
    kept = list(labelled)
    if step.min_score is not None:
        floor = step.min_score
        kept = []
        for k, s in enumerate(labelled):
            for sp in s.spans:
                if sp.score is None:
                    raise ValueError(
                        f"step {step.name!r}, dataset {dataset}, unlabelled sentence {k}: the "
                        f"span {sp.start}-{sp.end} has no score (the model of "
                        f"{step.inputs[0]!r} does not score its spans); remove min_score"
                    )
            if all(sp.score is not None and sp.score >= floor for sp in s.spans):
                kept.append(s)
        counts["low_score_dropped"] = len(labelled) - len(kept)
    counts["dataset_sentences"] = len(kept)
    counts["pseudo_entities"] = sum(len(s.spans) for s in kept)
    if step.mix:
        counts["mixed_sentences"] = len(step.mix)
    return kept, counts


def _sentences(column: Sequence[Any]) -> list[Sentence]:
    return [s.sentence if isinstance(s, LabelledSentence) else s for s in column]


def _check_parallel(d: DatasetState, a: str, b: str) -> None:
    na, nb = len(d.column(a)), len(d.column(b))
    if na != nb:  # a backend bug; the readers check the files
        raise RuntimeError(f"dataset {d.name}: {na} {a} sentences but {nb} {b}")


def alignments_from_links(
    path: Any,
    links: Sequence[Sequence[tuple[int, int]]],
    src: str,
    tgt: str,
    *,
    origins: Sequence[tuple[Any, int]] | None = None,
) -> Callable[[DatasetState], list[Alignment]]:
    """A deferred ``alignments`` column: the links of a file, checked against the sentences
    of columns ``src`` and ``tgt`` when first read. An error names ``path`` and the link's
    line (its position), or, with ``origins``, each link's own ``(file, line)`` (links
    sampled from several files)."""
    from xproj.errors import InputError

    def resolve(d: DatasetState) -> list[Alignment]:
        out = []
        for k, (s, t, pairs) in enumerate(zip(d.column(src), d.column(tgt), links)):
            try:
                out.append(Alignment(len(s), len(t), tuple(pairs)))
            except InputError as e:
                at, line = origins[k] if origins is not None else (path, k + 1)
                raise e.at(path=at, line=line, sentence=k) from None
        return out

    return resolve
