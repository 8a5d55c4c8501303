"""Declarative parameters for xproj components.

Components are keyword-only dataclasses deriving from :class:`Component`. Each declares the
constraints of its parameters in ``_constraints``; they are checked when the object is built, and
a violation reads like::

    The 'threshold' parameter of GreedyProjector must be a float in [0, 1]. Got 1.5 instead.

Parameters of nested components are addressable as ``aligner__layer`` through
:meth:`Component.get_params` and :meth:`Component.set_params`, as in scikit-learn.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(kw_only=True)
... class Demo(Component):
...     threshold: float = 0.5
...     _constraints = {"threshold": Interval(float, 0, 1)}
>>> try:
...     Demo(threshold=1.5)
... except ParameterError as e:
...     print(e)
The 'threshold' parameter of Demo must be a float in [0, 1]. Got 1.5 instead.
>>> Demo(threshold=0.2).get_params()
{'threshold': 0.2}
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from xproj.errors import ParameterError

__all__ = [
    "Component",
    "Constraint",
    "InstanceOf",
    "Interval",
    "NoneOr",
    "Options",
    "Predicate",
    "check_arguments",
    "check_output_dir",
]


class Constraint:
    """A check on one parameter value, with a human description for the error message."""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of type ``kind`` (int or float) between ``low`` and ``high``.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``; ``None`` bounds are open.
    Integers are accepted where floats are asked for; booleans never are.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, int):
            return False
        if self.kind is float and not isinstance(value, (int, float)):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (not left and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (not right and value == self.high))
        )

    def describe(self) -> str:
        name = "an int" if self.kind is int else "a float"
        if self.low is None and self.high is None:
            return name
        if self.high is None:
            op = ">=" if self.closed in ("both", "left") else ">"
            return f"{name} {op} {_fmt(self.low)}"
        if self.low is None:
            op = "<=" if self.closed in ("both", "right") else "<"
            return f"{name} {op} {_fmt(self.high)}"
        lb = "[" if self.closed in ("both", "left") else "("
        rb = "]" if self.closed in ("both", "right") else ")"
        return f"{name} in {lb}{_fmt(self.low)}, {_fmt(self.high)}{rb}"


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values. Give an :class:`enum.Enum` to accept its members and values."""

    choices: tuple[Any, ...]

    @classmethod
    def of(cls, choices: type[enum.Enum] | Iterable[Any]) -> Options:
        if isinstance(choices, type) and issubclass(choices, enum.Enum):
            return cls(tuple(m.value for m in choices))
        return cls(tuple(choices))

    def accepts(self, value: Any) -> bool:
        if isinstance(value, enum.Enum):
            value = value.value
        return any(value == c and type(value) is type(c) for c in self.choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of one of the given types."""

    types: tuple[type, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (
            isinstance(value, bool) and bool not in self.types
        )

    def describe(self) -> str:
        names = [t.__name__ for t in self.types]
        return "an instance of " + " or ".join(names)


@dataclass(frozen=True)
class NoneOr(Constraint):
    """``None`` or a value that ``inner`` accepts."""

    inner: Constraint

    def accepts(self, value: Any) -> bool:
        return value is None or self.inner.accepts(value)

    def describe(self) -> str:
        return f"None or {self.inner.describe()}"


@dataclass(frozen=True)
class Predicate(Constraint):
    """Any value for which ``check`` returns true, described by ``text``."""

    check: Callable[[Any], bool]
    text: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.check(value))
        except (TypeError, ValueError, AttributeError):  # a value of a type it cannot check
            return False

    def describe(self) -> str:
        return self.text


@dataclass(kw_only=True)
class Component:
    """Base of every pluggable xproj object (translators, labellers, aligners, projectors ...).

    Subclasses are ``@dataclass(kw_only=True)``: the constructor takes keyword-only parameters
    and stores them unchanged. ``_constraints`` maps parameter names to a :class:`Constraint`
    (or a list of alternatives, any of which may accept). Derived state (a loaded model, a
    cache) lives in fields declared with ``field(init=False, repr=False, compare=False)`` and
    is created on first use, not in the constructor.
    """

    _constraints: ClassVar[dict[str, Constraint | list[Constraint]]] = {}

    def __post_init__(self) -> None:
        self.validate_params()

    def validate_params(self) -> None:
        """Check each declared parameter; raise :class:`ParameterError` naming the first bad one."""
        for name, constraint in self._constraints.items():
            value = getattr(self, name)
            alternatives = constraint if isinstance(constraint, list) else [constraint]
            if not any(c.accepts(value) for c in alternatives):
                desc = " or ".join(c.describe() for c in alternatives)
                raise ParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be {desc}. "
                    f"Got {value!r} instead."
                )

    @classmethod
    def param_names(cls) -> list[str]:
        """The constructor's parameter names."""
        return [f.name for f in dataclasses.fields(cls) if f.init]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters; with ``deep``, nested ones as ``name__param`` too."""
        out: dict[str, Any] = {}
        for name in self.param_names():
            value = getattr(self, name)
            out[name] = value
            if deep and isinstance(value, Component):
                for k, v in value.get_params(deep=True).items():
                    out[f"{name}__{k}"] = v
        return out

    def set_params(self, **params: Any) -> Component:
        """Set parameters, nested ones as ``aligner__layer``; re-validates and drops caches.

        The change is atomic: the new values are checked as the constructor checks them (the
        same ``__post_init__``), and if any key or value is rejected, this component and every
        nested one keep all their previous parameters and state, so one bad call does not
        leave a half-changed object behind.

        Raises
        ------
        ParameterError
            An unknown parameter name, or a value a constraint rejects.
        """
        saved = _snapshot(self)
        try:
            self._apply_params(params)
        except BaseException:
            _restore(saved)
            raise
        return self

    def _apply_params(self, params: Mapping[str, Any]) -> None:
        valid = set(self.param_names())
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            head, _, rest = key.partition("__")
            if head not in valid:
                raise ParameterError(
                    f"{type(self).__name__} has no parameter {head!r}; "
                    f"its parameters are: {', '.join(sorted(valid)) or 'none'}"
                )
            if rest:
                nested.setdefault(head, {})[rest] = value
            else:
                setattr(self, head, value)
        for head, sub in nested.items():
            child = getattr(self, head)
            if not isinstance(child, Component):
                raise ParameterError(
                    f"{type(self).__name__}.{head} is {type(child).__name__}, "
                    f"not a component with parameters {sorted(sub)}"
                )
            child._apply_params(sub)
        self.__post_init__()  # the constructor's checks and normalisations
        self.reset()

    def reset(self) -> None:
        """Drop derived state (loaded models, caches); called after :meth:`set_params`."""
        for f in dataclasses.fields(self):
            if not f.init:
                default: Any = None
                if f.default is not dataclasses.MISSING:
                    default = f.default
                elif f.default_factory is not dataclasses.MISSING:
                    default = f.default_factory()
                setattr(self, f.name, default)


def _snapshot(root: Component) -> list[tuple[Component, dict[str, Any]]]:
    """Every field of ``root`` and of the components nested in its parameters."""
    saved: dict[int, tuple[Component, dict[str, Any]]] = {}
    stack = [root]
    while stack:
        c = stack.pop()
        if id(c) in saved:
            continue
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(c)}
        saved[id(c)] = (c, values)
        stack.extend(v for v in values.values() if isinstance(v, Component))
    return list(saved.values())


def _restore(saved: list[tuple[Component, dict[str, Any]]]) -> None:
    for c, values in saved:
        for name, value in values.items():
            object.__setattr__(c, name, value)


def check_arguments(
    owner: str, constraints: Mapping[str, Constraint], values: Mapping[str, Any]
) -> None:
    """Check a function's arguments as :class:`Component` checks parameters.

    Raises :class:`ParameterError` naming ``owner`` and the first argument a constraint rejects.
    """
    for name, constraint in constraints.items():
        if not constraint.accepts(values[name]):
            raise ParameterError(
                f"The {name!r} parameter of {owner} must be {constraint.describe()}. "
                f"Got {values[name]!r} instead."
            )


def check_output_dir(owner: str, output_dir: str | Path, overwrite: bool) -> Path:
    """``output_dir`` as a path, refusing a file, or a folder with files unless ``overwrite``."""
    out = Path(output_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not overwrite)):
        raise ParameterError(
            f"{owner}: output_dir {str(out)!r} "
            + ("is a file" if not out.is_dir() else "already holds files")
            + "; choose another directory or pass overwrite=True"
        )
    return out
