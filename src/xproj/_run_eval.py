"""Scoring a run's results and summarising them: the second half of ``xproj run``.

:func:`evaluate` scores every method of every dataset against the dataset's gold (the gold of
its own target sentences) and every ``evaluate`` step against each dataset's held-out gold
(other sentences of the language, e.g. a dev and a test split), and builds the
:class:`~xproj.report.Report`; :func:`summarise` builds the :class:`RunSummary` written to
``summary.json``. :mod:`xproj.run` reads the data, runs the executor and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xproj.cache import StageCache
from xproj.config import RunConfig
from xproj.errors import InputError
from xproj.progress import Progress
from xproj.report import Report
from xproj.types import Sentence

if TYPE_CHECKING:
    from xproj.run import DatasetResult

__all__ = ["RunSummary", "evaluate", "summarise"]

#: ``scores[split][dataset][method]``: the scores of evaluate steps on held-out gold.
HeldoutScores = dict[str, dict[str, dict[str, dict[str, Any]]]]


@dataclass
class RunSummary:
    """What a run did: counts per dataset and method, time per stage, cache use, and the
    held-out F1 of evaluate steps (``heldout``: ``f1[split][dataset][method]``, and per split
    and method the ``mean``, the sample ``std`` across datasets and ``n``; empty without
    evaluate steps, and then not written)."""

    config: str
    runner: str
    output: str
    seconds: float
    datasets: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    cache: dict[str, int] | None
    heldout: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "config": self.config,
            "runner": self.runner,
            "output": self.output,
            "seconds": round(self.seconds, 3),
            "datasets": self.datasets,
            "stages": self.stages,
            "cache": self.cache,
        }
        if self.heldout:
            out["heldout"] = self.heldout
        return out

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
        for split, by_dataset in self.heldout.get("f1", {}).items():
            lines.append("")
            lines.append(f"{'held-out ' + split:<16} {'method':<12} {'F1':>6}")
            for name, row in by_dataset.items():
                for m, f1 in row.items():
                    lines.append(f"{name:<16} {m:<12} {100 * f1:>6.1f}")
            for m, mean in self.heldout["mean"][split].items():
                lines.append(f"{'mean':<16} {m:<12} {100 * mean:>6.1f}")
        lines.append("")
        for st in self.stages:
            cached = f", {st['cached_chunks']} cached" if st["cached_chunks"] else ""
            lines.append(
                f"{st['title']:<24} {st['seconds']:>8.1f} s  ({st['chunks']} chunks{cached})"
            )
        lines.append(f"{'total':<24} {self.seconds:>8.1f} s")
        return "\n".join(lines)


def evaluate(
    cfg: RunConfig, results: list[DatasetResult]
) -> tuple[Report, dict[str, dict[str, dict[str, Any]]], HeldoutScores]:
    """Score every method against each dataset's gold and every evaluate step against its
    held-out gold; the report, ``scores[dataset][method]`` and the held-out scores.

    An evaluate step's scores also become its step report (``evaluate NAME`` in
    ``summary.json``), with the splits a dataset has no held-out gold of listed as skipped.
    """
    from xproj.eval.ner import evaluate_ner
    from xproj.eval.stats import projection_stats

    label_map = dict(cfg.evaluation.label_map) or None
    methods = (
        *(p.display_name for p in cfg.stages.projectors),
        *(s.name for s in cfg.steps if s.kind != "evaluate" and s.label_dataset),
    )
    # methods whose entities are the labelled side's (projectors, refiners); votes and trained
    # models label the target themselves
    projected = {p.display_name for p in cfg.stages.projectors}
    projected |= {s.name for s in cfg.steps if s.kind in ("refine", "reproject")}
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
                hint = (
                    ". The gold file must label the target sentences themselves "
                    "(e.g. the target side of a parallel corpus given as translations)"
                )
                if r.origins and e.sentence is not None:  # chosen from several files / sampled
                    part, index = r.origins[e.sentence]
                    gref = d.files("gold")[part]
                    raise InputError(
                        f"{e.message} (the dataset's sentence {e.sentence} is pair {index} of "
                        f"its file {part + 1}){hint}",
                        path=cfg.resolve(gref.path),
                    ) from None
                gref = d.files("gold")[0]
                gp = cfg.resolve(gref.path)
                raise InputError(
                    f"{e.message}{hint}",
                    path=gp,
                    line=gold_line(gp, gref.format, e.sentence, r.targets),
                    sentence=e.sentence,
                ) from None
    heldout = _score_heldout(cfg, results, label_map)
    langs = {r.name: r.lang for r in results}
    names = tuple(r.name for r in results)
    evaluated = tuple(s.name for s in cfg.steps if s.kind == "evaluate")
    report = Report(
        names,
        methods,
        langs,
        scores,
        stats,
        {r.name: r.reports for r in results},
        {
            split: Report(names, evaluated, langs, by_dataset)
            for split, by_dataset in heldout.items()
        },
    )
    return report, scores, heldout


def _score_heldout(
    cfg: RunConfig, results: list[DatasetResult], label_map: dict[str, str] | None
) -> HeldoutScores:
    """Score each evaluate step's labels of each dataset's held-out splits; the scores, also
    put in the step's report of each dataset."""
    from xproj.eval.ner import evaluate_ner

    out: HeldoutScores = {}
    for step in cfg.steps:
        if step.kind != "evaluate":
            continue
        wanted = step.params.get("splits")
        for r in results:
            labelled = r.evaluations.get(step.name, {})
            rep: dict[str, Any] = {}
            for split, predicted in labelled.items():
                s = evaluate_ner(r.heldout[split], predicted, label_map=label_map).to_dict()
                out.setdefault(split, {}).setdefault(r.name, {})[step.name] = s
                rep[split] = {
                    "sentences": len(predicted),
                    **{k: s[k] for k in ("precision", "recall", "f1", "support", "predicted")},
                }
            missing = [x for x in (wanted or sorted(r.heldout)) if x not in labelled]
            if not r.heldout:
                rep["skipped"] = "the dataset has no held-out gold (datasets[i].heldout)"
            elif missing:
                rep["skipped"] = f"the dataset has no held-out {', '.join(missing)} gold"
            r.reports[f"evaluate {step.name}"] = rep
    return {split: out[split] for split in sorted(out)}


def heldout_summary(heldout: HeldoutScores) -> dict[str, Any]:
    """``summary.json``'s ``heldout``: F1 by split, dataset and method, with the mean, the
    sample standard deviation and the number of datasets of each method per split."""
    import statistics

    if not heldout:
        return {}
    f1 = {
        split: {d: {m: s["f1"] for m, s in row.items()} for d, row in by_dataset.items()}
        for split, by_dataset in heldout.items()
    }
    agg: dict[str, dict[str, dict[str, Any]]] = {"mean": {}, "std": {}, "n": {}}
    for split, by_dataset in f1.items():
        methods = list(dict.fromkeys(m for row in by_dataset.values() for m in row))
        for m in methods:
            vals = [row[m] for row in by_dataset.values() if m in row]
            agg["mean"].setdefault(split, {})[m] = statistics.fmean(vals)
            agg["std"].setdefault(split, {})[m] = statistics.stdev(vals) if len(vals) > 1 else None
            agg["n"].setdefault(split, {})[m] = len(vals)
    return {"f1": f1, **agg}


def gold_line(path: Path, fmt: str, k: int | None, targets: Sequence[Sentence]) -> int | None:
    """The line of the gold file where the gold of target sentence ``k`` starts, if known.

    The file holds no sentence for an empty target (see
    :func:`xproj._run_read._gold_for_targets`), so the file's sentence index is ``k`` less the
    empty targets before it.
    """
    if k is None or k >= len(targets) or not targets[k].words:
        return None
    from xproj.io.conll import sentence_lines

    lines = sentence_lines(path, format=fmt)
    index = k - sum(1 for t in targets[:k] if not t.words)
    return lines[index] if index < len(lines) else None


def summarise(
    cfg: RunConfig,
    results: list[DatasetResult],
    scores: dict[str, dict[str, dict[str, Any]]],
    heldout: HeldoutScores,
    progress: Progress,
    cache: StageCache,
    runner_kind: str,
    seconds: float,
) -> RunSummary:
    """What ``summary.json`` holds: counts per dataset and method, step reports, held-out
    F1, stage times and cache use."""
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
        heldout=heldout_summary(heldout),
    )
