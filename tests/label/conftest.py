"""Tiny token-classification models (built by ``_tiny_ner``) as session fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from _tiny import require
from _tiny_ner import CORPUS, _bert, _bert_encoder, _xlmr


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("torch", "transformers", "tokenizers")
    return _bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_bert_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT encoder without a classifier (training it gives a new classifier)."""
    require("torch", "transformers", "tokenizers")
    return _bert_encoder(tmp_path_factory.mktemp("tiny-bert-encoder"))


@pytest.fixture(scope="session")
def tiny_xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("torch", "transformers", "tokenizers")
    return _xlmr(tmp_path_factory.mktemp("tiny-xlmr"))


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    """The sentences the tiny tokenizers were trained on, as space-separated words."""
    return list(CORPUS)
