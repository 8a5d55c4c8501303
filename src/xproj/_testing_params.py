"""The parameter-contract check of :mod:`xproj.testing` (:func:`check_params`, re-exported
there): scikit-learn's ``check_estimator`` rules for constructor parameters, on any
:class:`~xproj.params.Component` and the components nested in its parameters."""

from __future__ import annotations

import dataclasses
from typing import Any

from xproj.errors import ParameterError
from xproj.params import Component

__all__ = ["check_params"]


class _Rejected:
    """A value of a type no parameter constraint is expected to accept."""

    def __repr__(self) -> str:
        return "<a value no constraint accepts>"


# Values tried, in order, to find a valid new value for a parameter (see check_params).
_TRIAL_VALUES: tuple[Any, ...] = (None, 1, 2, 0, 0.5, 0.25, True, False, "x", 3, 10)


def _state(component: Component) -> list[tuple[int, str, int]]:
    """Identity of every field of ``component`` and of its nested components."""
    out: list[tuple[int, str, int]] = []
    seen: set[int] = set()
    stack = [component]
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        for f in dataclasses.fields(c):
            value = getattr(c, f.name)
            out.append((id(c), f.name, id(value)))
            if isinstance(value, Component):
                stack.append(value)
    return out


def _owner(component: Component, key: str) -> tuple[Component, str]:
    *path, name = key.split("__")
    owner = component
    for head in path:
        owner = getattr(owner, head)
    return owner, name


def check_params(component: Component) -> None:
    """Check the parameter contract of ``component``; raise :class:`AssertionError` if broken.

    Following scikit-learn's ``check_estimator``, on the component and every component nested
    in its parameters (keys ``aligner__layer``): each declared constraint rejects a value of
    a foreign type with :class:`~xproj.errors.ParameterError`; a rejected
    :meth:`~xproj.params.Component.set_params` call, also one that changes a valid parameter
    before naming an unknown one, leaves every parameter and every derived field as it was
    (a half-applied call would leave an object that fails later, far from the mistake); and
    setting the current parameters again is accepted.

    Examples
    --------
    >>> from xproj.project.heuristic import HeuristicProjector
    >>> check_params(HeuristicProjector())
    """
    from xproj.testing import _fail  # the failure message every check of xproj.testing gives

    who = type(component).__name__
    if not isinstance(component, Component):
        raise _fail(who, "is a Component", None, f"{component!r} does not derive from Component")
    params = component.get_params(deep=True)
    constrained: list[str] = []
    for key in params:
        owner, name = _owner(component, key)
        if name in type(owner)._constraints:
            constrained.append(key)
    before = _state(component)

    def rejected(what: str, **bad: Any) -> None:
        try:
            component.set_params(**bad)
        except ParameterError:
            pass
        except Exception as e:
            raise _fail(who, "set_params raises ParameterError", None, f"{what}: {e!r}") from e
        else:
            raise _fail(who, "bad parameters rejected", None, f"{what} was accepted")
        if _state(component) != before:
            changed = sorted(k for k, v in params.items() if component.get_params()[k] is not v)
            raise _fail(
                who, "set_params is atomic", None, f"{what} was rejected but changed {changed}"
            )

    for key in constrained:
        owner, name = _owner(component, key)
        constraint = type(owner)._constraints[name]
        alternatives = constraint if isinstance(constraint, list) else [constraint]
        if not any(c.accepts(_Rejected()) for c in alternatives):
            rejected(f"{key}={_Rejected()!r}", **{key: _Rejected()})
    rejected("an unknown parameter", no_such_parameter=1)
    for key in constrained:  # a valid change, then an unknown name: the change is undone
        owner, name = _owner(component, key)
        constraint = type(owner)._constraints[name]
        alternatives = constraint if isinstance(constraint, list) else [constraint]
        current = params[key]
        for value in _TRIAL_VALUES:
            if value is not current and any(c.accepts(value) for c in alternatives):
                rejected(f"{key}={value!r} then an unknown parameter", **{key: value, "nope": 1})
                break
    if constrained:
        rejected("every constrained parameter at once", **{k: _Rejected() for k in constrained})
    try:
        component.set_params(**component.get_params(deep=False))
    except Exception as e:
        raise _fail(who, "current parameters accepted", None, repr(e)) from e
    after = component.get_params(deep=True)
    for key, value in params.items():
        if key not in after or not _same(after[key], value):
            raise _fail(
                who, "set_params round trip", None, f"{key}: {value!r} -> {after.get(key)!r}"
            )


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays, whose == is elementwise
        return False
