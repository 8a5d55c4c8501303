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
4. score every method against the gold where there is one and write the report
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xproj.cache import StageCache
from xproj.config import ConllFile, DatasetConfig, RunConfig, StageSpec, TextFile
from xproj.errors import InputError
from xproj.executor import Backend, DatasetState, Executor, ExtraStep, alignments_from_links
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

    def __len__(self) -> int:
        return len(self.targets)


@dataclass
class RunSummary:
    """What a run did: counts per dataset and method, time per stage, cache use."""

    config: str
    runner: str
    output: str
    seconds: float
    datasets: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    cache: dict[str, int] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "runner": self.runner,
            "output": self.output,
            "seconds": round(self.seconds, 3),
            "datasets": self.datasets,
            "stages": self.stages,
            "cache": self.cache,
        }

    def text(self) -> str:
        """A plain-text summary: one line per (dataset, method), then the stage times."""
        lines = [
            f"{'dataset':<16} {'method':<12} {'sents':>6} {'ents in':>8} {'projected':>9} "
            f"{'dropped':>8} {'F1':>6}"
        ]
        for d in self.datasets:
            for m, s in d["methods"].items():
                f1 = s.get("f1")
                lines.append(
                    f"{d['name']:<16} {m:<12} {d['sentences']:>6} {s['entities_in']:>8} "
                    f"{s['entities_projected']:>9} {s['entities_dropped']:>8} "
                    f"{'–' if f1 is None else f'{100 * f1:.1f}':>6}"
                )
        lines.append("")
        for st in self.stages:
            cached = f", {st['cached_chunks']} cached" if st["cached_chunks"] else ""
            lines.append(
                f"{st['title']:<24} {st['seconds']:>8.1f} s  ({st['chunks']} chunks{cached})"
            )
        lines.append(f"{'total':<24} {self.seconds:>8.1f} s")
        return "\n".join(lines)


@dataclass
class RunResult:
    """The outcome of :func:`run`: per-dataset results, the report, the summary, files written."""

    output_dir: Path
    datasets: list[DatasetResult]
    report: Report
    summary: RunSummary
    files: list[Path]


# ---------------------------------------------------------------------- reading


def read_sentences(ref: TextFile, path: Path, lang: str | None) -> list[Sentence]:
    """Read the sentences of a :class:`~xproj.config.TextFile` (text, raw or a CoNLL format)."""
    if ref.format in ("text", "raw"):
        from xproj.io.parallel import read_text
        from xproj.text import split_whitespace, split_words

        splitter = split_whitespace if ref.format == "text" else split_words
        return read_text(path, lang=lang, splitter=splitter)
    from xproj.io.conll import read_conll

    return [Sentence(s.words, lang) for s in read_conll(path, format=ref.format, lang=lang)]


def _read_labelled(ref: ConllFile, path: Path, lang: str | None) -> list[LabelledSentence]:
    from xproj.io.conll import read_conll

    return read_conll(path, format=ref.format, scheme=ref.scheme, repair=ref.repair, lang=lang)


def _same_count(
    n: int, what: str, path: Path, m: int, other: str, conll: Sequence[Path] = ()
) -> None:
    if n != m:
        from xproj.io.conll import count_mismatch_note

        raise InputError(
            f"has {n} sentences but {other} has {m}; {what} must have one entry per sentence, "
            f"in the same order{count_mismatch_note(*conll)}",
            path=path,
        )


def _gold_for_targets(
    gold: list[LabelledSentence], targets: Sequence[Sentence], lang: str
) -> list[LabelledSentence]:
    """The gold with an empty sentence for each empty target, where that makes the counts agree.

    A CoNLL file cannot hold an empty sentence (a blank line only separates sentences), so the
    gold of a dataset whose target side has empty lines (an empty translation) holds one
    sentence per non-empty target. Empty entries are put back at the empty targets' positions,
    so that gold and targets pair up again; any other count is left for the caller to reject.
    """
    n_empty = sum(1 for t in targets if not t.words)
    if n_empty == 0 or len(gold) != len(targets) - n_empty:
        return gold
    given = iter(gold)
    return [next(given) if t.words else LabelledSentence((), (), lang) for t in targets]


def _load_dataset(
    cfg: RunConfig, d: DatasetConfig
) -> tuple[DatasetState, list[LabelledSentence] | None]:
    """Read what a dataset's files give: the flow's columns (checked to have one entry per
    sentence) and the gold labels."""
    flow = cfg.flow_def
    entry_ref = getattr(d, flow.entry)
    entry_path = cfg.resolve(entry_ref.path)
    if flow.entry == "source":
        entry: list[Any] = _read_labelled(entry_ref, entry_path, cfg.src_lang)
        what = f"the source {entry_path}"
    else:
        entry = read_sentences(entry_ref, entry_path, d.lang)
        what = f"the input {entry_path}"
    n_full = len(entry)
    columns: dict[str, Any] = {flow.entry: entry[: d.limit]}
    full: dict[str, Any] = {flow.entry: entry}  # unlimited, to line a gold up with the targets
    # translations are in the dataset's language when the entry is the labelled source
    tr_lang = d.lang if flow.entry == "source" else cfg.src_lang
    for col in flow.columns[1:]:
        ref = getattr(d, col)
        if ref is None or col == "alignments":
            continue
        path = cfg.resolve(ref.path)
        if col == "labels":
            got: list[Any] = _read_labelled(ref, path, cfg.src_lang)
            conll = [path]
        else:
            got = read_sentences(ref, path, tr_lang)
            conll = [entry_path] if flow.entry == "source" else []
        _same_count(len(got), col, path, n_full, what, conll=conll)
        full[col] = got
        columns[col] = got[: d.limit]
    if d.alignments is not None:
        from xproj.io.pharaoh import read_pharaoh_links

        ap = cfg.resolve(d.alignments.path)
        links = read_pharaoh_links(ap, one_based=d.alignments.one_based)
        _same_count(len(links), "the alignment file", ap, n_full, "the dataset")
        src, tgt = flow.steps[-1].reads[:2]
        columns["alignments"] = alignments_from_links(ap, links[: d.limit], src, tgt)
    gold = None
    if d.gold is not None:
        gp = cfg.resolve(d.gold.path)
        gold_all = _read_labelled(d.gold, gp, d.lang)
        targets = full.get(flow.steps[-1].reads[1])  # the side projected onto, when given
        if targets is not None:
            gold_all = _gold_for_targets(gold_all, targets, d.lang)
        _same_count(len(gold_all), "gold", gp, n_full, "the dataset", conll=[gp])
        gold = gold_all[: d.limit]
    given = frozenset(c for c in flow.columns if getattr(d, c) is not None)
    return DatasetState(d.name, d.lang, columns, given), gold


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
            params=dict(component.params),
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
        whole payload (the model folder must still be there for a cached entry to count)."""
        from xproj.label.train import INFO_FILE

        key = self.cache.key(task, "whole-dataset", payload)
        n = len(payload.get("train", ()))
        with self.progress.stage(f"{title} ({dataset})", chunks=1, sentences=n) as bar:
            got = self.cache.get(task, key)
            if isinstance(got, dict) and (Path(got.get("model", "")) / INFO_FILE).is_file():
                bar.advance(n, cached=True)
                return got
            result = self.runner.run_whole(task, payload)
            self.cache.put(task, key, result)
            bar.advance(n)
        return result


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
    report, scores = _evaluate(cfg, results)
    files += list(write_report(report, out_dir, plot=plot).values())
    summary = _summary(cfg, results, scores, progress, cache, active.kind, time.monotonic() - t0)
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
        ExtraStep(s.kind, s.name, tuple(s.inputs), s.refiner, dict(s.params)) for s in cfg.steps
    ]
    out_dir = cfg.output_dir
    return Executor(
        cfg.flow_def,
        components,
        backend,
        src_lang=cfg.src_lang,
        extra=extra,
        model_dir=lambda dataset, step: str(out_dir / dataset / step),
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
        if "translations" in r.computed:
            trans = r.targets if cfg.flow_def.entry == "source" else (r.translations or [])
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


# ---------------------------------------------------------------------- evaluation and summary


def _evaluate(
    cfg: RunConfig, results: list[DatasetResult]
) -> tuple[Report, dict[str, dict[str, dict[str, Any]]]]:
    from xproj.eval.ner import evaluate_ner
    from xproj.eval.stats import projection_stats

    label_map = dict(cfg.evaluation.label_map) or None
    methods = (*(p.display_name for p in cfg.stages.projectors), *(s.name for s in cfg.steps))
    # methods whose entities are the labelled side's (projectors, refiners); votes and trained
    # models label the target themselves
    projected = {p.display_name for p in cfg.stages.projectors}
    projected |= {s.name for s in cfg.steps if s.kind == "refine"}
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    stats: dict[str, dict[str, dict[str, Any]]] = {}
    for r, d in zip(results, cfg.datasets):
        scores[r.name] = {}
        stats[r.name] = {}
        for m in methods:
            projections = r.projections[m]
            sources = r.sources if m in projected else None
            try:
                stats[r.name][m] = projection_stats(
                    projections, sources=sources, gold=r.gold
                ).to_dict()
                if r.gold is None:
                    continue
                scores[r.name][m] = evaluate_ner(r.gold, projections, label_map=label_map).to_dict()
            except InputError as e:
                if d.gold is None:
                    raise
                gp = cfg.resolve(d.gold.path)
                raise InputError(
                    f"{e.message}. The gold file must label the target sentences themselves "
                    "(e.g. the target side of a parallel corpus given as translations)",
                    path=gp,
                    line=_gold_line(gp, d.gold.format, e.sentence, r.targets),
                    sentence=e.sentence,
                ) from None
    report = Report(
        tuple(r.name for r in results),
        methods,
        {r.name: r.lang for r in results},
        scores,
        stats,
        {r.name: r.reports for r in results},
    )
    return report, scores


def _gold_line(path: Path, fmt: str, k: int | None, targets: Sequence[Sentence]) -> int | None:
    """The line of the gold file where the gold of target sentence ``k`` starts, if known.

    The file holds no sentence for an empty target (see :func:`_gold_for_targets`), so the
    file's sentence index is ``k`` less the empty targets before it.
    """
    if k is None or k >= len(targets) or not targets[k].words:
        return None
    from xproj.io.conll import sentence_lines

    lines = sentence_lines(path, format=fmt)
    index = k - sum(1 for t in targets[:k] if not t.words)
    return lines[index] if index < len(lines) else None


def _summary(
    cfg: RunConfig,
    results: list[DatasetResult],
    scores: dict[str, dict[str, dict[str, Any]]],
    progress: Progress,
    cache: StageCache,
    runner_kind: str,
    seconds: float,
) -> RunSummary:
    datasets = []
    for r in results:
        skipped = r.skipped_in_conll
        methods = {}
        for m, projections in r.projections.items():
            f1 = scores.get(r.name, {}).get(m, {}).get("f1")
            methods[m] = {
                "entities_in": sum(p.n_source for p in projections),
                "entities_projected": sum(p.n_source - len(p.unprojected) for p in projections),
                "entities_dropped": sum(len(p.unprojected) for p in projections),
                "target_spans": sum(len(p.projected) for p in projections),
                "skipped_in_conll": skipped.get(m, 0),
                "f1": f1,
            }
        datasets.append(
            {
                "name": r.name,
                "lang": r.lang,
                "sentences": len(r),
                "empty_targets": sum(1 for t in r.targets if not t.words),
                "methods": methods,
                "reports": r.reports,
            }
        )
    return RunSummary(
        config=cfg.fingerprint(),
        runner=runner_kind,
        output=str(cfg.output_dir),
        seconds=seconds,
        datasets=datasets,
        stages=[t.to_dict() for t in progress.timings],
        cache=cache.stats.to_dict() if cache.enabled else None,
    )
