"""finetune_encoder on a tiny random BERT: the loss falls, the saved model aligns; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xproj.align.finetune import INFO_FILE, Objective, finetune_encoder
from xproj.align.simalign import SimAlignAligner
from xproj.errors import InputError, ParameterError
from xproj.types import Sentence

PAIRS = [
    ("the cat sat on the mat", "le chat est assis sur le tapis"),
    ("the cat sat", "le chat est assis"),
    ("on the mat", "sur le tapis"),
    ("the shogun reigned until 1394", "le shogun a régné jusqu' en 1394"),
    ("the cat reigned", "le chat a régné"),
    ("oceans exist on titan", "des océans existent sur titan"),
]


def _sentences() -> tuple[list[Sentence], list[Sentence]]:
    src = [Sentence(tuple(s.split())) for s, _ in PAIRS]
    tgt = [Sentence(tuple(t.split())) for _, t in PAIRS]
    return src, tgt


@pytest.mark.parametrize("objective", list(Objective))
def test_loss_falls_and_saved_model_aligns(
    tiny_bert: Path, tmp_path: Path, objective: Objective
) -> None:
    import torch
    from transformers import AutoModel

    src, tgt = _sentences()
    out = tmp_path / "tuned"
    result = finetune_encoder(
        src,
        tgt,
        output_dir=out,
        model=str(tiny_bert),
        layer=2,
        steps=40,
        batch_size=3,
        learning_rate=3e-3,
        objective=objective,
        threshold=0.2,
        seed=1,
    )
    assert result.steps == len(result.losses) == 40
    assert result.pairs == len(PAIRS)
    first, last = result.losses[:8], result.losses[-8:]
    assert sum(last) / len(last) < sum(first) / len(first) - 0.05

    # The saved model: cut at the alignment layer, embeddings as before, layers changed.
    before = AutoModel.from_pretrained(tiny_bert)
    after = AutoModel.from_pretrained(out)
    assert after.config.num_hidden_layers == result.layer == 2
    assert torch.equal(
        before.embeddings.word_embeddings.weight, after.embeddings.word_embeddings.weight
    )
    w0 = before.encoder.layer[0].attention.self.query.weight
    assert not torch.equal(w0, after.encoder.layer[0].attention.self.query.weight)
    info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
    assert info["layer"] == 2 and info["objective"] == objective.value

    aligner = SimAlignAligner(model=result.output_dir, layer=result.layer)
    alignments = aligner.align(src, tgt)
    assert len(alignments) == len(src)
    assert all(a.links for a in alignments)


def test_output_dir_is_not_overwritten(tiny_bert: Path, tmp_path: Path) -> None:
    src, tgt = _sentences()
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match="already holds files.*overwrite=True"):
        finetune_encoder(src, tgt, output_dir=tmp_path, model=str(tiny_bert), layer=2, steps=1)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"steps": 0}, "'steps' parameter of finetune_encoder must be an int >= 1. Got 0"),
        ({"objective": "mse"}, "'objective' parameter of finetune_encoder must be one of"),
        ({"threshold": 1.0}, "'threshold' parameter of finetune_encoder must be a float in"),
        ({"learning_rate": 0.0}, "'learning_rate' parameter"),
        ({"device": "gpu"}, "'device' parameter"),
    ],
)
def test_bad_parameters(tmp_path: Path, params: dict[str, object], message: str) -> None:
    src, tgt = _sentences()
    with pytest.raises(ParameterError, match=message):
        finetune_encoder(src, tgt, output_dir=tmp_path / "out", **params)  # type: ignore[arg-type]


def test_bad_pairs(tiny_bert: Path, tmp_path: Path) -> None:
    src, tgt = _sentences()
    with pytest.raises(InputError, match="6 source but 5 target"):
        finetune_encoder(src, tgt[:5], output_dir=tmp_path / "a")
    with pytest.raises(InputError, match=r"targets\[1\] is list"):
        finetune_encoder(src[:2], [tgt[0], ["le", "chat"]], output_dir=tmp_path / "b")  # type: ignore[list-item]
    with pytest.raises(
        ParameterError,
        match=r"'layer' parameter .* has only 3 hidden layers; choose layer in \[1, 3\]",
    ):
        finetune_encoder(src, tgt, output_dir=tmp_path / "c", model=str(tiny_bert), layer=5)


def test_targets_cover_every_subword_pair_of_linked_words() -> None:
    import torch

    from xproj.align.finetune import _guide, _probabilities

    # Source word 0 has subwords 0 and 1, word 1 has subword 2; target words have one each.
    p_st = torch.tensor([[[0.9, 0.1], [0.5, 0.5], [0.0005, 0.9995]]])
    p_ts = torch.tensor([[[0.6, 0.001], [0.1, 0.0005], [0.3, 0.9985]]])
    ws, wt = torch.tensor([[0, 0, 1]]), torch.tensor([[0, 1]])
    kt = torch.tensor([[True, True]])
    # Subword links at c = 0.2: (0, 0) and (2, 1); subword 1 joins through its word.
    g = _guide((p_st, p_ts), (torch.tensor([[True, True, True]]), kt), (ws, wt), 0.2)
    assert g.tolist() == [[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]]
    # A subword that takes no part (a bare "▁") gets no target.
    g = _guide((p_st, p_ts), (torch.tensor([[True, False, True]]), kt), (ws, wt), 0.2)
    assert g.tolist() == [[[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]]

    torch.manual_seed(0)
    hs, ht = torch.randn(1, 3, 4), torch.randn(1, 2, 4)
    ks = torch.tensor([[True, False, True]])
    kt = torch.tensor([[False, True]])
    p_st, p_ts = _probabilities(hs, ht, ks, kt)
    assert torch.allclose(p_st[0, :, 1], torch.ones(3))  # the one kept target takes it all
    assert torch.allclose(p_ts.sum(dim=1), torch.ones(1, 2))
    assert float(p_ts[0, 1].max()) < 1e-6  # the skipped source subword gets nothing
