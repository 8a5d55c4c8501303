"""Builders of tiny random transformers models, shared by the stage conftests.

Tokenizers are trained on the fly on a few sentences, models get random weights from small
configs: nothing is downloaded. ``tests/conftest.py`` puts this directory on ``sys.path``, so
conftests import this module as ``_tiny``. torch, tokenizers and transformers are imported
inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

#: The sizes every tiny encoder shares: 32-wide, 2 heads, 64-wide feed-forward layers.
ENCODER_SIZES = {"hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}


def require(*packages: str) -> None:
    """Skip the test, saying which, when one of ``packages`` is not installed."""
    for package in packages:
        pytest.importorskip(package)


def wordpiece_tokenizer(
    texts: Sequence[str],
    *,
    vocab_size: int,
    model_max_length: int,
    fast_class: str = "PreTrainedTokenizerFast",
) -> Any:
    """A BERT-like WordPiece tokenizer (``[CLS] … [SEP]``, ``##`` continuations), cased.

    ``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]`` are ids 0 to 4. ``fast_class`` names
    the transformers class that wraps it (``"BertTokenizerFast"`` saves a BERT tokenizer
    config).
    """
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        list(texts), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials)
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return getattr(transformers, fast_class)(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
    )


def unigram_tokenizer(
    texts: Sequence[str], *, vocab_size: int, model_max_length: int, nfkc: bool
) -> Any:
    """An XLM-R-like SentencePiece Unigram tokenizer (``▁`` word starts, ``<s> … </s>``).

    ``<s>``, ``<pad>``, ``</s>``, ``<unk>`` are ids 0 to 3; ``nfkc`` adds an NFKC normaliser.
    """
    import transformers
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    tok = Tokenizer(models.Unigram())
    if nfkc:
        tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok.train_from_iterator(
        list(texts),
        trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>"),
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    # transformers 5's PreTrainedTokenizerFast (TokenizersBackend) has an unannotated __init__
    fast: Any = transformers.PreTrainedTokenizerFast
    return fast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=model_max_length,
    )


def encoder_config(
    config_class: str, *, vocab_size: int, layers: int, positions: int, **extra: Any
) -> Any:
    """A transformers encoder config (``"BertConfig"``, ``"XLMRobertaConfig"``) of
    :data:`ENCODER_SIZES` with ``layers`` layers and ``positions`` position embeddings."""
    import transformers

    return getattr(transformers, config_class)(
        vocab_size=vocab_size,
        num_hidden_layers=layers,
        max_position_embeddings=positions,
        **ENCODER_SIZES,
        **extra,
    )


def tiny_bert_encoder(
    path: Path, corpus: list[str], *, vocab_size: int, layers: int, positions: int
) -> Path:
    """Save a random ``BertModel`` (no head, seed 0) and a WordPiece tokenizer trained on
    ``corpus`` to ``path``; the tokenizer's limit is ``positions``."""
    import torch
    from transformers import BertModel

    tokenizer = wordpiece_tokenizer(corpus, vocab_size=vocab_size, model_max_length=positions)
    config = encoder_config(
        "BertConfig", vocab_size=len(tokenizer), layers=layers, positions=positions
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
