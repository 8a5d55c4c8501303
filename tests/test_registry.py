import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

import xproj
from xproj.errors import RegistryError
from xproj.project.base import Projector
from xproj.registry import Registry
from xproj.types import Alignment, LabelledSentence, Projection, Sentence


@dataclass(kw_only=True)
class NullProjector(Projector):
    name = "null"

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        return [
            Projection.build(t.words, [], len(s.spans), t.lang) for s, t in zip(sources, targets)
        ]


def test_unknown_name_lists_available() -> None:
    with pytest.raises(RegistryError, match=r"No projector named 'nope'\. Available: .*greedy"):
        xproj.projectors.get("nope")


def test_register_and_get_with_params() -> None:
    reg: Registry[Projector] = Registry(
        "projector", "xproj.test-none", "xproj.project.base.Projector"
    )
    reg.register("null", NullProjector)
    assert "null" in reg and reg.names() == ["null"]
    assert isinstance(reg.get("null"), NullProjector)
    with pytest.raises(RegistryError, match="must be a subclass"):
        reg.register("bad", dict)  # type: ignore[arg-type]
    reg.unregister("null")
    assert reg.names() == []
    with pytest.raises(RegistryError, match="No projector named 'null' to unregister"):
        reg.unregister("null")


def test_lazy_target_that_fails_to_load_says_so() -> None:
    reg: Registry[Projector] = Registry(
        "projector", "xproj.test-none", "xproj.project.base.Projector"
    )
    reg.add_lazy("ghost", "xproj.no_such_module:Ghost")
    with pytest.raises(RegistryError, match="could not be loaded"):
        reg.get("ghost")


def test_import_xproj_is_light() -> None:
    code = (
        "import sys, xproj; xproj.projectors.names(); xproj.aligners.names();"
        "bad = [m for m in ('torch', 'transformers', 'pulp') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
