"""``xproj.io._files``: the output-location check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xproj.errors import OutputError
from xproj.io._files import prepare_output


def test_prepare_output_creates_folders_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = prepare_output(tmp_path / "a" / "b", kind="dir")
    assert out.is_dir() and list(out.iterdir()) == []
    f = prepare_output(tmp_path / "c" / "x.conll", kind="file")
    assert f.parent.is_dir() and not f.exists()
    f.write_text("kept")
    prepare_output(f, kind="file")  # an existing file is checked, not truncated
    assert f.read_text() == "kept"


def test_prepare_output_names_the_blocking_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"'.*/f' is a file, not a folder"):
        prepare_output(tmp_path / "f" / "sub", kind="dir", what="-o")
    with pytest.raises(OutputError, match=r"^-o '.*' is a folder; give a file name"):
        prepare_output(tmp_path, kind="file", what="-o")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write read-only folders"
)
def test_prepare_output_read_only_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"cannot write to '.*ro'"):
            prepare_output(ro, kind="dir")
    finally:
        ro.chmod(0o755)


def test_prepare_output_unwritable_without_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that exists but refuses new files (simulated: the probe file cannot be made)."""
    import tempfile

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"cannot write to '.*': Permission denied; choose"):
        prepare_output(tmp_path, kind="dir", what="the output folder")
