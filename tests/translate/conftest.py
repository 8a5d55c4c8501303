"""Tiny NLLB / M2M-100 style translation models (built by ``_tiny_nllb``), and the Apertium
skip condition. Nothing is downloaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from _tiny import require
from _tiny_nllb import build_tiny_m2m, build_tiny_nllb


@pytest.fixture
def apertium() -> None:
    """Skip, saying why, where Debian's `apertium` command is not installed."""
    if shutil.which("apertium") is None:
        pytest.skip(
            "the `apertium` command is not installed (apt-get install apertium "
            "apertium-eng-spa apertium-eng-cat apertium-eu-en); CI installs it"
        )


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("torch", "transformers", "tokenizers")
    return build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb"))


@pytest.fixture(scope="session")
def tiny_m2m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("torch", "transformers", "sentencepiece")
    return build_tiny_m2m(tmp_path_factory.mktemp("tiny-m2m"))
