"""xproj.flows: the label-project flow's plan and the config checks of train and evaluate
steps (each bad config names the key and what to do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xproj.config import ConfigError, RunConfig
from xproj.flows import FLOWS, plan


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "flow": "label-project",
        "stages": {
            "labeller": {"backend": "spacy"},
            "aligner": {"backend": "simalign"},
            "projectors": [{"backend": "heuristic"}],
        },
        "datasets": [
            {
                "name": "hau",
                "lang": "hau",
                "source_text": "en.txt",
                "translations": "hau.txt",
                "heldout": {"dev": "dev.txt", "test": {"path": "test.txt", "limit": 5}},
            }
        ],
        "steps": [
            {"kind": "train", "name": "multi", "inputs": ["heuristic"], "pool": True},
            {"kind": "evaluate", "name": "transfer"},
            {"kind": "evaluate", "name": "proj", "inputs": ["multi"]},
        ],
    }
    data.update(changes)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict(data)
    return str(e.value)


def test_label_project_plans_label_unless_labels_are_given() -> None:
    flow = FLOWS["label-project"]
    assert [s.kind for s in plan(flow, {"source_text", "translations"})] == [
        "label",
        "align",
        "project",
    ]
    assert [s.kind for s in plan(flow, {"source_text"})] == [
        "translate",
        "label",
        "align",
        "project",
    ]
    assert [s.kind for s in plan(flow, {"source_text", "translations", "labels"})] == [
        "align",
        "project",
    ]


def test_a_valid_config_round_trips_with_its_new_fields(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(_data(), base_dir=tmp_path)
    assert cfg.steps[0].pool and cfg.datasets[0].heldout["test"].limit == 5
    sub = tmp_path / "sub"
    sub.mkdir()
    cfg.dump(sub / "run.toml")
    again = RunConfig.from_file(sub / "run.toml")
    assert again.resolve(again.datasets[0].heldout["dev"].path) == tmp_path / "dev.txt"
    assert again.steps == cfg.steps


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"stages": {"aligner": {"backend": "simalign"}, "projectors": [{"backend": "greedy"}]}},
            "datasets[0]: gives no labels and [stages.labeller] is not set",
        ),
        (
            {"steps": [{"kind": "evaluate", "name": "e", "inputs": ["heuristic"]}]},
            "steps[0].inputs: an evaluate step scores one earlier train step's model (trained: "
            "none) or, without inputs, a labeller",
        ),
        (
            {"steps": [{"kind": "evaluate", "name": "e", "params": {"splits": ["train"]}}]},
            "steps[0].params.splits: no dataset has held-out gold 'train'; held-out splits "
            "given: dev, test",
        ),
        (
            {"steps": [{"kind": "evaluate", "name": "e", "params": {"split": "dev"}}]},
            "steps[0].params: an evaluate step takes splits",
        ),
        (
            {"steps": [{"kind": "vote", "name": "v", "inputs": ["heuristic"], "pool": True}]},
            "steps[0]: only a train or selftrain step has pool, mix, label_dataset and min_score",
        ),
        (
            {
                "steps": [
                    {"kind": "train", "name": "t", "inputs": ["heuristic"], "label_dataset": False},
                    {"kind": "vote", "name": "v", "inputs": ["heuristic", "t"]},
                ]
            },
            "steps[1].inputs: no method named 't' before this step; known: heuristic",
        ),
        (  # a bool is no vote count (one check shared with Pipeline's steps)
            {
                "steps": [
                    {"kind": "train", "name": "t", "inputs": ["heuristic"]},
                    {
                        "kind": "vote",
                        "name": "v",
                        "inputs": ["heuristic", "t"],
                        "params": {"min_votes": True},
                    },
                ]
            },
            "steps[1].params: a vote step takes min_votes, an int in [1, 2]",
        ),
        (
            {"steps": [{"kind": "train", "name": "t", "inputs": []}]},
            "steps[0].inputs: a train step reads at least one method",
        ),
        (
            {
                "steps": [
                    {"kind": "train", "name": "t", "inputs": ["heuristic"]},
                    {"kind": "evaluate", "name": "t", "inputs": ["t"]},
                ]
            },
            "steps[1].name: 't' is already a method",
        ),
        (
            {"steps": [{"kind": "evaluate", "name": "e", "labeller": {"backend": "spacey"}}]},
            "steps[0].labeller.backend: no labeller named 'spacey'",
        ),
        (
            {"steps": [{"kind": "train", "name": "t", "inputs": ["heuristic"], "mix": [{}]}]},
            "steps[0].mix[0].path: required field missing",
        ),
    ],
)
def test_bad_steps_name_the_key(changes: dict[str, Any], expected: str) -> None:
    assert expected in _error(_data(**changes))


def test_evaluate_needs_heldout_gold_and_a_labeller() -> None:
    data = _data()
    del data["datasets"][0]["heldout"]
    assert "steps[1]: no dataset has held-out gold (datasets[i].heldout) to score" in _error(data)
    data = _data(flow="translate-train")
    data["datasets"] = [
        {
            "name": "d",
            "lang": "de",
            "source": "en.conll",
            "translations": "de.txt",
            "heldout": {"dev": "d.conll"},
        }
    ]
    del data["stages"]["labeller"]
    assert "steps[1]: an evaluate step without inputs scores a labeller" in _error(data)
    # its own labeller will do
    data["steps"][1]["labeller"] = {"backend": "spacy"}
    RunConfig.from_dict(data)


def test_missing_heldout_and_mix_files_are_named(tmp_path: Path) -> None:
    for name in ("en.txt", "hau.txt", "dev.txt", "test.txt"):
        (tmp_path / name).write_text("x\n")
    data = _data()
    data["steps"][0]["mix"] = ["conll.txt"]
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"steps\[0\]\.mix\[0\]: .*conll\.txt"):
        cfg.check_files()
    (tmp_path / "test.txt").unlink()
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.heldout\.test: .*test\.txt"):
        cfg.check_files()


def test_every_step_kind_has_a_row_in_the_architecture_table() -> None:
    from xproj.flows import STEP_KINDS

    text = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    for kind in STEP_KINDS:
        assert f"\n| `{kind}` |" in text, kind
    for name in FLOWS:
        assert f"\n| `{name}` |" in text, name
