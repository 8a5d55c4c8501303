"""Tiny NLLB / M2M-100 style translation models built locally: random weights, tokenizers
trained here; nothing is downloaded. Used by the translate conftest and the NMT scorer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = [
    "La casa es grande .",
    "El señor de Palacio vive en Madrid .",
    "Angela Merkel visited Paris on Monday .",
    "The European Parliament met in Brussels with the Commission .",
    "Mrs Thatcher spoke to President Clinton about the United Nations .",
    "Hola , ¿ qué tal ? Muy bien ; gracias !",
]


def _randomise(model: Any, seed: int, keep: list[int]) -> None:
    """Larger random weights than the default init, so outputs depend on the input, and no
    language-code or special tokens generated mid-sentence (what training teaches a real model).

    The tokens not in ``keep`` get a large negative logit through the weights: the decoder's
    final layer norm makes feature 0 a constant 1, and the output projection weighs it -1000 for
    those tokens (the forced language token is still forced by the forced-BOS processor)."""
    import torch

    torch.manual_seed(seed)
    for p in model.parameters():
        if p.dim() > 1:
            torch.nn.init.normal_(p, std=0.3)
    with torch.no_grad():
        norm = model.model.decoder.layer_norm
        norm.weight[0], norm.bias[0] = 0.0, 1.0
        head = model.lm_head.weight
        head[:, 0] = -1000.0
        head[keep, 0] = 0.0


def _m2m100_model(vocab_size: int, tokenizer: Any, positions: int = 64) -> Any:
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    config = M2M100Config(
        vocab_size=vocab_size,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    return M2M100ForConditionalGeneration(config)


def build_tiny_nllb(path: Path) -> Path:
    """An ``NllbTokenizer`` over a BPE vocabulary trained here, and a random M2M-100 model."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import NllbTokenizer

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bpe.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe.train_from_iterator(
        CORPUS * 5, trainers.BpeTrainer(vocab_size=120, special_tokens=specials)
    )
    spec = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in spec["merges"]]
    # transformers annotates ``merges`` as ``list[str]``, but hands it to tokenizers' BPE, which
    # takes (left, right) pairs; unused-ignore for transformers versions that annotate it right
    tok = NllbTokenizer(
        vocab=spec["vocab"],
        merges=merges,  # type: ignore[arg-type, unused-ignore]
        model_max_length=64,
    )
    tok.save_pretrained(path)
    n_text = len(spec["vocab"])
    model = _m2m100_model(len(tok), tok)
    # text tokens and end-of-sentence may be generated; the forced language token is let
    # through by the forced-BOS processor itself
    _randomise(model, 0, keep=[i for i in range(4, n_text)] + [tok.eos_token_id])
    model.save_pretrained(path)
    return path


def build_tiny_m2m(path: Path) -> Path:
    """An ``M2M100Tokenizer`` over a sentencepiece model trained here, and a random model."""
    import sentencepiece as spm
    from transformers import M2M100Tokenizer

    path.mkdir(parents=True, exist_ok=True)
    corpus = path / "corpus.txt"
    corpus.write_text("\n".join(CORPUS * 5), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(path / "spm"),
        vocab_size=60,
        model_type="unigram",
        hard_vocab_limit=False,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(path / "spm.model"))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for i in range(sp.get_piece_size()):
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tok = M2M100Tokenizer(
        vocab_file=str(path / "vocab.json"),
        spm_file=str(path / "spm.model"),
        model_max_length=64,
    )
    out = path / "model"
    tok.save_pretrained(out)
    n_vocab = max(tok.lang_token_to_id.values()) + 1
    model = _m2m100_model(n_vocab, tok)
    _randomise(model, 1, keep=[i for i in range(4, len(vocab))] + [tok.eos_token_id])
    model.save_pretrained(out)
    return out
