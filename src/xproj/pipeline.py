"""The composable Pipeline: translator, labeller, aligner and projector wired together.

Two flows:

- **translate-train**: labelled source sentences -> translations -> alignment -> projected labels
  on the translations (training data for the target language).
- **translate-test**: target sentences -> English translations -> English labels -> alignment
  -> labels projected back onto the original target sentences.

Every stage can be replaced by precomputed input (human translations, labels or alignments read
from files), so a pipeline runs on parallel text without a translator, or on Pharaoh files without
an aligner.

After the projectors come the steps a config declares as ``[[steps]]``, each an
:class:`~xproj.executor.ExtraStep`: ``refine`` (a refiner such as back-translation improves one
method's projections; translate-test only), ``vote`` (the spans at least ``min_votes`` of several
methods agree on) and ``train`` (a labeller trained on one method's projections, saved under the
run's ``model_dir``, which then labels the targets). Steps read *methods* by name, so a pipeline
with steps names its projectors: ``projector={"greedy": ..., "heuristic": ...}``. Everything runs
through the executor ``xproj run`` uses (:mod:`xproj.executor`), in memory: a config and the
Pipeline built from it (:meth:`Pipeline.from_config`) give the same results.

Examples
--------
>>> from xproj import LabelledSentence, Sentence, Pipeline
>>> from xproj.align.precomputed import PrecomputedAligner
>>> import xproj
>>> src = [LabelledSentence.from_tags(["Merkel", "visited", "Paris"], ["B-PER", "O", "B-LOC"])]
>>> tgt = [Sentence(("Merkel", "besuchte", "Paris"), "de")]
>>> pipe = Pipeline(aligner=PrecomputedAligner(links=[[(0, 0), (1, 1), (2, 2)]]),
...                 projector=xproj.projectors.get("greedy"))
>>> result = pipe.translate_train(src, "de", translations=tgt)
>>> result.projections[0].tags
('B-PER', 'O', 'B-LOC')
>>> result.counts()["entities_projected"]
2

Two named projectors and a vote over them (a span both give):

>>> from xproj.executor import ExtraStep
>>> pipe = Pipeline(
...     aligner=PrecomputedAligner(links=[[(0, 0), (1, 1), (2, 2)]]),
...     projector={"greedy": xproj.projectors.get("greedy"),
...                "heuristic": xproj.projectors.get("heuristic")},
...     steps=[ExtraStep("vote", "both", ("greedy", "heuristic"), params={"min_votes": 2})])
>>> result = pipe.translate_train(src, "de", translations=tgt)
>>> list(result.methods), result.methods["both"][0].tags
(['greedy', 'heuristic', 'both'], ('B-PER', 'O', 'B-LOC'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xproj._batch import check_items, check_same_length
from xproj.align.base import Aligner
from xproj.errors import ParameterError
from xproj.label.base import Labeller
from xproj.params import Component, InstanceOf, NoneOr, Predicate
from xproj.project.base import Projector
from xproj.translate.base import Translator
from xproj.types import Alignment, LabelledSentence, Projection, Sentence

if TYPE_CHECKING:
    from xproj.config import DatasetConfig, RunConfig
    from xproj.executor import ExtraStep

__all__ = ["Pipeline", "PipelineResult"]


@dataclass(frozen=True)
class PipelineResult:
    """Everything a pipeline run produced, aligned by sentence index.

    Attributes
    ----------
    sources
        The labelled side that was projected from: the English input in translate-train, the
        labelled English translations in translate-test.
    targets
        The side projected onto: translations in translate-train, the original sentences in
        translate-test.
    alignments
        Source-to-target word alignments.
    projections
        One projection per input sentence: the projector's (the first one's, when the
        pipeline has several).
    reports
        What each step that ran reported, under its title (``"translate"``, ``"label"``,
        ``"project"`` or ``"project greedy"`` for a named projector, ``"refine bt"``,
        ``"train model"``), e.g. the solver statistics of a matching projector or the losses
        of a trained model.
    methods
        Every named method, in order: the named projectors, then each step's output, one
        projection per sentence (a vote's or a trained model's spans as projections of its
        own, as ``xproj run`` writes them). Empty for a single, unnamed projector without steps.
    models
        ``train`` or ``selftrain`` step name -> the folder its model was saved in.
    """

    sources: tuple[LabelledSentence, ...]
    targets: tuple[Sentence, ...]
    alignments: tuple[Alignment, ...]
    projections: tuple[Projection, ...]
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, tuple[Projection, ...]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.projections)

    def counts(self) -> dict[str, int]:
        """Sentences, entities in, projected and unprojected."""
        n_in = sum(p.n_source for p in self.projections)
        n_out = sum(len(p.projected) for p in self.projections)
        n_drop = sum(len(p.unprojected) for p in self.projections)
        return {
            "sentences": len(self.projections),
            "entities_in": n_in,
            "entities_projected": n_out,
            "entities_unprojected": n_drop,
            "empty_targets": sum(1 for t in self.targets if not t.words),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": [s.to_dict() for s in self.sources],
            "targets": [t.to_dict() for t in self.targets],
            "alignments": [a.to_dict() for a in self.alignments],
            "projections": [p.to_dict() for p in self.projections],
            "reports": self.reports,
            "methods": {m: [p.to_dict() for p in ps] for m, ps in self.methods.items()},
            "models": self.models,
        }


def _named_projectors(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, Projector) for k, v in value.items())
    )


def _extra_steps(value: Any) -> bool:
    from xproj.executor import ExtraStep

    return all(isinstance(s, ExtraStep) for s in value)


@dataclass(kw_only=True)
class Pipeline(Component):
    """Composes a translator, a labeller, an aligner, projectors and the steps after them.

    Parameters
    ----------
    projector
        How entities are carried over (required): one projector, or several by name
        (``{"greedy": ..., "heuristic": ...}``), which all run. The names are the methods the
        steps read and the keys of the result's ``methods``; the first projector's output is
        the result's ``projections``.
    aligner
        How words are linked; optional when alignments are passed to each run.
    translator
        How sentences are translated; optional when translations are passed to each run.
    labeller
        How the English side is labelled in translate-test; optional when labels are passed.
    steps
        Steps after the projectors, in order (:class:`~xproj.executor.ExtraStep`, what a
        config's ``[[steps]]`` tables declare): ``ExtraStep("refine", name, (method,),
        component=refiner)`` (a :class:`~xproj.backtranslate.Refiner` or its
        :class:`~xproj.config.StageSpec`), ``ExtraStep("vote", name, methods,
        params={"min_votes": 2})``, ``ExtraStep("train", name, (method,), params=...)`` with
        keyword arguments of :func:`xproj.label.train.train_labeller` (the run's ``model_dir``
        says where the model is saved), ``ExtraStep("selftrain", name, (train step,),
        params=...)`` (that step's model labels the run's ``unlabelled`` sentences and a new
        model learns from those labels, starting from it: self-training, Wu et al., 2020).
        Each adds the method ``name``.

    Nested parameters are addressable as in scikit-learn: ``pipe.set_params(aligner__layer=7)``.
    """

    projector: Projector | Mapping[str, Projector]
    aligner: Aligner | None = None
    translator: Translator | None = None
    labeller: Labeller | None = None
    steps: Sequence[ExtraStep] = ()
    _constraints = {
        "projector": [
            InstanceOf((Projector,)),
            Predicate(_named_projectors, "a non-empty mapping of names to Projector instances"),
        ],
        "aligner": NoneOr(InstanceOf((Aligner,))),
        "translator": NoneOr(InstanceOf((Translator,))),
        "labeller": NoneOr(InstanceOf((Labeller,))),
        "steps": Predicate(_extra_steps, "a sequence of xproj.executor.ExtraStep"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_steps()

    def _projectors(self) -> list[tuple[str, Projector]]:
        """The projectors by method name (``""`` for a single, unnamed one)."""
        if isinstance(self.projector, Projector):
            return [("", self.projector)]
        return list(self.projector.items())

    def _check_steps(self, entry: str | None = None) -> None:
        """Raise ParameterError naming the first step that cannot run
        (:func:`xproj.flows.check_pipeline_steps`)."""
        from xproj.flows import check_pipeline_steps

        check_pipeline_steps(self.steps, [name for name, _ in self._projectors()], entry)

    def _run(
        self,
        flow: str,
        lang: str,
        src_lang: str,
        columns: dict[str, Sequence[Any] | None],
        model_dir: str | Path | None,
        unlabelled: Sequence[Sentence] | None = None,
    ) -> PipelineResult:
        """Run ``flow`` and the steps in memory on one dataset: the executor every flow runs
        through."""
        from xproj.executor import DatasetState, Executor, MemoryBackend, _sentences
        from xproj.flows import FLOWS, STEP_KINDS, TRAINING_KINDS, plan

        f = FLOWS[flow]
        given = {k: list(v) for k, v in columns.items() if v is not None}
        for step in plan(f, given):
            slot = STEP_KINDS[step.kind].stage
            if slot is not None and slot != "projectors" and getattr(self, slot) is None:
                alt = "labels" if slot == "labeller" else f"{step.writes}"
                raise ParameterError(
                    f"this Pipeline has no {slot}: give Pipeline({slot}=...) or pass {alt}= "
                    "to the run"
                )
        self._check_steps(f.entry)
        trains = [s.name for s in self.steps if s.kind in TRAINING_KINDS]
        if trains and model_dir is None:
            raise ParameterError(
                f"step {trains[0]!r} trains a labeller: pass model_dir= to the run, the folder "
                f"its model is saved in (as <model_dir>/{trains[0]}, replacing what is there)"
            )
        selftrain = next((s.name for s in self.steps if s.kind == "selftrain"), None)
        if selftrain is not None and not unlabelled:
            raise ParameterError(
                f"step {selftrain!r} learns from a trained model's labels of unlabelled "
                "sentences: pass unlabelled= (sentences of the target language) to the run"
            )
        if unlabelled:
            check_items("unlabelled", unlabelled, (Sentence, LabelledSentence))
        folder = None if model_dir is None else Path(model_dir)
        projectors = self._projectors()
        components = {
            "translator": self.translator,
            "labeller": self.labeller,
            "aligner": self.aligner,
            "projectors": projectors,
        }
        state = DatasetState("data", lang, dict(given), frozenset(given))
        if unlabelled:  # labels a LabelledSentence carries are not read
            state.unlabelled = _sentences(unlabelled)
        Executor(
            f,
            components,
            MemoryBackend(),
            src_lang=src_lang,
            extra=self.steps,
            model_dir=None if folder is None else (lambda _data, step: str(folder / step)),
        ).run([state])
        labelled, target, ali = f.steps[-1].reads
        check_same_length(
            sources=state.column(labelled),
            targets=state.column(target),
            alignments=state.column(ali),
        )
        return PipelineResult(
            tuple(state.column(labelled)),
            tuple(state.column(target)),
            tuple(state.column(ali)),
            tuple(state.methods[projectors[0][0]]),
            state.reports,
            {m: tuple(v) for m, v in state.methods.items() if m},
            dict(state.models),
        )

    def translate_train(
        self,
        sources: Sequence[LabelledSentence],
        tgt_lang: str,
        *,
        translations: Sequence[Sentence] | None = None,
        alignments: Sequence[Alignment] | None = None,
        model_dir: str | Path | None = None,
        unlabelled: Sequence[Sentence] | None = None,
    ) -> PipelineResult:
        """Project labelled ``sources`` onto their translations into ``tgt_lang``.

        Parameters
        ----------
        sources
            Labelled sentences in the rich language.
        tgt_lang
            Target language code.
        translations
            Existing translations (one per source, e.g. human parallel text) instead of the
            translator.
        alignments
            Existing source-to-translation alignments instead of the aligner.
        model_dir
            Where ``train`` and ``selftrain`` steps save their models
            (``<model_dir>/<step name>``, replacing what is there); required when the pipeline
            has one.
        unlabelled
            Sentences of the target language for ``selftrain`` steps (required with one): a
            trained model labels them and the step's model learns from those labels. They are
            used as given (a config's ``datasets[i].unlabelled`` also leaves out sentences of
            the held-out gold and draws a sample).
        """
        if translations is not None:
            check_same_length(sources=sources, translations=translations)
        cols = {"source": sources, "translations": translations, "alignments": alignments}
        return self._run("translate-train", tgt_lang, "en", cols, model_dir, unlabelled)

    def translate_test(
        self,
        targets: Sequence[Sentence],
        *,
        src_lang: str = "en",
        translations: Sequence[Sentence] | None = None,
        labels: Sequence[LabelledSentence] | None = None,
        alignments: Sequence[Alignment] | None = None,
        model_dir: str | Path | None = None,
        unlabelled: Sequence[Sentence] | None = None,
    ) -> PipelineResult:
        """Label ``targets`` by labelling their translation into ``src_lang`` and projecting back.

        Parameters
        ----------
        targets
            Sentences to label, in the low-resource language.
        src_lang
            The language the labeller works in (English by default).
        translations
            Existing translations of ``targets`` instead of the translator.
        labels
            Existing labelled translations instead of translator and labeller.
        alignments
            Existing translation-to-target alignments instead of the aligner.
        model_dir
            Where ``train`` and ``selftrain`` steps save their models
            (``<model_dir>/<step name>``, replacing what is there); required when the pipeline
            has one.
        unlabelled
            Sentences of the target language for ``selftrain`` steps, as in
            :meth:`translate_train`.
        """
        if labels is not None:
            check_same_length(targets=targets, labels=labels)
            translations = None  # not needed: the labels are given
        elif translations is not None:
            check_same_length(targets=targets, translations=translations)
        lang = next((t.lang for t in targets if t.lang), "") or ""
        cols = {
            "input": targets,
            "translations": translations,
            "labels": labels,
            "alignments": alignments,
        }
        return self._run("translate-test", lang, src_lang, cols, model_dir, unlabelled)

    # ------------------------------------------------------------------ configs

    def to_config(
        self,
        datasets: Sequence[DatasetConfig | Mapping[str, Any]],
        *,
        flow: str = "translate-train",
        projector_name: str | None = None,
        **options: Any,
    ) -> RunConfig:
        """This pipeline as a :class:`~xproj.config.RunConfig` over ``datasets``.

        Each component is written as its registry name and the parameters that differ from
        their defaults, so ``config.dump("run.toml")`` gives a file ``xproj run`` runs. The
        labeller is left out of a translate-train config (that flow does not label). Named
        projectors are written with their names, the steps as ``[[steps]]`` tables (a refiner
        as its registry name and parameters).

        Parameters
        ----------
        datasets
            :class:`~xproj.config.DatasetConfig` objects or their tables.
        flow
            ``"translate-train"`` or ``"translate-test"``.
        projector_name
            The name a single projector's results are reported under (default: its backend
            name); named projectors keep their names.
        **options
            Other :class:`~xproj.config.RunConfig` fields: ``src_lang``, ``output``,
            ``evaluation``, ``runner``, ``cache``, ``plugins``.

        Raises
        ------
        ConfigError
            A component is not registered, or a parameter cannot be written in a config.

        Examples
        --------
        >>> import xproj
        >>> pipe = Pipeline(aligner=xproj.aligners.get("simalign", layer=6),
        ...                 projector=xproj.projectors.get("heuristic", max_gap=2))
        >>> cfg = pipe.to_config([{"name": "d", "lang": "de", "source": "en.conll",
        ...                        "translations": "de.txt"}])
        >>> cfg.stages.aligner.params, cfg.stages.projectors[0].params
        ({'layer': 6}, {'max_gap': 2})
        >>> Pipeline.from_config(cfg).projector.max_gap
        2
        """
        from pydantic import BaseModel

        from xproj.config import RunConfig, component_spec

        projectors = self._projectors()
        if projectors[0][0] and projector_name is not None:
            raise ParameterError(
                "projector_name names a single projector; this Pipeline's projectors are "
                f"named by its mapping ({', '.join(n for n, _ in projectors)})"
            )
        if self.steps and "steps" in options:
            raise ParameterError("steps= is this Pipeline's own steps; do not pass it again")
        specs = [component_spec(p, name=name or projector_name) for name, p in projectors]
        stages: dict[str, Any] = {"projectors": specs}
        slots = (
            ("translator", "aligner")
            if flow == "translate-train"
            else ("translator", "labeller", "aligner")
        )
        for slot in slots:
            component = getattr(self, slot)
            if component is not None:
                stages[slot] = component_spec(component)
        rows = [
            d.model_dump(exclude_none=True) if isinstance(d, BaseModel) else dict(d)
            for d in datasets
        ]
        data = {"flow": flow, "stages": stages, "datasets": rows, **options}
        if self.steps:
            data["steps"] = [_step_table(s) for s in self.steps]
        return RunConfig.from_dict(data)

    @classmethod
    def from_config(
        cls, config: RunConfig | str | Path, *, projector: int | str | None = None
    ) -> Pipeline:
        """The pipeline a config describes (a :class:`~xproj.config.RunConfig` or a file).

        Parameters
        ----------
        config
            A config object, or the path of a TOML/YAML/JSON config file.
        projector
            Which of the config's projectors to use: its index or its name; None (the
            default): every one. Several projectors, or any with the config's ``[[steps]]``
            (which read them by name), are a mapping by name; a single projector without steps
            is the projector itself.

        Raises
        ------
        ConfigError
            No projector of that name or index, or a step reads a projector left out.
        """
        from xproj.config import ConfigError, RunConfig, build_component, load_config
        from xproj.executor import ExtraStep

        cfg = config if isinstance(config, RunConfig) else load_config(config)
        specs = cfg.stages.projectors
        if projector is None:
            chosen = list(specs)
        elif isinstance(projector, str):
            names = [p.display_name for p in specs]
            if projector not in names:
                raise ConfigError(
                    f"the config has no projector named {projector!r}; it has {', '.join(names)}"
                )
            chosen = [specs[names.index(projector)]]
        else:
            if not -len(specs) <= projector < len(specs):
                raise ConfigError(
                    f"projector={projector} but the config has {len(specs)} projector(s)"
                )
            chosen = [specs[projector]]
        known = [p.display_name for p in chosen]
        steps = []
        for k, s in enumerate(cfg.steps):
            missing = [m for m in s.inputs if m not in known]
            if missing:
                raise ConfigError(
                    f"steps[{k}] ({s.name!r}) reads {missing[0]!r}, which projector={projector!r} "
                    "leaves out; pass projector=None for every projector"
                )
            component: Any = None  # a refiner, or a reproject step's projector spec
            if s.refiner is not None:
                component = build_component(
                    "refiner", cfg.resolve_spec(s.refiner), where=f"steps[{k}].refiner"
                )
            elif s.projector is not None:  # reproject: built by the step, with the model
                component = cfg.resolve_spec(s.projector)
            steps.append(
                ExtraStep(
                    s.kind,
                    s.name,
                    tuple(s.inputs),
                    component,
                    cfg.resolve_params(s.params),
                    filter=s.filter,
                    min_score=s.min_score,
                )
            )
            known.append(s.name)
        built = [build_component("projector", cfg.resolve_spec(p)) for p in chosen]
        named = len(built) > 1 or bool(steps)
        st = cfg.stages

        def stage(slot: str) -> Any:
            spec = getattr(st, slot)
            return None if spec is None else build_component(slot, cfg.resolve_spec(spec))

        return cls(
            projector={p.display_name: b for p, b in zip(chosen, built)} if named else built[0],
            aligner=stage("aligner"),
            translator=stage("translator"),
            labeller=stage("labeller"),
            steps=tuple(steps),
        )


def _step_table(step: ExtraStep) -> dict[str, Any]:
    """``step`` as a config's ``[[steps]]`` table (a refiner or a reproject step's projector
    as ``{backend, params}``)."""
    from xproj.config import StageSpec, component_spec

    table: dict[str, Any] = {"kind": step.kind, "name": step.name, "inputs": list(step.inputs)}
    field = "projector" if step.kind == "reproject" else "refiner"
    if isinstance(step.component, StageSpec):
        table[field] = step.component.model_dump()
    elif step.component is not None:
        table[field] = component_spec(step.component)
    if step.filter != "none":
        table["filter"] = step.filter
    if step.min_score is not None:
        table["min_score"] = step.min_score
    if step.params:
        table["params"] = dict(step.params)
    return table
