"""xproj._extras: optional imports that name the extra to install."""

import sys

import pytest

from xproj._extras import check_installed, import_extra
from xproj.errors import MissingExtraError


def test_missing_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingExtraError, match=r"needs the Python package 'transformers'") as e:
        import_extra("transformers", "transformers", what="The NLLB translator")
    assert e.value.extra == "transformers"
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[embedded\]"'):
        check_installed(("json", "transformers"), "embedded", what="The encoder")
    check_installed(("json",), "embedded", what="The encoder")
