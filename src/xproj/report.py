"""Reports of a run: F1 per dataset (language) and method, mean and spread across languages.

A :class:`Report` is built from the evaluation of each (dataset, method) pair and written as
Markdown (``report.md``), JSON (``report.json``) and a PNG plot (``report.png``) of per-language F1
by method. The spread across languages is the sample standard deviation (``n - 1`` in the
denominator), reported where there are at least two datasets. Scores are percentages in the
Markdown and the plot, fractions in the JSON. Nothing in a report depends on timing, so two runs
of the same config write identical ``report.md`` and ``report.json``.

Examples
--------
>>> r = Report.from_scores(
...     {"de": {"greedy": {"f1": 0.8, "precision": 0.9, "recall": 0.72},
...             "heuristic": {"f1": 0.7, "precision": 0.7, "recall": 0.7}},
...      "es": {"greedy": {"f1": 0.6, "precision": 0.6, "recall": 0.6},
...             "heuristic": {"f1": 0.65, "precision": 0.7, "recall": 0.61}}},
...     langs={"de": "de", "es": "es"})
>>> r.methods
('greedy', 'heuristic')
>>> round(r.mean("greedy"), 4), round(r.std("greedy"), 4)
(0.7, 0.1414)
>>> print(r.f1_table())
| dataset | lang | greedy | heuristic |
|---|---|---:|---:|
| de | de | 80.0 | 70.0 |
| es | es | 60.0 | 65.0 |
| **mean** |  | **70.0** | **67.5** |
| **std** |  | 14.1 | 3.5 |
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xproj._extras import import_extra

__all__ = ["Report", "write_report"]


@dataclass(frozen=True)
class Report:
    """Scores by dataset and method, plus projection statistics.

    Attributes
    ----------
    datasets
        Dataset names, in run order.
    methods
        Method (projector) names, in config order.
    langs
        The target language of each dataset.
    scores
        ``scores[dataset][method]``: a dict with at least ``f1``, ``precision`` and ``recall``
        (fractions) and optionally ``macro_f1``, ``support``, ``predicted``, ``correct``,
        ``per_type`` (as :meth:`xproj.eval.ner.NerScores.to_dict` gives). Missing pairs (no
        gold) are absent.
    stats
        ``stats[dataset][method]``: projection counts (entities in, projected, dropped).
    steps
        ``steps[dataset][step]``: what each step reported (a translator's counts, a solver's
        statistics, back-translation's marker counts), merged over the step's chunks.
    heldout
        ``heldout[split]``: the scores of ``evaluate`` steps (methods) on each dataset's
        held-out gold of that split, as a report of their own.
    """

    datasets: tuple[str, ...]
    methods: tuple[str, ...]
    langs: dict[str, str]
    scores: dict[str, dict[str, dict[str, Any]]]
    stats: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    steps: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    heldout: dict[str, Report] = field(default_factory=dict)

    @classmethod
    def from_scores(
        cls,
        scores: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        langs: Mapping[str, str] | None = None,
        methods: tuple[str, ...] | None = None,
        stats: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    ) -> Report:
        """Build from ``scores[dataset][method]`` dicts (methods default to sorted names)."""
        datasets = tuple(scores)
        if methods is None:
            methods = tuple(sorted({m for d in scores.values() for m in d}))
        return cls(
            datasets,
            methods,
            dict(langs or {d: "" for d in datasets}),
            {d: {m: dict(v) for m, v in ms.items()} for d, ms in scores.items()},
            {d: {m: dict(v) for m, v in ms.items()} for d, ms in (stats or {}).items()},
        )

    # ------------------------------------------------------------------ aggregates

    def values(self, method: str, metric: str = "f1") -> list[float]:
        """``metric`` of ``method`` on every dataset that has it, in dataset order."""
        return [
            float(self.scores[d][method][metric])
            for d in self.datasets
            if method in self.scores.get(d, {}) and metric in self.scores[d][method]
        ]

    def mean(self, method: str, metric: str = "f1") -> float | None:
        """The mean of ``metric`` across datasets (None without any score)."""
        v = self.values(method, metric)
        return sum(v) / len(v) if v else None

    def std(self, method: str, metric: str = "f1") -> float | None:
        """The sample standard deviation across datasets (None with fewer than two)."""
        v = self.values(method, metric)
        if len(v) < 2:
            return None
        m = sum(v) / len(v)
        return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))

    @property
    def has_scores(self) -> bool:
        return any(self.scores.get(d) for d in self.datasets)

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-dataset scores and stats, and per-method mean/std/min/max of F1."""
        summary: dict[str, Any] = {}
        for m in self.methods:
            v = self.values(m)
            summary[m] = {
                "n": len(v),
                "mean_f1": self.mean(m),
                "std_f1": self.std(m),
                "min_f1": min(v) if v else None,
                "max_f1": max(v) if v else None,
                "mean_precision": self.mean(m, "precision"),
                "mean_recall": self.mean(m, "recall"),
            }
        out: dict[str, Any] = {
            "methods": list(self.methods),
            "datasets": [
                {
                    "name": d,
                    "lang": self.langs.get(d, ""),
                    "scores": self.scores.get(d, {}),
                    "projection": self.stats.get(d, {}),
                    "steps": self.steps.get(d, {}),
                }
                for d in self.datasets
            ],
            "summary": summary,
            "std": "sample standard deviation across datasets (n - 1)",
        }
        if self.heldout:
            out["heldout"] = {split: r.to_dict() for split, r in self.heldout.items()}
        return out

    def f1_table(self) -> str:
        """Markdown: one row per dataset, one column per method (F1 %), then mean and std."""
        head = "| dataset | lang | " + " | ".join(self.methods) + " |"
        rule = "|---|---|" + "---:|" * len(self.methods)
        rows = [head, rule]
        for d in self.datasets:
            cells = [_pct(self.scores.get(d, {}).get(m, {}).get("f1")) for m in self.methods]
            rows.append(f"| {d} | {self.langs.get(d, '')} | " + " | ".join(cells) + " |")
        means = [_pct(self.mean(m)) for m in self.methods]
        stds = [_pct(self.std(m)) for m in self.methods]
        rows.append("| **mean** |  | " + " | ".join(f"**{x}**" for x in means) + " |")
        rows.append("| **std** |  | " + " | ".join(stds) + " |")
        return "\n".join(rows)

    def detail_table(self) -> str:
        """Markdown: precision, recall, F1 and entity counts of every (dataset, method)."""
        rows = [
            "| dataset | method | P | R | F1 | macro F1 | gold | predicted | correct |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for d in self.datasets:
            for m in self.methods:
                s = self.scores.get(d, {}).get(m)
                if s is None:
                    continue
                rows.append(
                    f"| {d} | {m} | {_pct(s.get('precision'))} | {_pct(s.get('recall'))} | "
                    f"{_pct(s.get('f1'))} | {_pct(s.get('macro_f1'))} | {s.get('support', '')} "
                    f"| {s.get('predicted', '')} | {s.get('correct', '')} |"
                )
        return "\n".join(rows)

    def stats_table(self) -> str:
        """Markdown: entities in, projected and dropped per (dataset, method)."""
        rows = [
            "| dataset | method | sentences | entities in | projected | dropped | target spans |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for d in self.datasets:
            for m in self.methods:
                s = self.stats.get(d, {}).get(m)
                if s is None:
                    continue
                rows.append(
                    f"| {d} | {m} | {s.get('sentences', '')} | {s.get('source_entities', '')} | "
                    f"{s.get('projected_entities', '')} | {s.get('unprojected_entities', '')} | "
                    f"{s.get('target_spans', '')} |"
                )
        return "\n".join(rows)

    def to_markdown(
        self,
        *,
        title: str = "xproj report",
        plot: str | None = None,
        heldout_plots: Mapping[str, str] | None = None,
    ) -> str:
        """The whole report as Markdown (``plot``, ``heldout_plots[split]``: relative image
        paths to embed)."""
        parts = [f"# {title}", ""]
        if self.has_scores:
            parts += [
                "## F1 by dataset and method (%)",
                "",
                "Span-level strict F1 (seqeval, IOB2). mean and std are across datasets; std is "
                "the sample standard deviation (n - 1).",
                "",
                self.f1_table(),
                "",
            ]
            if plot:
                parts += [f"![F1 by language and method]({plot})", ""]
            parts += ["## Precision, recall and F1 (%)", "", self.detail_table(), ""]
        elif not self.heldout:
            parts += ["No dataset has gold labels, so nothing was scored.", ""]
        for split, r in self.heldout.items():
            parts += [
                f"## Held-out {split} F1 by dataset and model (%)",
                "",
                f"Each evaluate step's model labels the dataset's held-out {split} sentences "
                "(not its own sentences); span-level strict F1.",
                "",
                r.f1_table(),
                "",
            ]
            if heldout_plots and split in heldout_plots:
                parts += [f"![Held-out {split} F1]({heldout_plots[split]})", ""]
            parts += [r.detail_table(), ""]
        if self.stats:
            parts += ["## Projection", "", self.stats_table(), ""]
        if any(self.steps.values()):
            parts += ["## Step reports", "", "What each step reported, per dataset.", ""]
            for d in self.datasets:
                for step, rep in self.steps.get(d, {}).items():
                    text = json.dumps(rep, ensure_ascii=False, sort_keys=True)
                    parts.append(f"- {d}, {step}: `{text}`")
            parts.append("")
        return "\n".join(parts)

    def plot(self, path: str | Path, *, title: str = "F1 by language and method") -> Path:
        """Write a PNG dot plot of per-dataset F1 by method, with each method's mean ± std.

        One column per dataset, one coloured marker per method (labelled with its value), and
        a last column with each method's mean and its standard deviation across datasets as an
        error bar (the legend gives both numbers). The F1 axis is zoomed to the range of the
        values (markers, unlike bars, read correctly on a zoomed axis). Needs matplotlib
        (``pip install "xproj[report]"``), imported here with the Agg backend, so no display
        is needed.
        """
        matplotlib = import_extra("matplotlib", "report", what="The report's plot")
        matplotlib.use("Agg")
        plt = import_extra("matplotlib.pyplot", "report", what="The report's plot")
        path = Path(path)
        groups = [d for d in self.datasets if self.scores.get(d)]
        labels = [
            f"{d}\n({self.langs[d]})" if self.langs.get(d) and self.langs[d] not in d else d
            for d in groups
        ]
        multi = len(groups) >= 2
        n_cols = len(groups) + (1 if multi else 0)
        n_methods = max(len(self.methods), 1)
        step = min(0.8 / n_methods, 0.3)
        fig, ax = plt.subplots(figsize=(max(5.5, 1.3 * n_cols + 2.5), 4.5), dpi=120)
        cmap = plt.get_cmap("tab10")
        markers = "osD^vP*Xhp"
        shown: list[float] = []
        for k, m in enumerate(self.methods):
            offset = (k - (n_methods - 1) / 2) * step
            xs, ys = [], []
            for g, d in enumerate(groups):
                s = self.scores[d].get(m)
                if s is not None:
                    xs.append(g + offset)
                    ys.append(100 * float(s["f1"]))
            style: dict[str, Any] = {"color": cmap(k % 10), "marker": markers[k % len(markers)]}
            mean, std = self.mean(m), self.std(m)
            label = m
            if multi and mean is not None:
                label = f"{m}: {100 * mean:.1f} ± {100 * (std or 0.0):.1f}"
            ax.plot(xs, ys, linestyle="none", markersize=7, label=label, **style)
            for x, y in zip(xs, ys):
                ax.annotate(
                    f"{y:.1f}",
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=7,
                    color=style["color"],
                )
            shown += ys
            if multi and mean is not None:
                x, y, e = len(groups) + offset, 100 * mean, 100 * (std or 0.0)
                ax.errorbar(x, y, yerr=e, capsize=3, linestyle="none", markersize=7, **style)
                shown += [y - e, y + e]
        if multi:
            ax.axvline(len(groups) - 0.5, color="grey", lw=0.8, alpha=0.6)
        low = max(0.0, 10 * ((min(shown, default=0.0) - 3) // 10))
        # Headroom above the highest point for its value label, also at 100 (no tick above 100).
        high = max(shown, default=100.0) + 4
        ax.set_ylim(low, max(high, low + 10))
        ax.set_yticks([t for t in ax.get_yticks() if low <= t <= 100])
        ax.set_xlim(-0.6, n_cols - 0.4)
        ax.set_xticks(list(range(n_cols)))
        ax.set_xticklabels(labels + (["mean ± std"] if multi else []))
        ax.set_ylabel("F1 (%)")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        legend_title = "method: mean ± std F1" if multi else "method"
        ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)
        return path


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}"


def write_report(report: Report, out_dir: str | Path, *, plot: bool = True) -> dict[str, Path]:
    """Write ``report.md``, ``report.json`` and (with ``plot`` and scores) ``report.png``.

    Returns the paths written, keyed ``"md"``, ``"json"``, ``"png"`` (and ``"png-<split>"``
    for each held-out split scored, drawn to ``report-<split>.png``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    png = None
    if plot and report.has_scores:
        paths["png"] = report.plot(out / "report.png")
        png = "report.png"
    pngs: dict[str, str] = {}
    for split, r in report.heldout.items():
        if plot and r.has_scores:
            name = f"report-{split}.png"
            paths[f"png-{split}"] = r.plot(out / name, title=f"Held-out {split} F1 by model")
            pngs[split] = name
    paths["md"] = _write_text(out / "report.md", report.to_markdown(plot=png, heldout_plots=pngs))
    paths["json"] = _write_text(
        out / "report.json", json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    )
    return paths


def _write_text(path: Path, text: str) -> Path:
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
