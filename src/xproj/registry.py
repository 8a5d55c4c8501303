"""Registries of components, one per kind, with lazy built-ins and entry-point plugins.

Every kind of component a config can name has a registry, an attribute of :mod:`xproj`:
``translators``, ``labellers``, ``aligners``, ``projectors`` (the stages), ``scorers``,
``candidates`` (candidate extractors), ``solvers``, ``normalisers`` and ``refiners``. Built-ins
are listed in :mod:`xproj._registrations` as ``"module:Class"`` strings and imported on first
use, so ``import xproj`` stays fast and never imports torch. Third-party packages add
components through entry points::

    [project.entry-points."xproj.projectors"]
    mine = "my_package.projector:MyProjector"

or at run time with ``xproj.projectors.register("mine", MyProjector)``. A component has one
name, the one it is registered under; a plugin that reuses a built-in name is an error.

Building from a spec (:meth:`Registry.build`, which turns nested ``{type = NAME, ...}`` tables
into components of the parameter's kind) and writing one back (:func:`component_spec`) live
here too, so a config, the CLI and a remote worker build components the same way.

Examples
--------
>>> import xproj
>>> p = xproj.projectors.get("greedy")
>>> type(p).__name__
'GreedyProjector'
>>> try:
...     xproj.scorers.get("nope")
... except xproj.RegistryError as e:
...     print(e)
No scorer named 'nope'. Available: alignment, fusion, ner, nmt.
>>> try:
...     xproj.projectors.get("greedy", n_prj=2)
... except xproj.ParameterError as e:
...     print(e)  # doctest: +NORMALIZE_WHITESPACE
GreedyProjector (projector 'greedy') has no parameter 'n_prj'; its parameters are:
candidates, scorer, n_proj, min_score
>>> scorer = {"type": "ner", "labeller": {"type": "spacy"}, "hard_labels": True}
>>> p = xproj.projectors.build("greedy", {"scorer": scorer})
>>> type(p.scorer).__name__, type(p.scorer.labeller).__name__
('NERScorer', 'SpacyLabeller')
>>> component_spec(p) == {"backend": "greedy", "params": {"scorer": scorer}}
True
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
from collections.abc import Callable, Mapping
from enum import Enum
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar, overload

from xproj.errors import ConfigError, MissingExtraError, ParameterError, RegistryError
from xproj.params import Component

__all__ = [
    "Registry",
    "RegistryError",
    "component_params",
    "component_spec",
    "registry",
    "registry_of",
]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named components of one kind.

    Parameters
    ----------
    kind
        What the components are called in messages, e.g. ``"projector"``.
    group
        The entry-point group scanned for plugins, e.g. ``"xproj.projectors"``.
    base
        The dotted path of the kind's base class; registered classes must derive from it.
    attr
        The registry's attribute of :mod:`xproj` (``"projectors"``), named in messages.
    """

    def __init__(self, kind: str, group: str, base: str, *, attr: str = "") -> None:
        self.kind = kind
        self.group = group
        self.attr = attr
        self._base_path = base
        self._lazy: dict[str, str] = {}
        self._loaded: dict[str, type[T]] = {}
        self._builtin: set[str] = set()
        self._plugins_scanned = False

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"

    @property
    def base(self) -> type:
        """The base class every component of this kind derives from (imported on first use)."""
        module, _, attr = self._base_path.rpartition(".")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    def _scan_plugins(self) -> None:
        if self._plugins_scanned:
            return
        self._plugins_scanned = True
        for ep in entry_points(group=self.group):
            if ep.name in self._builtin:
                raise RegistryError(
                    f"The plugin entry point {ep.name} = {ep.value!r} (group {self.group!r}) "
                    f"reuses the built-in {self.kind} name {ep.name!r}; register the plugin "
                    "under another name"
                )
            known = self._lazy.get(ep.name)
            if known is not None and known != ep.value:
                raise RegistryError(
                    f"Two plugins register a {self.kind} named {ep.name!r} (group "
                    f"{self.group!r}): {known!r} and {ep.value!r}; uninstall or rename one"
                )
            self._lazy[ep.name] = ep.value

    def add_lazy(self, name: str, target: str, *, builtin: bool = False) -> None:
        """Register ``name`` as ``"module:Attribute"``, imported on first :meth:`get`."""
        self._lazy[name] = target
        if builtin:
            self._builtin.add(name)

    @overload
    def register(self, name: str) -> Callable[[type[T]], type[T]]: ...

    @overload
    def register(self, name: str, obj: type[T]) -> type[T]: ...

    def register(self, name: str, obj: type[T] | None = None) -> Any:
        """Register a class under ``name``; usable as ``@registry.register("name")``.

        Registering another class under a built-in or already registered name is an error;
        registering the same class again is not.
        """

        def add(cls: type[T]) -> type[T]:
            self._check_base(name, cls)
            if name in self._builtin:
                raise RegistryError(
                    f"{name!r} is the name of a built-in {self.kind}; register "
                    f"{getattr(cls, '__name__', cls)!r} under another name"
                )
            old = self._loaded.get(name)
            if old is not None and old is not cls:
                raise RegistryError(
                    f"a {self.kind} named {name!r} is already registered ({old.__qualname__}); "
                    "unregister it first or choose another name"
                )
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
        self._builtin.discard(name)

    def _check_base(self, name: str, cls: Any) -> None:
        base = self.base
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

    def target(self, name: str) -> str | None:
        """Where ``name`` is imported from (``"module:Class"``); None if registered at run time."""
        self._scan_plugins()
        return self._lazy.get(name)

    def name_of(self, cls: type) -> str:
        """The name ``cls`` is registered under; :class:`ConfigError` when it is not."""
        for n, c in self._loaded.items():
            if c is cls:
                return n
        self._scan_plugins()
        target = f"{cls.__module__}:{cls.__qualname__}"
        for n, t in self._lazy.items():
            if t == target:
                return n
        where = f"xproj.{self.attr}" if self.attr else "the registry"
        raise ConfigError(
            f"{cls.__name__} is not registered as a {self.kind}, so a config cannot name it; "
            f"register it with {where}.register('name', {cls.__name__}) in a plugin module "
            "listed under plugins = [...]"
        )

    def get(self, name: str, /, **params: Any) -> T:
        """Build the component registered as ``name`` with keyword parameters ``params``.

        Raises
        ------
        RegistryError
            No component has that name (the message lists the names there are).
        ParameterError
            A parameter the class does not have (the message lists those it has), or a value
            it does not accept.
        """
        cls = self.get_class(name)
        _check_names(cls, params, f"{cls.__name__} ({self.kind} {name!r})")
        return cls(**params)

    def build(self, name: str, params: Mapping[str, Any] | None = None, *, where: str = "") -> T:
        """Build ``name`` from config data: nested components given as ``{type = NAME, ...}``.

        A parameter whose declared type is a component (a projector's ``scorer``) is given as
        a table naming a component of that kind under ``type``, e.g.
        ``candidates = {type = "aligned_ranges", max_words = 8}``; lists become tuples where a
        tuple is declared.

        Raises
        ------
        ConfigError
            Naming ``where`` (the field path: ``stages.projectors[0]``) and what is allowed.
        """
        at = f"{where}." if where else ""
        if name not in self.names():
            raise ConfigError(
                f"{at}backend: no {self.kind} named {name!r}. Available: {', '.join(self.names())}."
            )
        try:
            cls = self.get_class(name)
        except RegistryError as e:
            raise ConfigError(f"{at}backend: {e}") from None
        return _construct(cls, params or {}, f"{at}params", f"{self.kind} {name!r}")  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- the registries

_REGISTRIES: dict[str, Registry[Any]] = {}


def registry(attr: str) -> Registry[Any]:
    """The registry ``xproj.<attr>`` (``"projectors"``, ``"scorers"``, ...), built on first use."""
    reg = _REGISTRIES.get(attr)
    if reg is None:
        from xproj._registrations import KINDS

        if attr not in KINDS:
            raise RegistryError(
                f"No registry named {attr!r}. Available: {', '.join(sorted(KINDS))}."
            )
        kind = KINDS[attr]
        reg = Registry(kind.noun, kind.group, kind.base, attr=attr)
        for name, target in kind.builtins.items():
            reg.add_lazy(name, target, builtin=True)
        _REGISTRIES[attr] = reg
    return reg


def _registry_for(cls: type) -> Registry[Any] | None:
    """The registry whose base class ``cls`` derives from (first in :data:`KINDS` order)."""
    from xproj._registrations import KINDS

    for attr in KINDS:
        reg = registry(attr)
        if issubclass(cls, reg.base):
            return reg
    return None


def registry_of(component: Component) -> Registry[Any]:
    """The registry of ``component``'s kind; :class:`ConfigError` if it has none."""
    reg = _registry_for(type(component))
    if reg is None:
        raise ConfigError(
            f"{type(component).__name__} is no kind of component a config can name (a "
            "translator, labeller, aligner, projector, scorer, candidate extractor, solver, "
            "normaliser or refiner)"
        )
    return reg


# ---------------------------------------------------------------------- building from a spec


def _check_names(cls: type, params: Mapping[str, Any], what: str) -> None:
    names = cls.param_names() if issubclass(cls, Component) else []
    unknown = [k for k in params if k not in names]
    if unknown:
        raise ParameterError(
            f"{what} has no parameter {', '.join(repr(u) for u in unknown)}; its parameters "
            f"are: {', '.join(names) or 'none'}"
        )


def _construct(cls: type, params: Mapping[str, Any], where: str, what: str) -> Any:
    try:
        _check_names(cls, params, f"{cls.__name__} ({what})")
    except ParameterError as e:
        raise ConfigError(f"{where}: {e}") from None
    hints = _hints(cls)
    values = {k: _coerce(hints.get(k), v, f"{where}.{k}") for k, v in params.items()}
    try:
        return cls(**values)
    except (ParameterError, MissingExtraError, TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None


def _hints(cls: type) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: take the values as given
        return {}


def _union_members(hint: Any) -> tuple[Any, ...]:
    import types
    import typing

    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _component_hint(hint: Any) -> type | None:
    for h in _union_members(hint):
        if isinstance(h, type) and issubclass(h, Component) and h is not Component:
            return h
    return None


def _sequence_item(hint: Any) -> tuple[Any, bool] | None:
    """The item type of a ``tuple[X, ...]`` / ``list[X]`` / ``Sequence[X]`` member of ``hint``."""
    import collections.abc
    import typing

    for h in _union_members(hint):
        origin = typing.get_origin(h)
        args = typing.get_args(h)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return args[0], True
        if origin in (list, collections.abc.Sequence) and len(args) == 1:
            return args[0], origin is not list
    return None


def _coerce(hint: Any, value: Any, where: str) -> Any:
    if hint is None:
        return value
    base = _component_hint(hint)
    if base is not None and isinstance(value, Mapping):
        reg = _registry_for(base)
        if reg is None:
            raise ConfigError(f"{where}: {base.__name__} has no registry a config can name")
        kind = value.get("type")
        names = reg.names()
        if kind not in names:
            problem = "needs a type" if kind is None else f"no {reg.kind} named {kind!r}"
            raise ConfigError(f"{where}.type: {problem}. Available: {', '.join(names)}.")
        cls = reg.get_class(kind)
        if not issubclass(cls, base):
            raise ConfigError(f"{where}.type: {kind!r} is a {cls.__name__}, not a {base.__name__}")
        rest = {k: v for k, v in value.items() if k != "type"}
        return _construct(cls, rest, where, f"{reg.kind} {kind!r}")
    item = _sequence_item(hint)
    if item is not None and isinstance(value, list):
        item_hint, as_tuple = item
        out = [_coerce(item_hint, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if as_tuple else out
    return value


# ---------------------------------------------------------------------- writing a spec back


def component_spec(component: Component, *, name: str | None = None) -> dict[str, Any]:
    """The ``{backend, params}`` table that rebuilds ``component`` from its registry.

    Only parameters that differ from their defaults are listed; nested components are
    written as ``{type = NAME, ...}`` tables. Raises :class:`ConfigError` when the component's
    class is not registered or a parameter cannot be written in a config (an in-memory object).
    """
    reg = registry_of(component)
    out: dict[str, Any] = {"backend": reg.name_of(type(component))}
    if name is not None:
        out["name"] = name
    params = _changed_params(component)
    if params:
        out["params"] = params
    return out


def component_params(component: Component) -> dict[str, Any]:
    """Every constructor parameter as plain data, nested components as ``{type, ...}`` tables
    with all their parameters (for fingerprints: defaults included)."""
    cls = type(component)
    return {k: _plain(v, k, cls, full=True) for k, v in component.get_params(deep=False).items()}


def _changed_params(component: Component) -> dict[str, Any]:
    import dataclasses

    cls = type(component)
    params: dict[str, Any] = {}
    for f in dataclasses.fields(component):
        if not f.init:
            continue
        raw = getattr(component, f.name)
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            params[f.name] = _plain(raw, f.name, cls)
            continue
        if raw is default:  # e.g. a default function, which a config could not hold
            continue
        value = _plain(raw, f.name, cls)
        if value != _plain(default, f.name, cls):
            params[f.name] = value
    return params


def _type_name(value: Component, *, full: bool) -> str:
    """The registry name of a nested component (for fingerprints, a dotted path if none)."""
    cls = type(value)
    reg = _registry_for(cls)
    try:
        if reg is None:
            raise ConfigError(f"{cls.__name__} is no kind of component a config can name")
        return reg.name_of(cls)
    except ConfigError:
        if full and not inspect.isabstract(cls):
            return f"{cls.__module__}:{cls.__qualname__}"
        raise


def _plain(value: Any, pname: str, cls: type, *, full: bool = False) -> Any:
    """``value`` as TOML/JSON-ready data, or a ConfigError naming the parameter."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, os.PathLike):
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{cls.__name__}.{pname} = {value} cannot be written in a config")
        return value
    if isinstance(value, Component):
        try:
            kind = _type_name(value, full=full)
        except ConfigError as e:
            raise ConfigError(f"{cls.__name__}.{pname}: {e}") from None
        if full:
            return {"type": kind, **component_params(value)}
        return {"type": kind, **_changed_params(value)}
    if full and callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}:{value.__qualname__}"  # a function, in a fingerprint
    if isinstance(value, (list, tuple)):
        return [_plain(v, pname, cls, full=full) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, pname, cls, full=full) for k, v in value.items()}
    raise ConfigError(
        f"{cls.__name__}.{pname} is a {type(value).__name__}, which a config cannot hold; "
        "give it as plain values (names, numbers, paths)"
    )
