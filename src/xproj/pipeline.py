"""The composable Pipeline: translator, labeller, aligner and projector wired together.

Two flows:

- **translate-train**: labelled source sentences -> translations -> alignment -> projected labels
  on the translations (training data for the target language).
- **translate-test**: target sentences -> English translations -> English labels -> alignment
  -> labels projected back onto the original target sentences.

Every stage can be replaced by precomputed input (human translations, labels or alignments read
from files), so a pipeline runs on parallel text without a translator, or on Pharaoh files without
an aligner.

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xproj._batch import check_same_length
from xproj.align.base import Aligner
from xproj.errors import ParameterError
from xproj.label.base import Labeller
from xproj.params import Component, InstanceOf, NoneOr
from xproj.project.base import Projector
from xproj.translate.base import Translator
from xproj.types import Alignment, LabelledSentence, Projection, Sentence

if TYPE_CHECKING:
    from xproj.config import DatasetConfig, RunConfig

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
        One projection per input sentence.
    reports
        What each step that ran reported (``"translate"``, ``"label"``, ``"project"``), e.g.
        the solver statistics of a matching projector.
    """

    sources: tuple[LabelledSentence, ...]
    targets: tuple[Sentence, ...]
    alignments: tuple[Alignment, ...]
    projections: tuple[Projection, ...]
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        }


@dataclass(kw_only=True)
class Pipeline(Component):
    """Composes a translator, a labeller, an aligner and a projector.

    Parameters
    ----------
    projector
        How entities are carried over (required).
    aligner
        How words are linked; optional when alignments are passed to each run.
    translator
        How sentences are translated; optional when translations are passed to each run.
    labeller
        How the English side is labelled in translate-test; optional when labels are passed.

    Nested parameters are addressable as in scikit-learn: ``pipe.set_params(aligner__layer=7)``.
    """

    projector: Projector
    aligner: Aligner | None = None
    translator: Translator | None = None
    labeller: Labeller | None = None
    _constraints = {
        "projector": InstanceOf((Projector,)),
        "aligner": NoneOr(InstanceOf((Aligner,))),
        "translator": NoneOr(InstanceOf((Translator,))),
        "labeller": NoneOr(InstanceOf((Labeller,))),
    }

    def _run(
        self, flow: str, lang: str, src_lang: str, columns: dict[str, Sequence[Any] | None]
    ) -> PipelineResult:
        """Run ``flow`` in memory on one dataset: the executor every flow runs through."""
        from xproj.executor import DatasetState, Executor, MemoryBackend
        from xproj.flows import FLOWS, STEP_KINDS, plan

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
        components = {
            "translator": self.translator,
            "labeller": self.labeller,
            "aligner": self.aligner,
            "projectors": [("", self.projector)],
        }
        state = DatasetState("data", lang, dict(given), frozenset(given))
        Executor(f, components, MemoryBackend(), src_lang=src_lang).run([state])
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
            tuple(state.methods[""]),
            state.reports,
        )

    def translate_train(
        self,
        sources: Sequence[LabelledSentence],
        tgt_lang: str,
        *,
        translations: Sequence[Sentence] | None = None,
        alignments: Sequence[Alignment] | None = None,
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
        """
        if translations is not None:
            check_same_length(sources=sources, translations=translations)
        cols = {"source": sources, "translations": translations, "alignments": alignments}
        return self._run("translate-train", tgt_lang, "en", cols)

    def translate_test(
        self,
        targets: Sequence[Sentence],
        *,
        src_lang: str = "en",
        translations: Sequence[Sentence] | None = None,
        labels: Sequence[LabelledSentence] | None = None,
        alignments: Sequence[Alignment] | None = None,
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
        return self._run("translate-test", lang, src_lang, cols)

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
        labeller is left out of a translate-train config (that flow does not label).

        Parameters
        ----------
        datasets
            :class:`~xproj.config.DatasetConfig` objects or their tables.
        flow
            ``"translate-train"`` or ``"translate-test"``.
        projector_name
            The name the projector's results are reported under (default: its backend name).
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

        stages: dict[str, Any] = {
            "projectors": [component_spec(self.projector, name=projector_name)]
        }
        slots = (
            ("translator", "aligner")
            if flow == "translate-train"
            else (
                "translator",
                "labeller",
                "aligner",
            )
        )
        for slot in slots:
            component = getattr(self, slot)
            if component is not None:
                stages[slot] = component_spec(component)
        rows = [
            d.model_dump(exclude_none=True) if isinstance(d, BaseModel) else dict(d)
            for d in datasets
        ]
        return RunConfig.from_dict({"flow": flow, "stages": stages, "datasets": rows, **options})

    @classmethod
    def from_config(cls, config: RunConfig | str | Path, *, projector: int | str = 0) -> Pipeline:
        """The pipeline a config describes (a :class:`~xproj.config.RunConfig` or a file).

        Parameters
        ----------
        config
            A config object, or the path of a TOML/YAML/JSON config file.
        projector
            Which of the config's projectors to use: its index or its name.
        """
        from xproj.config import ConfigError, RunConfig, build_component, load_config

        cfg = config if isinstance(config, RunConfig) else load_config(config)
        specs = cfg.stages.projectors
        if isinstance(projector, str):
            names = [p.display_name for p in specs]
            if projector not in names:
                raise ConfigError(
                    f"the config has no projector named {projector!r}; it has {', '.join(names)}"
                )
            spec = specs[names.index(projector)]
        else:
            if not -len(specs) <= projector < len(specs):
                raise ConfigError(
                    f"projector={projector} but the config has {len(specs)} projector(s)"
                )
            spec = specs[projector]
        st = cfg.stages
        return cls(
            projector=build_component("projector", spec),
            aligner=None if st.aligner is None else build_component("aligner", st.aligner),
            translator=None
            if st.translator is None
            else build_component("translator", st.translator),
            labeller=None if st.labeller is None else build_component("labeller", st.labeller),
        )
