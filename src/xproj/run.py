"""Run a configured job: read the data, run each stage through the cache, write outputs and report.

:func:`run` takes a :class:`~xproj.config.RunConfig` and does what ``xproj run CONFIG`` does:

1. read every dataset (labelled source, given translations/labels/alignments, gold), checking
   that parallel files have one line per sentence and naming the file when not;
2. run the stages the data does not already provide, stage by stage across all datasets (so a
   model loads once per run): translate, label (translate-test), align, then each projector;
   each stage is cut into chunks of ``runner.chunk_size`` sentences that are looked up in, and
   written to, the stage cache (``<output>/cache``), so a killed run resumes where it stopped
   and a changed parameter recomputes only the stages it affects;
3. write, per dataset, the projected CoNLL of each method (``<output>/<dataset>/<method>.conll``)
   and the alignments (``alignments.pharaoh``), translations or labels that were computed;
4. score every method against the gold where there is one, and every ``evaluate`` step
   against each dataset's held-out gold (:mod:`xproj._run_eval`), and write the report
   (``report.md``, ``report.json``, ``report.png``) and the run summary (``summary.json``).

No sentence is dropped: each dataset's outputs have one entry per input sentence. An empty target
sentence (an empty translation) cannot be written in CoNLL; it is counted in the summary as
``skipped_in_conll`` (and logged) and kept in every other output.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "en.conll").write_text("Merkel\\tB-PER\\nvisited\\tO\\nParis\\tB-LOC\\n\\n")
>>> _ = (d / "de.txt").write_text("Merkel besuchte Paris\\n")
>>> _ = (d / "en-de.pharaoh").write_text("0-0 1-1 2-2\\n")
>>> _ = (d / "de.conll").write_text("Merkel\\tB-PER\\nbesuchte\\tO\\nParis\\tB-LOC\\n\\n")
>>> from xproj.config import RunConfig
>>> cfg = RunConfig.from_dict({
...     "stages": {"projectors": [{"backend": "heuristic"}]},
...     "datasets": [{"name": "demo", "lang": "de", "source": "en.conll",
...                   "translations": "de.txt", "alignments": "en-de.pharaoh",
...                   "gold": "de.conll"}],
...     "output": "out"}, base_dir=d)
>>> from xproj.progress import Progress
>>> result = run(cfg, progress=Progress(enabled=False), plot=False)
>>> print((d / "out" / "demo" / "heuristic.conll").read_text(), end="")
... # doctest: +NORMALIZE_WHITESPACE
Merkel	B-PER
besuchte	O
Paris	B-LOC
<BLANKLINE>
>>> result.report.scores["demo"]["heuristic"]["f1"]
1.0
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xproj._run_eval import RunSummary, evaluate, summarise
from xproj._run_read import _load_dataset as _load_dataset
from xproj._run_read import _read_mix as _read_mix
from xproj._run_read import read_sentences
from xproj.cache import StageCache
from xproj.config import RunConfig, StageSpec
from xproj.executor import WHOLE_KEYS, Backend, Executor, ExtraStep
from xproj.io._files import prepare_output
from xproj.progress import Progress
from xproj.report import Report, write_report
from xproj.reported import Reported, merge_reports
from xproj.runners import Runner, StageJob, WorkerSpec, make_runner
from xproj.runners.base import decode_items, encode_chunk
from xproj.types import Alignment, LabelledSentence, Projection, Sentence

__all__ = ["DatasetResult", "RunResult", "RunSummary", "executor", "read_sentences", "run"]

log = logging.getLogger("xproj.run")


@dataclass
class DatasetResult:
    """Everything one dataset went through.

    Attributes
    ----------
    name, lang
        From the config.
    sources
        The labelled side projected from (source sentences in translate-train, the labelled
        translations in translate-test).
    targets
        The side projected onto.
    alignments
        Source-to-target word alignments.
    projections
        Per method (projector display name), one projection per sentence.
    gold
        Gold target labels, if given.
    translations
        translate-test: the translations that were labelled (None when labels were given).
    reports
        Per step that ran on the dataset (``"translate"``, ``"project greedy"``), what it
        reported, merged over its chunks.
    models
        Per train step, the trained model's folder.
    heldout
        The dataset's held-out gold by split (``datasets[i].heldout``).
    evaluations
        Per evaluate step and split, the held-out sentences as its model labelled them.
    origins
        Where each sentence came from, ``(file number, pair index in that file)``, when the
        dataset's sentences were read from several files or chosen (``drop_heldout``,
        ``sample``); empty otherwise (sentence k is the file's sentence k).
    """

    name: str
    lang: str
    sources: list[LabelledSentence] = field(default_factory=list)
    targets: list[Sentence] = field(default_factory=list)
    alignments: list[Alignment] = field(default_factory=list)
    projections: dict[str, list[Projection]] = field(default_factory=dict)
    gold: list[LabelledSentence] | None = None
    translations: list[Sentence] | None = None
    computed: set[str] = field(default_factory=set)
    skipped_in_conll: dict[str, int] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    heldout: dict[str, list[LabelledSentence]] = field(default_factory=dict)
    evaluations: dict[str, dict[str, list[LabelledSentence]]] = field(default_factory=dict)
    origins: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.targets)


@dataclass
class RunResult:
    """The outcome of :func:`run`: per-dataset results, the report, the summary, files written."""

    output_dir: Path
    datasets: list[DatasetResult]
    report: Report
    summary: RunSummary
    files: list[Path]


# ---------------------------------------------------------------------- running


class _Stages(Backend):
    """The executor's backend for ``xproj run``: a runner and the stage cache."""

    def __init__(self, cfg: RunConfig, runner: Runner, cache: StageCache, progress: Progress):
        self.cfg = cfg
        self.runner = runner
        self.cache = cache
        self.progress = progress

    def spec(self, slot: str, component: StageSpec) -> WorkerSpec:
        return WorkerSpec(
            slot=slot,
            backend=component.backend,
            params=self.cfg.resolve_params(component.params),
            batch_size=self.cfg.runner.resources(slot).batch_size,
            plugins=tuple(self.cfg.plugins),
            base_dir=str(self.cfg.base_dir),
        )

    def map(
        self, title: str, slot: str, component: Any, work: list[tuple[str, dict[str, Any]]]
    ) -> dict[str, Reported[Any]]:
        """Run ``component`` over each ``(dataset, columns)`` chunk by chunk, through the
        runner and the cache; the items and the merged report per dataset."""
        spec = self.spec(slot, component)
        fingerprint = spec.fingerprint()
        size = self.cfg.runner.chunk_size
        payloads: list[dict[str, Any]] = []
        sizes: list[int] = []
        keys: list[str] = []
        owners: list[str] = []
        offsets: list[int] = []
        for name, cols in work:
            n = len(next(v for v in cols.values() if not isinstance(v, str)))
            for start in range(0, n, size):
                chunk = {
                    k: v if isinstance(v, str) else v[start : start + size] for k, v in cols.items()
                }
                payload = encode_chunk(spec.slot, **chunk)
                payloads.append(payload)
                sizes.append(min(size, n - start))
                keys.append(self.cache.key(spec.slot, fingerprint, payload))
                owners.append(name)
                offsets.append(start)
        job = StageJob(title, spec, payloads, sizes, keys, owners, offsets)
        results = self.runner.run_stage(job, self.cache, self.progress) if payloads else []
        items: dict[str, list[Any]] = {name: [] for name, _ in work}
        reports: dict[str, dict[str, Any]] = {name: {} for name, _ in work}
        for owner, result in zip(owners, results):
            items[owner].extend(decode_items(spec.slot, result))
            reports[owner] = merge_reports(reports[owner], result.get("report", {}))
        return {name: Reported(items[name], reports[name]) for name, _ in work}

    def whole(self, title: str, task: str, dataset: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run a whole-dataset task once through the runner, cached under a fingerprint of its
        whole payload.

        A cached entry counts only while its model folder still holds the model that entry
        trained: the folder is stamped with the key (:data:`KEY_FILE`), so a run with other
        training settings that wrote the same folder since makes this one train again instead
        of reading the other run's model.
        """
        from xproj.label.train import INFO_FILE

        key = self.cache.key(task, "whole-dataset", WHOLE_KEYS.get(task, dict)(payload))
        n = len(payload.get("train", ()))
        with self.progress.stage(f"{title} ({dataset})", chunks=1, sentences=n) as bar:
            got = self.cache.get(task, key)
            if isinstance(got, dict) and _holds(Path(got.get("model", "")), key, INFO_FILE):
                bar.advance(n, cached=True)
                return got
            result = self.runner.run_whole(task, payload)
            if "model" in result:
                (Path(result["model"]) / KEY_FILE).write_text(key + "\n", encoding="utf-8")
            self.cache.put(task, key, result)
            bar.advance(n)
        return result


#: The file in a trained model's folder naming the cache entry that trained it.
KEY_FILE = "xproj_cache_key.txt"


def _holds(folder: Path, key: str, info_file: str) -> bool:
    """Whether ``folder`` holds a complete model trained under the cache key ``key``."""
    stamp = folder / KEY_FILE
    if not (folder / info_file).is_file() or not stamp.is_file():
        return False
    return stamp.read_text(encoding="utf-8").strip() == key


def run(
    config: RunConfig,
    *,
    output: str | Path | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
    plot: bool = True,
) -> RunResult:
    """Run ``config`` end to end (see the module docstring).

    Parameters
    ----------
    config
        The run.
    output
        Overrides ``config.output`` (relative to the current folder).
    progress
        Where progress goes (default: stderr, live on a terminal, one line per stage otherwise).
    runner
        A runner to use instead of the one ``config.runner`` names (it is not closed here).
    plot
        Whether to draw ``report.png`` (needs matplotlib).

    Raises
    ------
    ConfigError
        A data file the config names does not exist.
    OutputError
        The output folder cannot be created or written (checked before anything runs).
    InputError
        A data file is malformed or parallel files disagree (naming the file and line).
    """
    t0 = time.monotonic()
    cfg = config.with_output(output) if output is not None else config
    cfg.check_files()
    out_dir = prepare_output(cfg.output_dir, kind="dir", what="the output folder")
    progress = progress if progress is not None else Progress()
    cache = StageCache(out_dir / "cache" if cfg.cache else None)
    removed = cache.remove_stale_tmp()
    if removed:
        log.info("removed %d temporary cache files left by an interrupted run", removed)
    own_runner = runner is None
    active = runner if runner is not None else make_runner(cfg.runner)
    log.info(
        "run %s: %d dataset(s), flow %s, runner %s, output %s",
        cfg.fingerprint(),
        len(cfg.datasets),
        cfg.flow if isinstance(cfg.flow, str) else "custom",
        active.kind,
        out_dir,
        extra={"event": "run_start", "config": cfg.fingerprint(), "output": str(out_dir)},
    )
    try:
        results = _execute(cfg, _Stages(cfg, active, cache, progress))
    finally:
        if own_runner:
            active.close()
    files = _write_outputs(cfg, results, out_dir)
    report, scores, heldout = evaluate(cfg, results)
    files += list(write_report(report, out_dir, plot=plot).values())
    seconds = time.monotonic() - t0
    summary = summarise(cfg, results, scores, heldout, progress, cache, active.kind, seconds)
    files.append(_write_json(out_dir / "summary.json", summary.to_dict()))
    log.info("run done in %.1f s", summary.seconds, extra={"event": "run_done"})
    return RunResult(out_dir, results, report, summary, files)


def executor(cfg: RunConfig, backend: Backend) -> Executor:
    """The executor of ``cfg``'s flow and ``[[steps]]`` (components given as their specs)."""
    st = cfg.stages
    components: dict[str, Any] = {
        "translator": st.translator,
        "labeller": st.labeller,
        "aligner": st.aligner,
        "projectors": [(p.display_name, p) for p in st.projectors],
    }
    extra = [
        ExtraStep(
            s.kind,
            s.name,
            tuple(s.inputs),
            {"refine": s.refiner, "reproject": s.projector}.get(s.kind, s.labeller or st.labeller),
            cfg.resolve_params(s.params),
            pool=s.pool,
            label_dataset=s.label_dataset,
            filter=s.filter,
            min_score=s.min_score,
            mix=tuple(x for k in range(len(s.mix)) for x in _read_mix(cfg, i, k)),
        )
        for i, s in enumerate(cfg.steps)
    ]
    out_dir = cfg.output_dir
    return Executor(
        cfg.flow_def,
        components,
        backend,
        src_lang=cfg.src_lang,
        extra=extra,
        # a pooled model is no dataset's: "_pooled" cannot be a dataset name
        model_dir=lambda dataset, step: str(out_dir / (dataset or "_pooled") / step),
    )


def _execute(cfg: RunConfig, backend: _Stages) -> list[DatasetResult]:
    loaded = [_load_dataset(cfg, d) for d in cfg.datasets]
    states = executor(cfg, backend).run([state for state, _ in loaded])
    labelled, target = cfg.flow_def.steps[-1].reads[:2]
    results = []
    for d, (_, gold) in zip(states, loaded):
        r = DatasetResult(d.name, d.lang)
        r.sources = d.column(labelled)
        r.targets = d.column(target)
        r.alignments = d.column("alignments")
        r.projections = d.methods
        r.gold = gold
        if target != "translations" and "translations" in d.columns:
            r.translations = d.column("translations")
        r.computed = set(d.computed)
        r.models = dict(d.models)
        r.reports = d.reports
        r.heldout = d.heldout
        r.evaluations = d.evaluations
        r.origins = d.origins
        results.append(r)
    return results


# ---------------------------------------------------------------------- writing


def _atomic(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_outputs(cfg: RunConfig, results: list[DatasetResult], out_dir: Path) -> list[Path]:
    from xproj.io.conll import write_conll
    from xproj.io.pharaoh import write_pharaoh

    files: list[Path] = []
    for r in results:
        folder = out_dir / r.name
        folder.mkdir(parents=True, exist_ok=True)
        files += [Path(m) for m in r.models.values()]  # written by the train steps
        r_skipped: dict[str, int] = {}
        for method, projections in r.projections.items():
            path = folder / f"{method}.conll"
            tmp = _atomic(path)
            summary = write_conll(tmp, projections, empty="skip")
            os.replace(tmp, path)
            files.append(path)
            r_skipped[method] = len(summary.skipped)
            if summary.skipped:
                log.warning(
                    "%s: %d empty target sentence(s) cannot be written in CoNLL and were left "
                    "out of %s (indices %s); they are counted in summary.json",
                    r.name,
                    len(summary.skipped),
                    path.name,
                    list(summary.skipped)[:10],
                )
        r.skipped_in_conll = r_skipped
        if "alignments" in r.computed:
            path = folder / "alignments.pharaoh"
            tmp = _atomic(path)
            write_pharaoh(tmp, r.alignments)
            os.replace(tmp, path)
            files.append(path)
        for name, by_split in r.evaluations.items():
            for split, labelled in by_split.items():
                path = folder / f"{name}.{split}.conll"
                tmp = _atomic(path)
                write_conll(tmp, labelled)
                os.replace(tmp, path)
                files.append(path)
        if "translations" in r.computed:
            trans = r.targets if cfg.flow_def.entry != "input" else (r.translations or [])
            path = folder / "translations.txt"
            tmp = _atomic(path)
            tmp.write_text("".join(s.text + "\n" for s in trans), encoding="utf-8")
            os.replace(tmp, path)
            files.append(path)
        if "labels" in r.computed:
            path = folder / "labels.conll"
            tmp = _atomic(path)
            write_conll(tmp, r.sources, empty="skip")
            os.replace(tmp, path)
            files.append(path)
    return files


def _write_json(path: Path, data: Any) -> Path:
    import json

    tmp = _atomic(path)
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
