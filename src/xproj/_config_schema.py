"""The tables a run configuration is built from: stages, steps, datasets and evaluation.

:class:`xproj.config.RunConfig` holds them (and re-exports them from :mod:`xproj.config`, their
public home); the file references inside a dataset (:class:`~xproj.config.ConllFile`, ...) live
in :mod:`xproj._config_files`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from xproj._config_files import (
    FILE_FIELDS,
    FROZEN,
    AlignmentFiles,
    ConllFiles,
    HeldoutFile,
    TextFiles,
    TrainFile,
    UnlabelledFile,
    files_of,
)

__all__ = [
    "FILE_FIELDS",
    "DatasetConfig",
    "EvaluationConfig",
    "FlowStep",
    "ProjectorSpec",
    "StageSpec",
    "StagesConfig",
    "StepConfig",
    "check_unique",
]


def check_unique(names: Sequence[str], field: str, advice: str) -> None:
    """Raise ``ValueError`` at the first name in ``names`` that an earlier entry of the list
    ``field`` already has, with ``advice`` on what to do.

    >>> check_unique(["a", "b", "a"], "datasets", "names must differ")
    Traceback (most recent call last):
    ...
    ValueError: datasets[2] is named 'a' like an earlier one; names must differ
    """
    seen: set[str] = set()
    for k, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{field}[{k}] is named {name!r} like an earlier one; {advice}")
        seen.add(name)


def _usable_name(v: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", v):
        raise ValueError(
            f"{v!r} is not a usable name: use letters, digits and _ . + - (it names output files)"
        )
    return v


class StageSpec(BaseModel):
    """One stage: a backend name from the stage's registry and its constructor parameters."""

    model_config = FROZEN
    backend: str
    params: dict[str, Any] = Field(default_factory=dict)


class ProjectorSpec(StageSpec):
    """A projector to compare, with the name its results are shown under (default: backend)."""

    name: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return v if v is None else _usable_name(v)

    @property
    def display_name(self) -> str:
        """The name results are reported and files are written under."""
        return self.name or self.backend


class StepConfig(BaseModel):
    """A step after the flow's own (``[[steps]]``): refine, vote, train, selftrain, reproject
    or evaluate.

    Attributes
    ----------
    kind
        ``refine`` (translate-test: a refiner, e.g. back-translation, improves one projector's
        output), ``vote`` (the spans at least ``params.min_votes`` of ``inputs`` agree on),
        ``train`` (a labeller trained on one projector's output with
        :func:`xproj.label.train.train_labeller`, whose keyword arguments ``params`` gives;
        it then labels the dataset's target sentences for the report), ``selftrain`` (a
        ``train`` step's model labels each dataset's ``unlabelled`` sentences and a new
        labeller is trained on those labels, by default starting from that model:
        self-training on text of the target language, as in Wu et al., 2020, "Single-/Multi-
        Source Cross-Lingual NER via Teacher-Student Learning on Unlabeled Data in Target
        Language", with the teacher's arg-max labels), ``reproject`` (the
        flow's projection computed again with a ``train`` step's model in the loop: a matching
        projector whose candidates and scores come from the model, Politov et al., 2025) or
        ``evaluate`` (a
        model labels each dataset's held-out gold sentences, ``datasets[i].heldout``, and is
        scored on them).
    name
        The method its output is reported under (and, for ``train``, the model's folder in
        the dataset's output folder; with ``pool``, ``<output>/_pooled/<name>``).
    inputs
        The methods (projector names, earlier steps' names) it reads. ``evaluate``: the
        ``train`` step whose model is scored, or none for a labeller (model transfer);
        ``reproject``: the ``train`` step whose model is put in the loop; ``selftrain``: the
        ``train`` (or ``selftrain``) step whose model labels the unlabelled sentences. A
        ``selftrain`` step's model counts as a ``train`` step's for the steps after it.
    refiner
        ``refine``: the refiner's registry name and parameters.
    labeller
        ``evaluate`` without inputs: the labeller scored; None: ``[stages.labeller]``.
    projector
        ``reproject``: a matching projector (``greedy`` or ``ilp``) and its parameters other
        than ``candidates`` and ``scorer``, which the step sets; None: ``greedy``.
    pool
        ``train``, ``selftrain``: one model on every dataset's sentences together (a
        multilingual model) instead of one model per dataset.
    mix
        ``train``, ``selftrain``: labelled files whose sentences are added to the training set
        (:class:`TrainFile`: optionally sampled, types renamed).
    label_dataset
        ``train``, ``selftrain``: whether the trained model then labels the datasets' own
        sentences (a method, its row in the report); false saves that time where only
        evaluate steps score the model (the step is then no method later steps can read).
    filter
        ``train``: which projected sentences it trains on: ``"none"`` (all, the default),
        ``"complete"`` (those whose every source entity was projected) or
        ``"complete+count"`` (and with as many target spans as source entities); the step
        report counts the sentences left out per reason (``filter_dropped``).
    min_score
        ``train``: also leave out a sentence with a projected span scored below this by its
        projector (the heuristic projector's score is the fraction of the span's words aligned
        to the entity); None: no score filter. ``selftrain``: leave out an unlabelled
        sentence with a span the model scored below this (a span's score is the mean
        probability of its words' tags).
    params
        ``vote``: ``{min_votes = 2}``; ``train``: ``train_labeller``'s arguments
        (``selftrain``: the same, ``model`` by default the model that labels);
        ``evaluate``: ``{splits = ["dev"]}``, the held-out splits scored (default: all).
    """

    model_config = FROZEN
    kind: Literal["refine", "vote", "train", "selftrain", "reproject", "evaluate"]
    name: str
    inputs: list[str] = Field(default_factory=list)
    refiner: StageSpec | None = None
    labeller: StageSpec | None = None
    projector: StageSpec | None = None
    pool: bool = False
    mix: list[TrainFile] = Field(default_factory=list)
    label_dataset: bool = True
    filter: Literal["none", "complete", "complete+count"] = "none"
    min_score: float | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _usable_name(v)


class FlowStep(BaseModel):
    """One step of a config's own flow: ``{kind = "align", reads = ["labels", "input"],
    writes = "alignments"}`` (``into``, for translate: ``"target"`` or ``"source"``)."""

    model_config = FROZEN
    kind: Literal["translate", "label", "align", "project"]
    reads: list[str] = Field(min_length=1)
    writes: str
    into: Literal["", "target", "source"] = ""


class StagesConfig(BaseModel):
    """The stages of the pipeline. Stages whose input every dataset provides may be left out."""

    model_config = FROZEN
    translator: StageSpec | None = None
    labeller: StageSpec | None = None
    aligner: StageSpec | None = None
    projectors: list[ProjectorSpec] = Field(min_length=1)

    @field_validator("projectors")
    @classmethod
    def _unique(cls, v: list[ProjectorSpec]) -> list[ProjectorSpec]:
        check_unique(
            [p.display_name for p in v], "projectors", "give each projector a distinct name"
        )
        return v


class DatasetConfig(BaseModel):
    """One dataset: a language to project into (translate-train) or to label (translate-test).

    Attributes
    ----------
    name
        Names the dataset's output folder and its row in the report.
    lang
        The target language code.
    src_lang
        The language of the dataset's source side when it is not the run's ``src_lang``
        (e.g. French for a French-Bambara parallel corpus in an English-source run).
    source
        translate-train: the labelled source-language file.
    input
        translate-test: the target-language sentences to label (a :class:`TextFile`).
    source_text
        label-project: the unlabelled source-language side of a parallel corpus (a
        :class:`TextFile`), labelled by ``[stages.labeller]``.
    translations
        Existing translations instead of the translator: of ``source`` / ``source_text``
        into ``lang`` (translate-train, label-project) or of ``input`` into the source language
        (translate-test).
    labels
        translate-test: existing labelled translations instead of translator and labeller;
        label-project: the labelled ``source_text`` instead of the labeller.
    alignments
        Existing source-to-target alignments (Pharaoh) instead of the aligner.
    gold
        Gold labels of the target sentences, for the report.
    heldout
        Other labelled sentences of the language by split name (``{dev = ..., test = ...}``,
        :class:`HeldoutFile`): scored by ``evaluate`` steps; a training sentence of a
        ``train`` step equal to one of them (ignoring case and whitespace) is left out.
    drop_heldout
        Leave out, when reading, every sentence (pair) whose side projected onto (the
        translations; translate-test: the input) occurs in ``heldout`` (ignoring case and
        whitespace), before ``sample`` and ``limit``, so that they choose among usable
        sentences; counted in the dataset's ``read`` report. False (default): only ``train``
        steps leave them out, after projection.
    sample
        Use this many sentences drawn at random (without replacement, kept in file order;
        all when there are fewer); None: all.
    seed
        The seed of that draw (Python's ``random.Random(seed).shuffle`` of the sentence
        indices, the first ``sample`` of them taken).
    limit
        Use only the first ``limit`` sentences (of the sample, when there is one).
    unlabelled
        Other sentences of the language, without labels (:class:`UnlabelledFile`, e.g. a
        monolingual news corpus): what ``selftrain`` steps have a trained model label and a
        new model learn from. Not part of the flow, so it need not line up with the other
        fields.

    Each file field (``source``, ``input``, ``source_text``, ``translations``, ``labels``,
    ``alignments``, ``gold``) takes one file or a list of files read one after the other (a
    corpus's parts, e.g. ``["dev.en", "test.en"]``); every field given as a list has the same
    number of files, and file k of each lines up with file k of the others.
    """

    model_config = FROZEN
    name: str
    lang: str
    src_lang: str | None = None
    source: ConllFiles | None = None
    input: TextFiles | None = None
    source_text: TextFiles | None = None
    translations: TextFiles | None = None
    labels: ConllFiles | None = None
    alignments: AlignmentFiles | None = None
    gold: ConllFiles | None = None
    heldout: dict[str, HeldoutFile] = Field(default_factory=dict)
    drop_heldout: bool = False
    sample: int | None = Field(default=None, ge=1)
    seed: int = 0
    limit: int | None = Field(default=None, ge=1)
    unlabelled: UnlabelledFile | None = None

    def files(self, field: str) -> list[Any]:
        """The files of field ``field`` (``"source_text"``, ...) as a list (empty: not given)."""
        return files_of(getattr(self, field))

    @property
    def parts(self) -> int:
        """How many files each given file field has (1 unless they are lists)."""
        return max((len(self.files(f)) for f in FILE_FIELDS), default=1) or 1

    @model_validator(mode="after")
    def _same_parts(self) -> DatasetConfig:
        counts = {f: len(self.files(f)) for f in FILE_FIELDS if getattr(self, f) is not None}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{f} {n}" for f, n in counts.items())
            raise ValueError(
                f"its file fields list different numbers of files ({listed}); give each the "
                "same number, file k of each the k-th part of the corpus"
            )
        if self.drop_heldout and not self.heldout:
            raise ValueError("drop_heldout needs held-out gold (heldout = {dev = ..., ...})")
        return self

    @field_validator("heldout")
    @classmethod
    def _splits(cls, v: dict[str, HeldoutFile]) -> dict[str, HeldoutFile]:
        for split in v:
            _usable_name(split)
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", v):
            raise ValueError(
                f"{v!r} is not a usable dataset name: use letters, digits and _ . + - "
                "(it names the output folder)"
            )
        return v

    @field_validator("lang", "src_lang")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*", v):
            raise ValueError(f"{v!r} is not a language code such as 'de' or 'deu_Latn'")
        return v


class EvaluationConfig(BaseModel):
    """How predictions are scored against gold.

    Attributes
    ----------
    label_map
        Entity types renamed (or removed, mapped to ``"O"``) on both sides before scoring, e.g.
        ``{MISC = "O"}`` when the gold has no MISC type.
    """

    model_config = FROZEN
    label_map: dict[str, str] = Field(default_factory=dict)
