"""The Python blocks of README.md and docs/*.md run, so that the documentation cannot rot.

Conventions for a fenced block whose info string starts with ``python``:

- ``python``: runs. The blocks of one file run in order in one namespace (as in a notebook),
  from a scratch copy of the repository's ``examples/`` folder, i.e. as if from the repository
  root. A block whose first line starts with ``>>>`` is a doctest: its outputs are compared.
- ``python slow``: runs only with ``-m slow`` (it loads a model); later fast blocks must not
  depend on it.
- ``python notest: REASON``: does not run (a fragment, a hub model, a program the tests do not
  have); the reason is required.
- ``python needs=MODULE``: runs where the optional package ``MODULE`` is installed; where it is
  not, the file's test stops there and is skipped, saying so.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import shutil
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xproj.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.S | re.M)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    kind: str  # "run", "slow" or "notest"
    reason: str
    code: str
    needs: str = ""


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        info = m.group(1).strip()
        line = text[: m.start()].count("\n") + 2  # the block's first code line
        needs = ""
        if info.startswith("needs="):
            info, needs = "", info.removeprefix("needs=").strip()
        kind, _, reason = info.partition(":")
        kind = kind.strip() or "run"
        if kind not in ("run", "slow", "notest"):
            raise AssertionError(f"{path.name}:{line}: unknown block marker {info!r}")
        out.append(Block(path, line, kind, reason.strip(), m.group(2), needs))
    return out


def _run(block: Block, namespace: dict[str, object]) -> None:
    where = f"{block.path.relative_to(ROOT)}:{block.line}"
    if block.needs and importlib.util.find_spec(block.needs) is None:
        pytest.skip(f"{where} needs the optional package {block.needs!r}")
    if block.code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(block.code, namespace, where, where, block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        assert runner.failures == 0, f"{where}: doctest failed\n" + "".join(report)
        return
    try:
        exec(compile(block.code, where, "exec"), namespace)
    except Exception as e:
        raise AssertionError(f"{where}: the block raised {type(e).__name__}: {e}") from e


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder holding a copy of examples/, as the current folder; registries restored after."""
    import xproj

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    registries: list[Registry[Any]] = [
        xproj.translators,
        xproj.labellers,
        xproj.aligners,
        xproj.projectors,
    ]
    before = [set(r.names()) for r in registries]
    yield tmp_path
    for registry, names in zip(registries, before):
        for name in set(registry.names()) - names:
            registry.unregister(name)


def _module(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The namespace of a module registered for the test (dataclasses look classes up in it)."""
    module = types.ModuleType(f"docs_{path.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__dict__


def _files_with(kinds: tuple[str, ...]) -> list[Path]:
    return [p for p in FILES if any(b.kind in kinds for b in blocks(p))]


@pytest.mark.parametrize("path", _files_with(("run",)), ids=lambda p: p.name)
def test_docs_python_blocks_run(path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = _module(path, monkeypatch)
    for block in blocks(path):
        if block.kind == "run":
            _run(block, namespace)


@pytest.mark.slow
@pytest.mark.parametrize("path", _files_with(("slow",)), ids=lambda p: p.name)
def test_docs_python_blocks_run_with_models(
    path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = _module(path, monkeypatch)
    for block in blocks(path):
        if block.kind in ("run", "slow"):
            _run(block, namespace)


def test_every_python_block_runs_or_says_why_not() -> None:
    unexplained = [
        f"{b.path.relative_to(ROOT)}:{b.line}"
        for p in FILES
        for b in blocks(p)
        if b.kind == "notest" and not b.reason
    ]
    assert not unexplained, f"blocks marked notest without a reason: {unexplained}"
    assert any(b.kind == "run" for b in blocks(ROOT / "docs" / "plugins.md"))


def test_a_failing_block_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("text\n\n```python\nassert 1 == 2\n```\n\n```python\n>>> 1 + 1\n3\n```\n")
    got = blocks(doc)
    assert [(b.line, b.kind) for b in got] == [(4, "run"), (8, "run")]
    fake = [Block(ROOT / "x.md", b.line, b.kind, b.reason, b.code) for b in got]
    with pytest.raises(AssertionError, match=r"x\.md:4: the block raised AssertionError"):
        _run(fake[0], {})
    with pytest.raises(AssertionError, match=r"x\.md:8: doctest failed"):
        _run(fake[1], {})


def test_a_block_needing_a_missing_package_skips_saying_which(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("```python needs=no_such_package_xyz\nraise SystemExit\n```\n")
    (block,) = blocks(doc)
    assert block.needs == "no_such_package_xyz" and block.kind == "run"
    fake = Block(ROOT / "x.md", block.line, block.kind, block.reason, block.code, block.needs)
    with pytest.raises(pytest.skip.Exception, match="needs the optional package"):
        _run(fake, {})
