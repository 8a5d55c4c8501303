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


def test_every_kind_has_a_registry_whose_builtins_load() -> None:
    from xproj._registrations import KINDS

    for attr, kind in KINDS.items():
        reg = getattr(xproj, attr)
        assert reg.group == kind.group and set(kind.builtins) <= set(reg.names())
        if attr in ("translators", "labellers", "aligners"):
            continue  # neural backends: their modules load heavy optional packages
        for name in kind.builtins:
            cls = reg.get_class(name)
            assert issubclass(cls, reg.base) and reg.name_of(cls) == name


def test_nested_components_resolve_without_other_imports() -> None:
    # a scorer of a module nothing imported yet (a fresh interpreter): found through its registry
    code = (
        "from xproj.config import RunConfig\n"
        "cfg = RunConfig.from_dict({'stages': {'aligner': {'backend': 'simalign'}, "
        "'projectors': [{'backend': 'greedy', 'params': {'scorer': {'type': 'ner', "
        "'labeller': {'type': 'spacy'}, 'hard_labels': True}}}]}, "
        "'datasets': [{'name': 'd', 'lang': 'de', 'source': 'a', 'translations': 'b'}]})\n"
        "print(cfg.stages.projectors[0].params['scorer']['type'])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ner"


def test_misspelled_parameter_names_the_valid_ones() -> None:
    with pytest.raises(
        xproj.ParameterError, match=r"has no parameter 'n_prj'; its parameters are: "
    ):
        xproj.projectors.get("greedy", n_prj=2)
    with pytest.raises(xproj.ParameterError, match="'min_scor'; its parameters are: .*min_score"):
        xproj.projectors.get("ilp", min_scor=0.1)


def test_builtin_names_cannot_be_taken() -> None:
    with pytest.raises(RegistryError, match="'greedy' is the name of a built-in projector"):
        xproj.projectors.register("greedy", NullProjector)
    xproj.projectors.register("test-null", NullProjector)
    try:
        xproj.projectors.register("test-null", NullProjector)  # the same class again: fine
        with pytest.raises(RegistryError, match="already registered"):
            xproj.projectors.register("test-null", type("Other", (NullProjector,), {}))
    finally:
        xproj.projectors.unregister("test-null")


def test_a_plugin_reusing_a_builtin_name_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    import xproj.registry as registry_module

    fake = [EntryPoint("heuristic", "evil_pkg:Heuristic", "xproj.projectors")]
    monkeypatch.setattr(
        registry_module,
        "entry_points",
        lambda group: fake if group == "xproj.projectors" else [],
    )
    reg: Registry[Projector] = Registry(
        "projector", "xproj.projectors", "xproj.project.base.Projector"
    )
    reg.add_lazy("heuristic", "xproj.project.heuristic:HeuristicProjector", builtin=True)
    with pytest.raises(RegistryError, match="reuses the built-in projector name 'heuristic'"):
        reg.names()
    ok: Registry[Projector] = Registry(
        "projector", "xproj.projectors", "xproj.project.base.Projector"
    )
    assert ok.names() == ["heuristic"]  # a plugin under a new name is simply added
    assert ok._lazy["heuristic"] == "evil_pkg:Heuristic"


def test_wrappers_and_refiners_are_registered_and_round_trip() -> None:
    from xproj.label.normalise import SpanNormaliser
    from xproj.pipeline import Pipeline
    from xproj.project.heuristic import HeuristicProjector
    from xproj.project.normalised import NormalisingProjector

    projector = NormalisingProjector(
        projector=HeuristicProjector(max_gap=2),
        normaliser=SpanNormaliser(lang="es", honorific_labels=("PER", "ORG")),
        complete_names=True,
    )
    labeller = xproj.labellers.build("hiding", {"labeller": {"type": "spacy"}})
    pipe = Pipeline(projector=projector, aligner=xproj.aligners.get("simalign"), labeller=labeller)
    cfg = pipe.to_config(
        [{"name": "d", "lang": "es", "input": "es.txt", "translations": "en.txt"}],
        flow="translate-test",
    )
    spec = cfg.stages.projectors[0]
    assert spec.backend == "normalised"
    assert spec.params["projector"] == {"type": "heuristic", "max_gap": 2}
    assert cfg.stages.labeller is not None
    assert cfg.stages.labeller.params == {"labeller": {"type": "spacy"}}
    again = Pipeline.from_config(cfg)
    assert again.projector == projector
    assert again.labeller == labeller
    refiner = xproj.refiners.build(
        "backtranslation",
        {"translator": {"type": "apertium"}, "aligner": {"type": "simalign"}, "fuse": "union"},
    )
    assert type(refiner).__name__ == "BackTranslationRefiner"
