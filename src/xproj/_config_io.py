"""Reading and writing run configurations: file formats, ``${VAR}`` paths, plugins, messages.

:mod:`xproj.config` declares what a config holds; this module holds what surrounds it: the TOML
(``tomllib``, written with ``tomli-w``), YAML and JSON readers and writers, environment-variable
expansion in paths, plugin imports, path rebasing when a config is written elsewhere, and the
rendering of pydantic's validation errors as ``field.path: what is wrong`` lines.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from xproj._config_files import FILE_FIELDS
from xproj.errors import ConfigError, MissingExtraError
from xproj.io._files import not_a_file

if TYPE_CHECKING:
    from xproj.config import RunConfig

__all__ = ["dumps_toml", "expand_env", "import_plugins", "load_config"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a config file.

    Parameters
    ----------
    path
        A ``.toml`` (stdlib ``tomllib``; ``tomli`` on Python 3.10), ``.yaml``/``.yml``
        (needs ``pyyaml``) or ``.json`` file. Relative paths inside are relative to its folder.

    Raises
    ------
    ConfigError
        The file is missing or unreadable, or a field is invalid (the message names it).
    """
    from xproj.config import RunConfig

    p = Path(path)
    if not_a_file(p) is not None:
        raise ConfigError(f"config {not_a_file(p)}")
    text = p.read_text(encoding="utf-8")
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            data = _toml_module().loads(text)
        elif suffix in (".yaml", ".yml"):
            data = _import_yaml().safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"{p}: unknown config type {suffix!r}; use .toml, .yaml or .json")
    except ConfigError:
        raise
    except Exception as e:  # each parser has its own error class; all carry line numbers
        raise ConfigError(f"{p}: not valid {suffix[1:].upper()}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the config must be a table/mapping at the top level")
    try:
        return RunConfig.from_dict(data, base_dir=p.resolve().parent)
    except ConfigError as e:
        raise ConfigError(f"{p}: {e}") from None


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - Python 3.10
        import tomli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover
        raise MissingExtraError(
            "tomli", "toml", what="Reading TOML configs on Python 3.10"
        ) from None
    return tomli  # pragma: no cover


def _import_yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ConfigError(
            "YAML configs need the Python package 'pyyaml': pip install pyyaml "
            "(or write the config as TOML)"
        ) from None
    return yaml


def expand_env(text: str) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error.

    >>> os.environ["XPROJ_DOCTEST"] = "/data"
    >>> expand_env("${XPROJ_DOCTEST}/x.conll"), expand_env("${XPROJ_UNSET_X:-../d}/y")
    ('/data/x.conll', '../d/y')
    """

    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value:
            return value
        if m.group(2) is not None:
            return m.group(2)
        raise ConfigError(
            f"the environment variable {m.group(1)} is not set; set it or write "
            f"${{{m.group(1)}:-default}} in the config"
        )

    return _ENV.sub(sub, text)


_PLUGINS_DONE: set[str] = set()


def _import_plugins(plugins: Sequence[str], base_dir: Path) -> None:
    """Import each plugin module name or ``.py`` file (once per process)."""
    for k, name in enumerate(plugins):
        if name.endswith(".py") or "/" in name or os.sep in name:
            path = (base_dir / expand_env(name)).resolve()
            key = str(path)
            if key in _PLUGINS_DONE:
                continue
            if not path.is_file():
                raise ValueError(f"plugins[{k}]: file not found: {path}")
            mod_name = "xproj_plugin_" + hashlib.sha256(key.encode()).hexdigest()[:12]
            spec = importlib.util.spec_from_file_location(mod_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as e:
                del sys.modules[mod_name]
                raise ValueError(f"plugins[{k}]: importing {path} failed: {e!r}") from e
            _PLUGINS_DONE.add(key)
        else:
            try:
                importlib.import_module(name)
            except ImportError as e:
                raise ValueError(f"plugins[{k}]: cannot import module {name!r}: {e}") from e


def import_plugins(plugins: Sequence[str], base_dir: str | Path) -> None:
    """Import plugin modules/files as :class:`RunConfig` does (used by Ray workers)."""
    try:
        _import_plugins(plugins, Path(base_dir))
    except ValueError as e:
        raise ConfigError(str(e)) from None


def _rebase_paths(data: dict[str, Any], old: Path, new: Path) -> dict[str, Any]:
    def rebase(p: str) -> str:
        if "${" in p or Path(p).is_absolute():
            return p
        return os.path.relpath((old / p).resolve(), new)

    out = dict(data)
    if "output" in out:
        out["output"] = rebase(out["output"])
    if "plugins" in out:
        out["plugins"] = [
            rebase(p) if (p.endswith(".py") or "/" in p) else p for p in out["plugins"]
        ]

    def rebase_ref(ref: Any) -> Any:
        if isinstance(ref, list):  # a dataset field's several files
            return [rebase_ref(r) for r in ref]
        return rebase(ref) if isinstance(ref, str) else {**ref, "path": rebase(ref["path"])}

    sets = []
    for d in out.get("datasets", []):
        d = dict(d)
        for f in FILE_FIELDS:
            if f in d:
                d[f] = rebase_ref(d[f])
        if "heldout" in d:
            d["heldout"] = {split: rebase_ref(ref) for split, ref in d["heldout"].items()}
        if "unlabelled" in d:
            d["unlabelled"] = rebase_ref(d["unlabelled"])
        sets.append(d)
    if "datasets" in out:
        out["datasets"] = sets
    if "steps" in out:
        out["steps"] = [
            {**s, "mix": [rebase_ref(ref) for ref in s["mix"]]} if "mix" in s else s
            for s in out["steps"]
        ]
    # paths in components' parameters (a model folder), as _config_files.param_path finds them
    from xproj._config_files import rebase_params

    def rebase_spec(spec: Any) -> Any:
        if not isinstance(spec, dict) or "params" not in spec:
            return spec
        return {**spec, "params": rebase_params(spec["params"], old, new)}

    if isinstance(out.get("stages"), dict):
        stages = {k: rebase_spec(v) for k, v in out["stages"].items() if k != "projectors"}
        if "projectors" in out["stages"]:
            stages["projectors"] = [rebase_spec(p) for p in out["stages"]["projectors"]]
        out["stages"] = {k: stages[k] for k in out["stages"]}  # order kept
    if "steps" in out:
        out["steps"] = [
            {
                **rebase_spec(s),
                **{f: rebase_spec(s[f]) for f in ("refiner", "labeller", "projector") if f in s},
            }
            for s in out["steps"]
        ]
    return out


def _render_validation_error(err: ValidationError, model: type[BaseModel]) -> str:
    lines = []
    for e in err.errors(include_url=False):
        loc = e["loc"]
        path = _loc_str(loc)
        msg = str(e["msg"])
        kind = e["type"]
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            lines.append(f"{path}: {msg}" if path else msg)
            continue
        if kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            lines.append(
                f"{path}: unknown field. Allowed here: {', '.join(allowed)}"
                if allowed
                else f"{path}: unknown field"
            )
            continue
        if loc and loc[-1] == "[key]":
            lines.append(f"{_loc_str(loc[:-2])}: unknown key {loc[-2]!r}; {msg}")
            continue
        if kind == "missing":
            lines.append(f"{path}: required field missing")
            continue
        got = e.get("input")
        lines.append(f"{path}: {msg}; got {got!r}")
    return "\n".join(dict.fromkeys(lines))


def _loc_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif ("[" in str(part) and "(" in str(part)) or str(part) in ("<file>", "<files>"):
            continue  # pydantic's names for union/validator branches, ours for file fields
        else:
            out += f".{part}" if out else str(part)
    return out


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found by walking ``loc`` from ``model``."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or not isinstance(current, type):
            continue
        if not issubclass(current, BaseModel) or part not in current.model_fields:
            continue
        ann = current.model_fields[part].annotation
        current = _model_in(ann, typing)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(ann: Any, typing: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _model_in(arg, typing)
        if found is not None:
            return found
    return None


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write nested plain data as TOML (with ``tomli-w``).

    ``None`` values cannot be written in TOML; a table holding one raises :class:`ConfigError`
    naming it (write the config as YAML or JSON instead).

    >>> print(dumps_toml({"a": 1, "t": {"b": "x"}}), end="")
    a = 1
    <BLANKLINE>
    [t]
    b = "x"
    """
    import tomli_w

    _check_toml_values(data, "")
    return tomli_w.dumps(dict(data))


def _check_toml_values(value: Any, where: str) -> None:
    if value is None:
        raise ConfigError(
            f"{where} is None, which TOML cannot hold; dump the config as YAML or JSON"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} = {value} cannot be written in a config")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_toml_values(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_toml_values(v, where)


def _prune(model: BaseModel) -> Any:
    """A model as plain data without fields equal to their defaults (order kept)."""
    out: dict[str, Any] = {}
    for fname, finfo in type(model).model_fields.items():
        value = getattr(model, fname)
        is_default = value == finfo.get_default(call_default_factory=True)
        always = fname in ("flow", "src_lang", "output") and value is not None
        if not finfo.is_required() and is_default and not always:
            continue
        out[fname] = _plain_model(value)
    return out


def _plain_model(value: Any) -> Any:
    from xproj._config_files import _File

    if isinstance(value, _File) and all(
        getattr(value, f) == i.get_default(call_default_factory=True)
        for f, i in type(value).model_fields.items()
        if f != "path"
    ):
        return value.path
    if isinstance(value, BaseModel):
        return _prune(value)
    if isinstance(value, list):
        return [_plain_model(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_model(v) for k, v in value.items()}
    return value
