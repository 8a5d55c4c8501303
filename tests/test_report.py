"""xproj.report: F1 tables, mean and standard deviation across languages, JSON and the plot."""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

from xproj.errors import MissingExtraError
from xproj.report import Report, write_report

SCORES = {
    "europarl-de": {
        "greedy": {"f1": 0.904, "precision": 0.91, "recall": 0.898, "support": 700},
        "heuristic": {"f1": 0.899, "precision": 0.9, "recall": 0.898, "support": 700},
    },
    "europarl-es": {
        "greedy": {"f1": 0.9, "precision": 0.9, "recall": 0.9, "support": 702},
        "heuristic": {"f1": 0.892, "precision": 0.89, "recall": 0.894, "support": 702},
    },
    "europarl-it": {
        "greedy": {"f1": 0.847, "precision": 0.85, "recall": 0.844, "support": 690},
        "heuristic": {"f1": 0.847, "precision": 0.84, "recall": 0.854, "support": 690},
    },
}
LANGS = {"europarl-de": "de", "europarl-es": "es", "europarl-it": "it"}


def _report(**kw: Any) -> Report:
    return Report.from_scores(SCORES, langs=LANGS, methods=("heuristic", "greedy"), **kw)


def test_mean_and_sample_std_across_languages() -> None:
    r = _report()
    f1 = [0.904, 0.9, 0.847]
    assert r.values("greedy") == f1
    assert r.mean("greedy") == pytest.approx(statistics.mean(f1))
    assert r.std("greedy") == pytest.approx(statistics.stdev(f1))  # n - 1
    assert r.mean("greedy", "precision") == pytest.approx((0.91 + 0.9 + 0.85) / 3)
    one = Report.from_scores({"d": {"m": {"f1": 0.5}}})
    assert one.mean("m") == 0.5 and one.std("m") is None
    assert Report.from_scores({"d": {}}, methods=("m",)).mean("m") is None


def test_markdown_tables() -> None:
    r = _report()
    table = r.f1_table().splitlines()
    assert table[0] == "| dataset | lang | heuristic | greedy |"
    assert table[2] == "| europarl-de | de | 89.9 | 90.4 |"
    mean = statistics.mean([0.899, 0.892, 0.847])
    assert table[-2] == f"| **mean** |  | **{100 * mean:.1f}** | **88.4** |"
    sd = statistics.stdev([0.904, 0.9, 0.847])
    assert table[-1].endswith(f"| {100 * sd:.1f} |")
    md = r.to_markdown(plot="report.png")
    assert "![F1 by language and method](report.png)" in md
    assert "| europarl-it | greedy | 85.0 | 84.4 | 84.7 | – | 690 |  |  |" in md


def test_missing_scores_show_a_dash_and_no_gold_says_so() -> None:
    scores = {"a": {"m1": {"f1": 0.5}}, "b": {"m1": {"f1": 0.7}, "m2": {"f1": 0.9}}}
    r = Report.from_scores(scores, methods=("m1", "m2"))
    assert "| a |  | 50.0 | – |" in r.f1_table()
    assert r.std("m2") is None
    empty = Report.from_scores({"a": {}}, methods=("m1",))
    assert "No dataset has gold labels" in empty.to_markdown()


def test_json_holds_scores_and_summary(tmp_path: Path) -> None:
    stats = {d: {"greedy": {"source_entities": 702}} for d in SCORES}
    paths = write_report(_report(stats=stats), tmp_path, plot=False)
    assert set(paths) == {"md", "json"}
    data = json.loads(paths["json"].read_text())
    assert data["methods"] == ["heuristic", "greedy"]
    assert [d["lang"] for d in data["datasets"]] == ["de", "es", "it"]
    assert data["datasets"][1]["scores"]["greedy"]["f1"] == 0.9
    assert data["datasets"][0]["projection"]["greedy"]["source_entities"] == 702
    g = data["summary"]["greedy"]
    assert g["n"] == 3 and g["min_f1"] == 0.847 and g["max_f1"] == 0.904
    assert math.isclose(g["std_f1"], statistics.stdev([0.904, 0.9, 0.847]))


def test_reports_are_deterministic(tmp_path: Path) -> None:
    a = write_report(_report(), tmp_path / "a", plot=False)
    b = write_report(_report(), tmp_path / "b", plot=False)
    assert a["md"].read_bytes() == b["md"].read_bytes()
    assert a["json"].read_bytes() == b["json"].read_bytes()


def test_plot_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    paths = write_report(_report(), tmp_path)
    png = paths["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert width >= 600 and height >= 400
    # a single dataset (no mean column) plots too
    single = Report.from_scores({"d": SCORES["europarl-de"]}).plot(tmp_path / "one.png")
    assert single.read_bytes()[:4] == b"\x89PNG"


def test_missing_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a None entry in sys.modules makes every import of it fail, as when it is not installed
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[report\]"'):
        _report().plot(tmp_path / "x.png")
