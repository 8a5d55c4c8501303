"""xproj._hf: window planning and ownership, the max-length probe, loading errors."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pytest

from xproj._hf import load_encoder, max_input_length, plan_windows, window_owner
from xproj.errors import InputError, ParameterError


def _old_starts(n: int, content: int) -> list[int]:
    """The aligner's subword windows as they were planned before the shared planner."""
    if n <= content:
        return [0]
    stride = max(1, content // 2)
    return [*range(0, n - content, stride), n - content]


@pytest.mark.parametrize(
    ("n", "content"), [(0, 5), (1, 5), (5, 5), (6, 5), (11, 4), (23, 5), (40, 12), (13, 2), (9, 3)]
)
def test_full_last_subword_windows_are_the_aligners_windows(n: int, content: int) -> None:
    windows = plan_windows([1] * n, content, content - max(1, content // 2), full_last=True)
    if n == 0:
        assert windows == []
        return
    assert [a for a, _ in windows] == _old_starts(n, content)
    assert all(b - a == min(n, content) for a, b in windows)  # every window is full
    owner = window_owner(windows, n)
    for p in range(n):
        a, b = windows[owner[p]]
        assert a <= p < b


@pytest.mark.parametrize("seed", range(20))
def test_windows_cover_respect_the_budget_and_advance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 5, size=int(rng.integers(1, 60))).tolist()
    budget = int(rng.integers(max(counts), 20))
    overlap = int(rng.integers(0, budget // 2 + 1))
    for full_last in (False, True):
        windows = plan_windows(counts, budget, overlap, full_last=full_last)
        assert windows[0][0] == 0 and windows[-1][1] == len(counts)
        for (a, b), (c, d) in itertools.pairwise(windows):
            assert a < c <= b < d  # contiguous coverage, each window further right
        assert all(sum(counts[a:b]) <= budget for a, b in windows)
        if not full_last:  # without the shift, overlaps stay within the bound
            assert all(
                sum(counts[c:b]) <= overlap for (_, b), (c, _) in itertools.pairwise(windows)
            )


def test_a_unit_longer_than_the_budget_names_the_sentence() -> None:
    with pytest.raises(InputError, match=r"sentence 4: word 1 has 9 subword tokens.*window of 8"):
        plan_windows([1, 9, 1], budget=8, overlap=2, sentence=4)


def test_owner_prefers_the_most_central_window_and_the_first_on_ties() -> None:
    # unit 2 is 1 from the edge of window 0 ([0, 4)) and 1 from window 1's ([1, 5)): a tie
    assert window_owner([(0, 4), (1, 5)], 6).tolist() == [0, 0, 0, 1, 1, -1]
    assert window_owner([(0, 5), (2, 7)], 7).tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert window_owner([], 3).tolist() == [-1, -1, -1]
    assert window_owner([(0, 2)], 0).tolist() == []


def _model(model_type: str, positions: int | None, padding_idx: int | None = None) -> Any:
    config = NS(model_type=model_type)
    if positions is not None:
        config.max_position_embeddings = positions
    embeddings = NS() if padding_idx is None else NS(padding_idx=padding_idx)
    base = NS(config=config, embeddings=embeddings)
    return NS(config=config, base_model=base)  # a head model: embeddings on its base model


@pytest.mark.parametrize(
    ("model", "declared", "expected"),
    [
        (_model("bert", 512), int(1e30), 512),
        (_model("bert", 512, padding_idx=0), None, 512),  # BERT counts positions from 0
        (_model("xlm-roberta", 514, padding_idx=1), int(1e30), 512),
        (_model("xlm-roberta", 514), 1024, 512),  # the family list where embeddings hide it
        (_model("custom", 130, padding_idx=3), 4096, 126),
        (_model("bert", 512), 128, 128),
        (_model("bert", None), 256, 256),
        (_model("bert", None), int(1e30), None),
        (_model("bert", None), 0, None),
    ],
)
def test_max_input_length(model: Any, declared: int | None, expected: int | None) -> None:
    assert max_input_length(model, NS(model_max_length=declared)) == expected


def test_layer_beyond_the_model_names_the_parameter_and_range(tiny_bert_path: Path) -> None:
    pytest.importorskip("torch")
    with pytest.raises(
        ParameterError,
        match=r"^The 'layer' parameter of finetune_encoder is 4, but .* has only 3 hidden "
        r"layers; choose layer in \[1, 3\]$",
    ):
        load_encoder(str(tiny_bert_path), 4, owner="finetune_encoder", device="cpu", trainable=True)
    with pytest.raises(ParameterError, match=r"could not load the model '.*nothing-here'"):
        load_encoder(
            str(tiny_bert_path.parent / "nothing-here"), 1, owner="X", device="cpu", trainable=False
        )


@pytest.fixture(scope="module")
def tiny_bert_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from _tiny import require, tiny_bert_encoder

    require("torch", "transformers", "tokenizers")
    path = tmp_path_factory.mktemp("tiny-bert")
    return tiny_bert_encoder(
        path, ["the cat sat on the mat"] * 3, vocab_size=60, layers=3, positions=64
    )
