from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest

from xproj.errors import ParameterError
from xproj.params import Component, InstanceOf, Interval, NoneOr, Options
from xproj.testing import check_params


class Method(str, Enum):
    ARGMAX = "argmax"
    MATCH = "match"


@dataclass(kw_only=True)
class Inner(Component):
    layer: int = 8
    method: str = "argmax"
    cache: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)
    _constraints = {"layer": Interval(int, 0, None), "method": Options.of(Method)}


@dataclass(kw_only=True)
class Outer(Component):
    threshold: float = 0.5
    inner: Inner | None = None
    _constraints = {
        "threshold": Interval(float, 0, 1),
        "inner": NoneOr(InstanceOf((Inner,))),
    }


def test_message_names_parameter_class_range_and_value() -> None:
    with pytest.raises(ParameterError) as e:
        Outer(threshold=1.5)
    assert str(e.value) == (
        "The 'threshold' parameter of Outer must be a float in [0, 1]. Got 1.5 instead."
    )


def test_options_list_valid_choices_and_accept_enum_members() -> None:
    with pytest.raises(ParameterError, match=r"one of 'argmax', 'match'\. Got 'mai'"):
        Inner(method="mai")
    assert Inner(method=Method.MATCH).method is Method.MATCH


def test_bool_is_not_a_number_and_nan_is_rejected() -> None:
    with pytest.raises(ParameterError):
        Outer(threshold=True)
    with pytest.raises(ParameterError):
        Outer(threshold=float("nan"))


def test_constructor_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Outer(0.3)  # type: ignore[call-arg]


def test_nested_params_get_and_set() -> None:
    o = Outer(inner=Inner(layer=3))
    assert o.get_params()["inner__layer"] == 3
    o.inner.cache = {"x": 1}  # type: ignore[union-attr]
    o.set_params(inner__layer=7, threshold=0.1)
    assert o.inner is not None and o.inner.layer == 7 and o.threshold == 0.1
    assert o.inner.cache is None  # derived state dropped
    with pytest.raises(ParameterError, match="has no parameter 'nope'"):
        o.set_params(nope=1)
    with pytest.raises(ParameterError, match="'layer' parameter of Inner"):
        o.set_params(inner__layer=-1)


def test_set_params_is_atomic() -> None:
    """A rejected call changed the parameters it had set before the bad one."""
    o = Outer(threshold=0.3, inner=Inner(layer=3))
    o.inner.cache = {"x": 1}  # type: ignore[union-attr]
    with pytest.raises(ParameterError, match="'layer' parameter of Inner"):
        o.set_params(threshold=0.9, inner__method="match", inner__layer=-1)
    assert o.threshold == 0.3 and o.inner is not None
    assert (o.inner.layer, o.inner.method, o.inner.cache) == (3, "argmax", {"x": 1})
    with pytest.raises(ParameterError, match="has no parameter 'nope'"):
        o.set_params(threshold=0.9, nope=1)
    assert o.threshold == 0.3
    inner = o.inner
    with pytest.raises(ParameterError, match="'inner' parameter of Outer"):
        o.set_params(inner="greedy")
    assert o.inner is inner


def _instances() -> list[tuple[str, Component]]:
    import xproj

    # the backends that need one of two sources get the smallest valid one
    needed: dict[tuple[str, str], dict[str, Any]] = {
        ("aligners", "precomputed"): {"links": [[(0, 0)]]},
        ("translators", "parallel"): {"sentences": ["ein Haus"]},
        # wrappers get the component they wrap, written as a spec
        ("translators", "protect_names"): {
            "translator": {"type": "parallel", "sentences": ["ein Haus"]}
        },
        ("labellers", "hiding"): {"labeller": {"type": "spacy"}},
        ("projectors", "normalised"): {"projector": {"type": "heuristic"}},
    }
    out = []
    for attr in ("translators", "labellers", "aligners", "projectors"):
        registry = getattr(xproj, attr)
        for name in registry.names():
            out.append((f"{attr}:{name}", registry.build(name, needed.get((attr, name), {}))))
    return out


_INSTANCES = _instances()


@pytest.mark.parametrize("component", [c for _, c in _INSTANCES], ids=[n for n, _ in _INSTANCES])
def test_every_registered_component_passes_check_params(component: Component) -> None:
    check_params(component)


def test_check_params_catches_a_non_atomic_set_params() -> None:
    @dataclass(kw_only=True)
    class Leaky(Inner):
        def set_params(self, **params: Any) -> Component:  # the old, non-atomic behaviour
            for k, v in params.items():
                setattr(self, k, v)
            self.validate_params()
            return self

    with pytest.raises(AssertionError, match="check 'set_params is atomic' failed"):
        check_params(Leaky())


def test_pipeline_survives_bad_set_params_calls() -> None:
    """The three calls that left a broken pipeline behind."""
    import xproj
    from xproj import Pipeline
    from xproj.align.simalign import Method, SimAlignAligner

    aligner = SimAlignAligner(method="itermax", layer=6)
    projector = xproj.projectors.get("heuristic")
    pipe = Pipeline(aligner=aligner, projector=projector)
    with pytest.raises(ParameterError, match=r"'method' parameter of SimAlignAligner"):
        pipe.set_params(aligner__method="bogus")
    with pytest.raises(ParameterError, match=r"'projector' parameter of Pipeline"):
        pipe.set_params(projector="greedy")
    with pytest.raises(ParameterError, match=r"'layer' parameter of SimAlignAligner"):
        pipe.set_params(aligner__layer=-1)
    assert pipe.projector is projector and pipe.aligner is aligner
    assert aligner.method is Method.ITERMAX and aligner.layer == 6
    pipe.set_params(aligner__method="match")  # a valid string is normalised as in __init__
    assert pipe.get_params()["aligner__method"] is Method.MATCH
