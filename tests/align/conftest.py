"""Tiny random encoders saved to disk with tokenizers trained on the fly (nothing downloaded).

Each fixture saves a model and its fast tokenizer with ``save_pretrained`` so that the aligners
load them through the real ``AutoModel.from_pretrained(path)`` /
``AutoTokenizer.from_pretrained(path)`` code path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _tiny import encoder_config, require, tiny_bert_encoder, unigram_tokenizer

CORPUS = [
    "the cat sat on the mat",
    "le chat est assis sur le tapis",
    "der Hund läuft schnell über die Straße",
    "scientists have long conjectured that oceans exist on titan",
    "科学家 一直 猜想 土卫六 上 存在 着 海洋",
    "足利 義満 は 室町 幕府 の 将軍",
    "in 1368 the shogun reigned until 1394",
]


@pytest.fixture(scope="session")
def tiny_xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-layer XLM-R with 16 positions (14 subwords per window incl. <s> and </s>)."""
    require("torch", "transformers", "tokenizers")
    import torch
    from transformers import XLMRobertaModel

    path = tmp_path_factory.mktemp("tiny-xlmr")
    tokenizer = unigram_tokenizer(CORPUS * 3, vocab_size=150, model_max_length=14, nfkc=True)
    config = encoder_config(
        "XLMRobertaConfig", vocab_size=len(tokenizer), layers=4, positions=16, pad_token_id=1
    )
    torch.manual_seed(0)
    XLMRobertaModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-layer BERT with 512 positions and a WordPiece tokenizer."""
    require("torch", "transformers", "tokenizers")
    path = tmp_path_factory.mktemp("tiny-bert")
    return tiny_bert_encoder(path, CORPUS * 3, vocab_size=200, layers=3, positions=512)
