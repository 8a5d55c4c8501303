from dataclasses import dataclass, field
from enum import Enum

import pytest

from xproj.errors import ParameterError
from xproj.params import Component, InstanceOf, Interval, NoneOr, Options


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
