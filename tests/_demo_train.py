"""examples/demo_train.toml made fast for tests: a tiny random encoder, built here, as the
aligner's and the train step's model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xproj.config import load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = EXAMPLES / "data"


def demo_train_config(tmp_path: Path, name: str = "demo_train.toml", **runner: Any) -> Path:
    """examples/demo_train.toml with a tiny random encoder (built here) as the aligner's and
    the train step's model, written to ``tmp_path / name`` (paths rebased); ``runner`` updates
    the ``[runner]`` table. The encoder is built once per ``tmp_path``."""
    pytest.importorskip("transformers")
    from _tiny import tiny_bert_encoder
    from xproj.config import StageSpec, StepConfig

    corpus = (DATA / "demo.en.conll").read_text().split() + (
        DATA / "demo.de.txt"
    ).read_text().split()
    lines = [" ".join(corpus[i : i + 12]) for i in range(0, len(corpus), 12)]
    tiny = tmp_path / "tiny"
    if not tiny.is_dir():
        tiny_bert_encoder(tiny, lines, vocab_size=300, layers=2, positions=64)
    cfg = load_config(EXAMPLES / "demo_train.toml")
    assert cfg.stages.aligner is not None
    params = {**cfg.stages.aligner.params, "model": str(tiny), "layer": 2}
    aligner = StageSpec(backend="simalign", params=params)
    step = cfg.steps[0]
    train = StepConfig(
        kind=step.kind,
        name=step.name,
        inputs=step.inputs,
        params={**step.params, "model": str(tiny), "epochs": 1.0},
    )
    stages = cfg.stages.model_copy(update={"aligner": aligner})
    path = tmp_path / name
    update: dict[str, Any] = {"stages": stages, "steps": [train]}
    if runner:
        update["runner"] = cfg.runner.model_copy(update=runner)
    cfg.model_copy(update=update).dump(path)
    return path
