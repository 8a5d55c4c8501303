"""Run configurations: a whole xproj job described in one TOML, YAML or JSON file.

A :class:`RunConfig` names the flow, each stage's backend (a name from the stage's registry) and
parameters, the projectors to compare, the datasets, the evaluation label map, the output folder
and the runner. It is validated when it is built: unknown fields, unknown backend names and bad
parameters raise :class:`ConfigError` naming the field path and what is allowed, e.g.::

    stages.aligner.backend: no aligner named 'simalgn'. Available: precomputed, simalign.

Backends are validated by constructing them (constructors do no heavy work: models load on first
use). Relative paths are relative to the config file's folder (the current folder for a config
built in Python) and may use environment variables as ``${VAR}`` or ``${VAR:-default}``.

The same object is what the Python API builds: :meth:`xproj.Pipeline.to_config` returns one,
:meth:`RunConfig.dump` writes it, and ``xproj run FILE`` runs it.

Examples
--------
>>> cfg = RunConfig.from_dict({
...     "flow": "translate-train",
...     "stages": {"projectors": [{"backend": "heuristic"}]},
...     "datasets": [{"name": "demo", "lang": "de", "source": "en.conll",
...                   "translations": "de.txt", "alignments": "en-de.pharaoh"}],
... })
>>> cfg.stages.projectors[0].display_name
'heuristic'
>>> print(cfg.dump(format="toml"))  # doctest: +NORMALIZE_WHITESPACE
flow = "translate-train"
src_lang = "en"
output = "xproj-output"
<BLANKLINE>
[stages]
projectors = [
    { backend = "heuristic" },
]
<BLANKLINE>
[[datasets]]
name = "demo"
lang = "de"
source = "en.conll"
translations = "de.txt"
alignments = "en-de.pharaoh"
<BLANKLINE>
>>> try:
...     RunConfig.from_dict({"stages": {"projectors": [{"backend": "gredy"}]}, "datasets": []})
... except ConfigError as e:
...     print(e)  # doctest: +ELLIPSIS
stages.projectors[0].backend: no projector named 'gredy'. Available: greedy, heuristic, ilp, ...
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from xproj._config_files import (
    FROZEN,
    AlignmentFile,
    ConllFile,
    HeldoutFile,
    TextFile,
    TrainFile,
    UnlabelledFile,
    _path_str,
    param_path,
    param_paths,
    resolve_params,
)
from xproj._config_io import (
    _import_plugins,
    _import_yaml,
    _prune,
    _rebase_paths,
    _render_validation_error,
    dumps_toml,
    expand_env,
    import_plugins,
    load_config,
)
from xproj._config_schema import (
    FILE_FIELDS,
    DatasetConfig,
    EvaluationConfig,
    FlowStep,
    ProjectorSpec,
    StagesConfig,
    StageSpec,
    StepConfig,
    check_unique,
)
from xproj.errors import ConfigError
from xproj.io._files import not_a_file
from xproj.registry import component_params, component_spec, registry

if TYPE_CHECKING:
    from xproj.flows import Flow

__all__ = [
    "AlignmentFile",
    "ConfigError",
    "ConllFile",
    "DatasetConfig",
    "EvaluationConfig",
    "FlowStep",
    "HeldoutFile",
    "ProjectorSpec",
    "RunConfig",
    "RunnerConfig",
    "StageResources",
    "StageSpec",
    "StagesConfig",
    "StepConfig",
    "TextFile",
    "TrainFile",
    "UnlabelledFile",
    "build_component",
    "component_params",
    "component_spec",
    "dumps_toml",
    "expand_env",
    "import_plugins",
    "load_config",
]

#: The stage slots of ``[stages]``, with the registry (attribute of :mod:`xproj`) of each.
STAGE_REGISTRIES = {
    "translator": "translators",
    "labeller": "labellers",
    "aligner": "aligners",
    "projector": "projectors",
    "refiner": "refiners",
}


class StageResources(BaseModel):
    """How one stage is run.

    Attributes
    ----------
    workers
        Ray runner: actors (each holding the model once) in the stage's pool.
    num_gpus
        Ray runner: GPUs per actor (fractions share a GPU).
    num_cpus
        Ray runner: CPUs per actor.
    batch_size
        Sentences per call to the backend within a chunk (both runners); None: the whole chunk.
    """

    model_config = FROZEN
    workers: int = Field(default=1, ge=1)
    num_gpus: float = Field(default=0, ge=0)
    num_cpus: float = Field(default=1, gt=0)
    batch_size: int | None = Field(default=None, ge=1)


class RunnerConfig(BaseModel):
    """Where and how the stages run.

    Attributes
    ----------
    kind
        ``local`` (in this process, the default) or ``ray``.
    chunk_size
        Sentences per unit of work: the granularity of the cache (and so of resuming) and of
        the work handed to a Ray actor.
    address
        Ray runner: the cluster to join (``ray.init(address=...)``); None: the ``RAY_ADDRESS``
        environment variable, else a local Ray instance.
    num_cpus
        Ray runner: CPUs of a local instance it starts; None: all.
    max_retries
        Ray runner: how often a dead actor is restarted and its task retried.
    stages
        Per-stage resources, keyed ``translator``, ``labeller``, ``aligner``, ``projector``,
        ``refiner`` and ``train`` (a whole-dataset step: on Ray, one task with ``num_cpus`` and
        ``num_gpus``).
    """

    model_config = FROZEN
    kind: Literal["local", "ray"] = "local"
    chunk_size: int = Field(default=256, ge=1)
    address: str | None = None
    num_cpus: int | None = Field(default=None, ge=1)
    max_retries: int = Field(default=3, ge=0)
    stages: dict[
        Literal["translator", "labeller", "aligner", "projector", "refiner", "train"],
        StageResources,
    ] = Field(default_factory=dict)

    def resources(self, stage: str) -> StageResources:
        """The resources of ``stage`` (defaults where the config gives none)."""
        return self.stages.get(stage, StageResources())  # type: ignore[call-overload,no-any-return]


class RunConfig(BaseModel):
    """A whole run: flow, stages, datasets, evaluation, output and runner.

    Build it with :meth:`from_file` / :func:`load_config`, :meth:`from_dict`, or
    :meth:`xproj.Pipeline.to_config`; write it with :meth:`dump`.

    Attributes
    ----------
    flow
        ``translate-train`` (project labelled source sentences onto their translations),
        ``translate-test`` (label target sentences through their translation),
        ``label-project`` (label the source side of parallel text, then project as
        translate-train does), or the flow's own list of steps (:class:`FlowStep` tables,
        see :func:`xproj.flows.custom_flow`).
    src_lang
        The labelled (rich) language.
    stages
        The backends (:class:`StagesConfig`).
    datasets
        What to run on (:class:`DatasetConfig`).
    evaluation
        How to score against gold (:class:`EvaluationConfig`).
    output
        The output folder.
    cache
        Whether stage outputs are cached (in ``<output>/cache``) so a rerun resumes.
    plugins
        Modules (``my_pkg.backends``) or Python files (``backends.py``, relative to the
        config) imported before the backends are looked up; they may register backends with
        ``xproj.aligners.register(...)``. Ray workers import them too.
    runner
        :class:`RunnerConfig`.
    """

    model_config = FROZEN
    flow: Literal["translate-train", "translate-test", "label-project"] | list[FlowStep] = (
        "translate-train"
    )
    src_lang: str = "en"
    stages: StagesConfig
    datasets: list[DatasetConfig]
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    output: str = "xproj-output"
    cache: bool = True
    plugins: list[str] = Field(default_factory=list)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    steps: list[StepConfig] = Field(default_factory=list)

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("flow", mode="before")
    @classmethod
    def _flow(cls, v: Any) -> Any:
        if isinstance(v, list):
            return v
        if v not in ("translate-train", "translate-test", "label-project"):
            raise ValueError(
                "Input should be 'translate-train', 'translate-test' or 'label-project' (or a "
                f"list of steps); got {v!r}"
            )
        return v

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, v: Any) -> Any:
        return _path_str(v)

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, v: list[DatasetConfig]) -> list[DatasetConfig]:
        check_unique(
            [d.name for d in v], "datasets", "names must differ (they name the output folders)"
        )
        return v

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> RunConfig:
        base = (info.context or {}).get("base_dir")
        self._base_dir = Path(base) if base is not None else Path.cwd()
        _import_plugins(self.plugins, self._base_dir)
        self._check_flow()
        self._check_backends()
        from xproj.flows import check_steps

        check_steps(self)
        return self

    # ------------------------------------------------------------------ validation

    def _check_flow(self) -> None:
        from xproj.flows import check_datasets

        check_datasets(self.flow_def, self.datasets, self.stages)

    def _check_backends(self) -> None:
        st = self.stages
        for slot in ("translator", "labeller", "aligner"):
            spec = getattr(st, slot)
            if spec is not None:
                build_component(slot, spec, f"stages.{slot}")
        for k, p in enumerate(st.projectors):
            build_component("projector", p, f"stages.projectors[{k}]")

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None) -> RunConfig:
        """Validate ``data`` (parsed TOML/YAML/JSON); relative paths are under ``base_dir``.

        Raises
        ------
        ConfigError
            Naming each bad field's path and what it accepts.
        """
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        try:
            return cls.model_validate(dict(data), context={"base_dir": base.resolve()})
        except ValidationError as e:
            raise ConfigError(_render_validation_error(e, cls)) from None

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a ``.toml``, ``.yaml``/``.yml`` or ``.json`` config; see :func:`load_config`."""
        return load_config(path)

    @property
    def flow_def(self) -> Flow:
        """The flow as data: a built-in one by name, or the config's own step list."""
        from xproj.flows import FLOWS, Step, custom_flow

        if isinstance(self.flow, str):
            return FLOWS[self.flow]
        return custom_flow([Step(s.kind, tuple(s.reads), s.writes, s.into) for s in self.flow])

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._base_dir

    def resolve(self, path: str) -> Path:
        """``path`` with ``${VAR}`` expanded, made absolute against :attr:`base_dir`."""
        return (self._base_dir / expand_env(path)).resolve()

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output)

    def with_output(self, output: str | Path) -> RunConfig:
        """A copy writing to ``output`` (relative to the current folder)."""
        return self.model_copy(update={"output": str(Path(output).resolve())})

    def data_files(self) -> list[tuple[str, Any]]:
        """Every data file the config names, as ``(config key, file reference)``."""
        out: list[tuple[str, Any]] = []
        for k, d in enumerate(self.datasets):
            for fname in FILE_FIELDS:
                ref = getattr(d, fname)
                if isinstance(ref, list):
                    out += [(f"datasets[{k}].{fname}[{j}]", r) for j, r in enumerate(ref)]
                elif ref is not None:
                    out.append((f"datasets[{k}].{fname}", ref))
            out += [(f"datasets[{k}].heldout.{s}", ref) for s, ref in d.heldout.items()]
            if d.unlabelled is not None:
                out.append((f"datasets[{k}].unlabelled", d.unlabelled))
        for k, step in enumerate(self.steps):
            out += [(f"steps[{k}].mix[{j}]", ref) for j, ref in enumerate(step.mix)]
        return out

    def params_at(self) -> list[tuple[str, dict[str, Any]]]:
        """Every component's parameters the config gives, as ``(config key, params)``."""
        out: list[tuple[str, dict[str, Any]]] = []
        for slot in ("translator", "labeller", "aligner"):
            spec = getattr(self.stages, slot)
            if spec is not None:
                out.append((f"stages.{slot}.params", spec.params))
        out += [
            (f"stages.projectors[{k}].params", p.params)
            for k, p in enumerate(self.stages.projectors)
        ]
        for k, step in enumerate(self.steps):
            out.append((f"steps[{k}].params", step.params))
            for field in ("refiner", "labeller", "projector"):
                spec = getattr(step, field)
                if spec is not None:
                    out.append((f"steps[{k}].{field}.params", spec.params))
        return out

    def resolve_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` as a component gets them: path-like values (a ``model`` folder) with
        ``${VAR}`` expanded and made absolute against :attr:`base_dir`, as data paths are; a
        name such as a hub model is passed as written (:func:`xproj._config_files.param_path`
        has the rule)."""
        return resolve_params(dict(params), self._base_dir)  # type: ignore[no-any-return]

    def resolve_spec(self, spec: StageSpec) -> StageSpec:
        """``spec`` with :meth:`resolve_params` applied to its parameters."""
        return spec.model_copy(update={"params": self.resolve_params(spec.params)})

    def check_files(self) -> None:
        """Raise :class:`ConfigError` naming the first data file, or path in a component's
        parameters (:func:`xproj._config_files.param_path`), that does not exist."""
        self._check_data_files()
        for at, params in self.params_at():
            for where, value in param_paths(params, at):
                try:
                    _, path = param_path(value, self._base_dir)
                except ConfigError as e:
                    raise ConfigError(f"{where}: {e}") from None
                if path is not None and not path.exists():
                    hint = ""
                    if "${" in value:
                        hint = "; set the environment variable it names, or edit the path"
                    raise ConfigError(
                        f"{where}: {path} does not exist (from {value!r}, relative to "
                        f"{self._base_dir}){hint}"
                    )

    def _check_data_files(self) -> None:
        for where, ref in self.data_files():
            try:
                p = self.resolve(ref.path)
            except ConfigError as e:
                raise ConfigError(f"{where}: {e}") from None
            problem = not_a_file(p)
            if problem is not None:
                hint = ""
                if "${" in ref.path:
                    hint = " (set the environment variable it names, or edit the path)"
                raise ConfigError(
                    f"{where}: {problem} (from {ref.path!r}, relative to {self._base_dir}){hint}"
                )

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, without fields left at their defaults."""
        return _prune(self)  # type: ignore[no-any-return]

    def dump(
        self,
        path: str | Path | None = None,
        *,
        format: Literal["toml", "yaml", "json"] | None = None,
    ) -> str:
        """The config as TOML (default), YAML or JSON text; with ``path``, also written there.

        Relative data paths are rewritten relative to the folder of ``path`` so the written file
        reads the same data; ``${VAR}`` paths are kept as they are.
        """
        if format is None:
            suffix = Path(path).suffix.lower() if path is not None else ".toml"
            format = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(suffix, "toml")  # type: ignore[assignment]
        data = self.to_dict()
        if path is not None:
            data = _rebase_paths(data, self._base_dir, Path(path).resolve().parent)
        if format == "toml":
            text = dumps_toml(data)
        elif format == "json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        elif format == "yaml":
            yaml = _import_yaml()
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        else:
            raise ConfigError(f"format must be 'toml', 'yaml' or 'json', got {format!r}")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def fingerprint(self) -> str:
        """A short hash of the config's content (for logs and summaries)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def build_component(slot: str, spec: StageSpec, where: str = "") -> Any:
    """Build the backend ``spec`` names for stage ``slot`` (``"aligner"``, ...) from its registry.

    See :meth:`xproj.registry.Registry.build`; errors are :class:`ConfigError` naming ``where``.
    """
    return registry(STAGE_REGISTRIES[slot]).build(spec.backend, spec.params, where=where)
