"""Registries of backends, one per stage, with lazy built-ins and entry-point plugins.

Built-in backends are listed in :mod:`xproj._registrations` as ``"module:Class"`` strings and
imported on first use, so ``import xproj`` stays fast and never imports torch. Third-party
packages add backends through entry points::

    [project.entry-points."xproj.projectors"]
    mine = "my_package.projector:MyProjector"

or at run time with ``xproj.projectors.register("mine", MyProjector)``.

Examples
--------
>>> import xproj
>>> p = xproj.projectors.get("greedy")
>>> type(p).__name__
'GreedyProjector'
>>> xproj.projectors.get("nope")
Traceback (most recent call last):
...
xproj.errors.RegistryError: No projector named 'nope'. Available: greedy, heuristic, ilp.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar, overload

from xproj.errors import RegistryError

__all__ = ["Registry", "RegistryError"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named backends of one stage.

    Parameters
    ----------
    kind
        What the stage's objects are called in messages, e.g. ``"projector"``.
    group
        The entry-point group scanned for plugins, e.g. ``"xproj.projectors"``.
    base
        The dotted path of the stage's base class; registered classes must derive from it.
    """

    def __init__(self, kind: str, group: str, base: str) -> None:
        self.kind = kind
        self.group = group
        self._base_path = base
        self._lazy: dict[str, str] = {}
        self._loaded: dict[str, type[T]] = {}
        self._plugins_scanned = False

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"

    def _scan_plugins(self) -> None:
        if self._plugins_scanned:
            return
        self._plugins_scanned = True
        for ep in entry_points(group=self.group):
            self._lazy.setdefault(ep.name, ep.value)

    def add_lazy(self, name: str, target: str) -> None:
        """Register ``name`` as ``"module:Attribute"``, imported on first :meth:`get`."""
        self._lazy[name] = target

    @overload
    def register(self, name: str) -> Callable[[type[T]], type[T]]: ...

    @overload
    def register(self, name: str, obj: type[T]) -> type[T]: ...

    def register(self, name: str, obj: type[T] | None = None) -> Any:
        """Register a class under ``name``; usable as ``@registry.register("name")``."""

        def add(cls: type[T]) -> type[T]:
            self._check_base(name, cls)
            self._loaded[name] = cls
            self._lazy.pop(name, None)
            return cls

        return add if obj is None else add(obj)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a run-time registration, say, that a test made); unknown is an error."""
        if name not in self._loaded and name not in self._lazy:
            available = ", ".join(self.names())
            raise RegistryError(
                f"No {self.kind} named {name!r} to unregister. Available: {available}."
            )
        self._loaded.pop(name, None)
        self._lazy.pop(name, None)

    def _check_base(self, name: str, cls: Any) -> None:
        module, _, attr = self._base_path.rpartition(".")
        base = getattr(importlib.import_module(module), attr)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise RegistryError(
                f"{self.kind} {name!r} must be a subclass of {self._base_path}, got {cls!r}"
            )

    def names(self) -> list[str]:
        """All registered names, built-in and plugin, sorted."""
        self._scan_plugins()
        return sorted(set(self._lazy) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get_class(self, name: str) -> type[T]:
        """The class registered as ``name``, importing it if needed."""
        if name in self._loaded:
            return self._loaded[name]
        self._scan_plugins()
        target = self._lazy.get(name)
        if target is None:
            raise RegistryError(
                f"No {self.kind} named {name!r}. Available: {', '.join(self.names())}."
            )
        module, _, attr = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise RegistryError(
                f"{self.kind} {name!r} points at {target!r}, which could not be loaded: {e}"
            ) from e
        self._check_base(name, cls)
        self._loaded[name] = cls
        return cls  # type: ignore[no-any-return]

    def get(self, name: str, /, **params: Any) -> T:
        """Build the backend registered as ``name`` with keyword parameters ``params``."""
        return self.get_class(name)(**params)
