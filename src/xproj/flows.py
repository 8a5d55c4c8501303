"""Flows as data: the step kinds, and the step lists of translate-train and translate-test.

A *flow* is a list of :class:`Step` objects over named dataset *columns*: each step reads some
columns and writes one. A dataset may give columns from files (translations, labels,
alignments); the steps that run for it are found backwards from what is wanted
(:func:`plan`): a step runs only if its output is needed and the dataset does not give it. So
"translate unless translations are given, label unless labels are given" is not written
anywhere: it follows from the two tables below. :mod:`xproj.executor` runs a plan; the config
check (:func:`check_datasets`) asks the same plan which stages a dataset needs.

Step kinds (:data:`STEP_KINDS`) say how a step is computed: *chunked* kinds (translate, label,
align, project, refine, evaluate) map chunks of sentences to chunks of outputs and go through
the runner and the stage cache chunk by chunk (vote is per sentence too, but pure and cheap: the
executor computes it in the driver); *whole-dataset* kinds (train) take a whole column at once
and are cached under a fingerprint of all their input.

Examples
--------
>>> [s.kind for s in plan(FLOWS["translate-test"], {"input", "labels"})]
['align', 'project']
>>> [s.kind for s in plan(FLOWS["translate-test"], {"input"})]
['translate', 'label', 'align', 'project']
>>> [s.kind for s in plan(FLOWS["translate-train"], {"source", "translations", "alignments"})]
['project']
>>> [s.kind for s in plan(FLOWS["label-project"], {"source_text", "translations"})]
['label', 'align', 'project']
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from xproj.errors import ParameterError

__all__ = [
    "FLOWS",
    "STEP_KINDS",
    "TRAINING_KINDS",
    "Flow",
    "Step",
    "StepKind",
    "check_datasets",
    "check_pipeline_steps",
    "check_steps",
    "plan",
]


@dataclass(frozen=True)
class StepKind:
    """How a kind of step is computed.

    Attributes
    ----------
    name
        The kind, as flows and configs write it.
    stage
        The ``[stages]`` slot of the component it runs (``"translator"``), or None for kinds
        configured in their own ``[[steps]]`` table.
    whole
        True: the whole dataset in one call (cached by a fingerprint of all its input);
        False: chunk by chunk through the runner and the stage cache.
    what
        One line for docs and messages.
    """

    name: str
    stage: str | None
    whole: bool
    what: str


#: Every step kind. ``project`` fans out: one output per configured projector.
STEP_KINDS: dict[str, StepKind] = {
    k.name: k
    for k in (
        StepKind("translate", "translator", False, "sentences -> their translations"),
        StepKind("label", "labeller", False, "sentences -> labelled sentences"),
        StepKind("align", "aligner", False, "sentence pairs -> word alignments"),
        StepKind(
            "project", "projectors", False, "labels + alignments -> projections, per projector"
        ),
        StepKind("refine", None, False, "projections -> refined projections (back-translation)"),
        StepKind("vote", None, False, "several projections -> the spans enough of them agree on"),
        StepKind(
            "train", None, True, "projected datasets (one, or all pooled) -> a labeller folder"
        ),
        StepKind(
            "selftrain",
            None,
            True,
            "unlabelled sentences + a trained model -> its labels -> a new labeller folder",
        ),
        StepKind(
            "reproject",
            None,
            False,
            "labels + alignments + a trained model -> projections matched with the model",
        ),
        StepKind("evaluate", None, False, "held-out gold sentences -> labelled by a model, scored"),
    )
}

#: The kinds of step that train a labeller: their model is a trained model for the steps after
#: them (evaluate, reproject, selftrain), and they take train_labeller's parameters, ``pool``,
#: ``mix``, ``label_dataset`` and ``min_score``.
TRAINING_KINDS = ("train", "selftrain")


@dataclass(frozen=True)
class Step:
    """One step of a flow: a kind, the columns it reads and the column it writes.

    ``into`` (translate): ``"target"`` translates into the dataset's language, ``"source"``
    into the labelled language (``src_lang``).
    """

    kind: str
    reads: tuple[str, ...]
    writes: str
    into: str = ""


@dataclass(frozen=True)
class Flow:
    """A named list of steps.

    Attributes
    ----------
    name
        ``translate-train``, ``translate-test`` or ``label-project``.
    entry
        The column every dataset must give (from its file of the same name).
    entry_what
        What that file is, for messages.
    columns
        The dataset fields the flow reads, in order: the entry, then the columns a dataset may
        give instead of computing them.
    steps
        The steps, in order.
    """

    name: str
    entry: str
    entry_what: str
    columns: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def goal(self) -> str:
        """The column the flow is for (the last step's output)."""
        return self.steps[-1].writes


FLOWS: dict[str, Flow] = {
    "translate-train": Flow(
        "translate-train",
        "source",
        "the labelled source file",
        ("source", "translations", "alignments"),
        (
            Step("translate", ("source",), "translations", into="target"),
            Step("align", ("source", "translations"), "alignments"),
            Step("project", ("source", "translations", "alignments"), "projections"),
        ),
    ),
    "translate-test": Flow(
        "translate-test",
        "input",
        "the sentences to label",
        ("input", "translations", "labels", "alignments"),
        (
            Step("translate", ("input",), "translations", into="source"),
            Step("label", ("translations",), "labels"),
            Step("align", ("labels", "input"), "alignments"),
            Step("project", ("labels", "input", "alignments"), "projections"),
        ),
    ),
    # parallel text whose source side is not labelled (human translations, e.g. news corpora):
    # a source-language labeller labels it, then its entities are projected as in translate-train
    "label-project": Flow(
        "label-project",
        "source_text",
        "the unlabelled source-language sentences",
        ("source_text", "translations", "labels", "alignments"),
        (
            Step("translate", ("source_text",), "translations", into="target"),
            Step("label", ("source_text",), "labels"),
            Step("align", ("labels", "translations"), "alignments"),
            Step("project", ("labels", "translations", "alignments"), "projections"),
        ),
    ),
}


#: How many columns each step kind reads, and the dataset fields a flow may read.
_ARITY = {"translate": 1, "label": 1, "align": 2, "project": 3}
_FIELDS = ("source", "input", "source_text", "translations", "labels", "alignments")
#: What the entry column of a flow is, for messages.
_ENTRIES = {
    "source": "the labelled source file",
    "input": "the sentences to label",
    "source_text": "the unlabelled source-language sentences",
}


def custom_flow(steps: Sequence[Step]) -> Flow:
    """A flow from a config's own step list, checked: each step reads what the kind takes,
    columns are dataset fields or earlier steps' outputs, and the last step projects.

    >>> f = custom_flow([Step("align", ("source", "translations"), "alignments"),
    ...                  Step("project", ("source", "translations", "alignments"), "projections")])
    >>> f.entry, f.columns
    ('source', ('source', 'translations', 'alignments'))
    """
    if not steps or steps[-1].kind != "project" or steps[-1].writes != "projections":
        raise ValueError("flow: the last step must be kind = 'project', writes = 'projections'")
    written: set[str] = set()
    columns: list[str] = []
    for k, s in enumerate(steps):
        at = f"flow[{k}]"
        if len(s.reads) != _ARITY[s.kind]:
            raise ValueError(f"{at}.reads: a {s.kind} step reads {_ARITY[s.kind]} column(s)")
        for c in s.reads:
            if c not in written and c not in _FIELDS:
                raise ValueError(
                    f"{at}.reads: {c!r} is neither a dataset field ({', '.join(_FIELDS)}) nor "
                    "written by an earlier step"
                )
            if c not in columns:
                columns.append(c)
        if s.writes != "projections" and s.writes not in _FIELDS:
            raise ValueError(f"{at}.writes: {s.writes!r} is not one of {', '.join(_FIELDS)}")
        if s.kind == "translate" and s.into not in ("target", "source"):
            raise ValueError(f"{at}.into: a translate step says 'target' or 'source'")
        written.add(s.writes)
        if s.writes != "projections" and s.writes not in columns:
            columns.append(s.writes)
    entry = steps[0].reads[0]
    if entry not in _ENTRIES:
        raise ValueError("flow[0].reads: a flow starts from 'source', 'input' or 'source_text'")
    return Flow("custom", entry, _ENTRIES[entry], tuple(columns), tuple(steps))


def plan(flow: Flow, given: Collection[str], goals: Sequence[str] = ()) -> list[Step]:
    """The steps of ``flow`` that run for a dataset that gives the columns ``given``.

    Walks the flow backwards from its goal (and ``goals``): a step runs when its output is
    needed and not given; then its inputs are needed.
    """
    needed = {flow.goal, *goals}
    out: list[Step] = []
    for step in reversed(flow.steps):
        if step.writes in needed and step.writes not in given:
            out.append(step)
            needed.update(step.reads)
    return out[::-1]


def _alternatives(flow: Flow, given: set[str], step: Step) -> list[str]:
    """The columns any of which, given, would make ``step`` unnecessary (its output first)."""
    later = [s.writes for s in flow.steps[flow.steps.index(step) :] if s.writes in flow.columns]
    return [c for c in later if step not in plan(flow, given | {c})]


def check_datasets(flow: Flow, datasets: Sequence[Any], stages: Any) -> None:
    """Raise ValueError naming the first dataset field or stage that ``flow`` cannot use.

    ``datasets`` are :class:`~xproj.config.DatasetConfig` objects, ``stages`` the
    :class:`~xproj.config.StagesConfig`: each dataset must give the flow's entry file and no
    file of another flow; each step the dataset needs must have its stage configured; and no
    stage may be configured that no step of the flow uses.
    """
    for k, d in enumerate(datasets):
        at = f"datasets[{k}]"
        if getattr(d, flow.entry) is None:
            raise ValueError(f"{at}.{flow.entry}: {flow.name} needs {flow.entry_what}")
        for alien in FLOWS.values():
            for col in alien.columns:
                if col not in flow.columns and getattr(d, col, None) is not None:
                    reads = ", ".join((*flow.columns[1:], "gold"))
                    raise ValueError(
                        f"{at}.{col}: only used by flow = '{alien.name}'; {flow.name} reads "
                        f"{flow.entry} (+ {reads})"
                    )
        given = {c for c in flow.columns if getattr(d, c) is not None}
        target = flow.steps[-1].reads[1]
        if getattr(d, "drop_heldout", False) and target not in given:
            raise ValueError(
                f"{at}.drop_heldout: compares the {target} with the held-out gold when reading, "
                f"so {flow.name} needs them given as a file ({at}.{target}); or leave "
                "drop_heldout out (train steps still leave held-out sentences out)"
            )
        for step in plan(flow, given):
            slot = STEP_KINDS[step.kind].stage
            if slot is None or getattr(stages, slot) is not None:
                continue
            alts = _alternatives(flow, given, step)
            gives = f"no {alts[0]}" if len(alts) == 1 else "neither " + " nor ".join(alts)
            raise ValueError(f"{at}: gives {gives} and [stages.{slot}] is not set; add one of them")
    used = {STEP_KINDS[s.kind].stage for s in flow.steps}
    for kind in STEP_KINDS.values():
        if kind.stage is not None and kind.stage not in used and getattr(stages, kind.stage):
            other = next(f.name for f in FLOWS.values() if kind.name in (s.kind for s in f.steps))
            raise ValueError(
                f"stages.{kind.stage}: {flow.name} does not {kind.name} (no step of the flow "
                f"uses a {kind.stage}); remove it or use flow = '{other}'"
            )


def _train_params() -> list[str]:
    """The keyword arguments of ``train_labeller`` a ``train`` step may set."""
    from xproj.label.train import training_parameters

    return list(training_parameters())


def _votes_ok(params: Any, n_inputs: int) -> bool:
    """Whether a vote step's ``params`` is ``{min_votes = k}`` (or empty: 2) with an int k
    (not a bool) in [1, n_inputs]."""
    votes = params.get("min_votes", 2)
    ok = isinstance(votes, int) and not isinstance(votes, bool)
    return not (set(params) - {"min_votes"}) and ok and 1 <= votes <= n_inputs


def check_steps(config: Any) -> None:
    """Raise ValueError naming the first ``[[steps]]`` entry of a RunConfig that cannot run.

    Names must be new (not a projector's or an earlier step's), inputs must name methods made
    before, ``refine`` needs translate-test and a refiner, ``vote`` a ``min_votes`` within the
    number of its inputs, ``train`` parameters of ``train_labeller``, ``selftrain`` an
    earlier ``train`` step, those parameters and datasets with unlabelled sentences,
    ``reproject`` an earlier ``train`` step and a matching projector, ``evaluate`` an earlier
    ``train`` step or a labeller, and held-out gold of the splits it scores (a ``selftrain``
    step counts as a ``train`` step for the steps after it).
    """
    known = [p.display_name for p in config.stages.projectors]
    taken = set(known)
    trained: list[str] = []
    for k, step in enumerate(config.steps):
        at = f"steps[{k}]"
        if step.name in taken:
            raise ValueError(f"{at}.name: {step.name!r} is already a method; choose another name")
        taken.add(step.name)
        if not step.inputs and step.kind != "evaluate":
            raise ValueError(f"{at}.inputs: a {step.kind} step reads at least one method")
        # evaluate, reproject and selftrain read a train step's model (their own checks)
        for m in step.inputs if step.kind not in ("evaluate", "reproject", "selftrain") else ():
            if m not in known:
                raise ValueError(
                    f"{at}.inputs: no method named {m!r} before this step; known: "
                    f"{', '.join(known)}"
                )
        for field, kind in (
            ("refiner", "refine"),
            ("labeller", "evaluate"),
            ("projector", "reproject"),
        ):
            if getattr(step, field) is not None and step.kind != kind:
                raise ValueError(f"{at}.{field}: only a {kind} step has a {field}")
        only_train = step.pool or step.mix or not step.label_dataset or step.min_score is not None
        if step.kind not in TRAINING_KINDS and only_train:
            raise ValueError(
                f"{at}: only a train or selftrain step has pool, mix, label_dataset and min_score"
            )
        if step.kind != "train" and step.filter != "none":
            raise ValueError(f"{at}.filter: only a train step filters projected sentences")
        _CHECKS[step.kind](config, step, at, trained)
        if step.kind in TRAINING_KINDS:
            trained.append(step.name)
        if step.kind != "evaluate" and step.label_dataset:
            known.append(step.name)


def _check_refine(config: Any, step: Any, at: str, trained: list[str]) -> None:
    from xproj.registry import registry

    if config.flow_def.entry != "input":
        raise ValueError(f"{at}: refine needs flow = 'translate-test' (a flow from input)")
    if step.refiner is None or len(step.inputs) != 1:
        raise ValueError(f"{at}: refine takes one input and a refiner = {{backend = ...}}")
    registry("refiners").build(step.refiner.backend, step.refiner.params, where=f"{at}.refiner")


def _check_vote(config: Any, step: Any, at: str, trained: list[str]) -> None:
    if not _votes_ok(step.params, len(step.inputs)):
        raise ValueError(
            f"{at}.params: a vote step takes min_votes, an int in [1, "
            f"{len(step.inputs)}] (the number of inputs); got {dict(step.params)}"
        )


def _check_train(config: Any, step: Any, at: str, trained: list[str]) -> None:
    allowed = _train_params()
    unknown = sorted(set(step.params) - set(allowed))
    if unknown or len(step.inputs) != 1:
        raise ValueError(
            f"{at}: a train step takes one input and train_labeller's parameters "
            f"({', '.join(allowed)}); got inputs {step.inputs} and params {unknown or ''}"
        )


def _check_selftrain(config: Any, step: Any, at: str, trained: list[str]) -> None:
    if len(step.inputs) != 1 or step.inputs[0] not in trained:
        raise ValueError(
            f"{at}.inputs: a selftrain step has one earlier train step's model label the "
            f"unlabelled sentences (trained: {', '.join(trained) or 'none'}); got {step.inputs}"
        )
    allowed = _train_params()
    unknown = sorted(set(step.params) - set(allowed))
    if unknown:
        raise ValueError(
            f"{at}.params: a selftrain step takes train_labeller's parameters "
            f"({', '.join(allowed)}); got {unknown}"
        )
    missing = [d.name for d in config.datasets if d.unlabelled is None]
    if len(missing) == len(config.datasets) or (missing and not step.pool):
        raise ValueError(
            f"{at}: a selftrain step learns from the datasets' unlabelled sentences; "
            f"dataset(s) {', '.join(missing)} give none: set datasets[i].unlabelled = "
            "{path = ...}"
            + ("" if step.pool else ", or pool = true to train on those that have them")
        )


def _check_reproject(config: Any, step: Any, at: str, trained: list[str]) -> None:
    if len(step.inputs) != 1 or step.inputs[0] not in trained:
        raise ValueError(
            f"{at}.inputs: a reproject step puts one earlier train step's model in the loop "
            f"(trained: {', '.join(trained) or 'none'}); got {step.inputs}"
        )
    if step.params:
        raise ValueError(
            f"{at}.params: a reproject step takes none; give the projector's as "
            "projector = {backend = ..., params = {...}}"
        )
    check_reprojector(step.projector, f"{at}.projector")


def check_reprojector(spec: Any, where: str) -> None:
    """Raise ValueError unless ``spec`` (a StageSpec or None, meaning ``greedy``) builds a
    matching projector, one with ``candidates`` and ``scorer`` (which a reproject step sets),
    from its other parameters."""
    from xproj.registry import registry

    backend = "greedy" if spec is None else spec.backend
    params = {} if spec is None else dict(spec.params)
    taken = sorted({"candidates", "scorer"} & set(params))
    if taken:
        raise ValueError(
            f"{where}.params: the reproject step sets {' and '.join(taken)} from the trained "
            "model; leave them out"
        )
    built = registry("projectors").build(backend, params, where=where)
    if not all(hasattr(built, p) for p in ("candidates", "scorer")):
        raise ValueError(
            f"{where}: {backend!r} is no matching projector (one with candidates and a scorer, "
            "such as 'greedy' or 'ilp')"
        )


def _check_evaluate(config: Any, step: Any, at: str, trained: list[str]) -> None:
    from xproj.registry import registry

    if len(step.inputs) > 1 or (step.inputs and step.inputs[0] not in trained):
        raise ValueError(
            f"{at}.inputs: an evaluate step scores one earlier train step's model (trained: "
            f"{', '.join(trained) or 'none'}) or, without inputs, a labeller; got {step.inputs}"
        )
    if step.inputs and step.labeller is not None:
        raise ValueError(f"{at}: give either inputs (a trained model) or a labeller, not both")
    if not step.inputs:
        spec = step.labeller or config.stages.labeller
        if spec is None:
            raise ValueError(
                f"{at}: an evaluate step without inputs scores a labeller: set its labeller = "
                "{backend = ...} or [stages.labeller]"
            )
        registry("labellers").build(spec.backend, spec.params, where=f"{at}.labeller")
    extra = set(step.params) - {"splits"}
    splits = step.params.get("splits")
    ok = splits is None or (
        isinstance(splits, list) and splits and all(isinstance(x, str) for x in splits)
    )
    if extra or not ok:
        raise ValueError(
            f"{at}.params: an evaluate step takes splits, a list of held-out split names "
            f"(datasets[i].heldout); got {dict(step.params)}"
        )
    given = {split for d in config.datasets for split in d.heldout}
    if not given:
        raise ValueError(f"{at}: no dataset has held-out gold (datasets[i].heldout) to score")
    for split in splits or ():
        if split not in given:
            raise ValueError(
                f"{at}.params.splits: no dataset has held-out gold {split!r}; held-out splits "
                f"given: {', '.join(sorted(given))}"
            )


_CHECKS = {
    "refine": _check_refine,
    "vote": _check_vote,
    "train": _check_train,
    "selftrain": _check_selftrain,
    "reproject": _check_reproject,
    "evaluate": _check_evaluate,
}


def check_pipeline_steps(
    steps: Sequence[Any], projectors: Sequence[str], entry: str | None = None
) -> None:
    """Raise ParameterError naming the first of a :class:`~xproj.pipeline.Pipeline`'s steps
    (:class:`~xproj.executor.ExtraStep` objects) that cannot run.

    What it rejects: an unknown kind, a name already taken or unusable as a file name, an input
    that is no method before it (``projectors``: the projectors' method names, ``""`` for an
    unnamed one), a refine step without a refiner, a vote's ``min_votes`` outside [1, inputs]
    (the check :func:`check_steps` makes of a config's vote steps), a train or selftrain
    parameter ``train_labeller`` does not take (likewise), a reproject or selftrain step that
    reads no earlier train (or selftrain) step, a reproject step whose projector is no
    matching one; with the flow's ``entry`` column, a refine step outside translate-test.
    """
    if not steps:
        return
    from xproj._config_schema import _usable_name
    from xproj.backtranslate import Refiner
    from xproj.config import StageSpec
    from xproj.executor import FILTERS

    known = [name for name in projectors if name]
    if not known:
        raise ParameterError(
            "steps read methods by name: name the projector, e.g. "
            "Pipeline(projector={'greedy': projector}, steps=...)"
        )
    trainable = _train_params()
    trained: list[str] = []
    for k, step in enumerate(steps):
        at = f"steps[{k}] ({step.kind} {step.name!r})"
        if step.kind not in ("refine", "vote", "train", "selftrain", "reproject"):
            raise ParameterError(
                f"{at}: kind must be 'refine', 'vote', 'train', 'selftrain' or 'reproject'"
            )
        try:
            _usable_name(step.name)
        except ValueError as e:
            raise ParameterError(f"{at}.name: {e}") from None
        if step.name in known:
            raise ParameterError(f"{at}.name: already a method; choose another name")
        unknown = [m for m in step.inputs if m not in known]
        if unknown or not step.inputs:
            what = f"{unknown[0]!r} is no method before this step" if unknown else "none"
            raise ParameterError(f"{at}.inputs: {what}; the methods before it: {', '.join(known)}")
        one = len(step.inputs) == 1
        if step.kind == "refine":
            if not one or not isinstance(step.component, (Refiner, StageSpec)):
                raise ParameterError(
                    f"{at}: a refine step reads one method and has a refiner "
                    "(component=a Refiner or its StageSpec)"
                )
            if entry is not None and entry != "input":
                raise ParameterError(
                    f"{at}: refine works on translate-test (it refines with the labelled "
                    "translations); run translate_test, or drop the step"
                )
        elif step.kind in ("reproject", "selftrain") and (not one or step.inputs[0] not in trained):
            raise ParameterError(
                f"{at}.inputs: a {step.kind} step reads one earlier train step (trained: "
                f"{', '.join(trained) or 'none'})"
            )
        if step.kind == "reproject":
            if step.component is not None and not isinstance(step.component, StageSpec):
                raise ParameterError(
                    f"{at}.component: give the matching projector as a StageSpec (e.g. "
                    "StageSpec(backend='greedy')); the step sets its candidates and scorer"
                )
            try:
                check_reprojector(step.component, f"{at}.component")
            except ValueError as e:
                raise ParameterError(str(e)) from None
        elif step.kind != "refine" and step.component is not None:
            raise ParameterError(f"{at}.component: only a refine or reproject step has a component")
        if step.kind == "vote" and not _votes_ok(step.params, len(step.inputs)):
            raise ParameterError(
                f"{at}.params: a vote step takes min_votes, an int in [1, "
                f"{len(step.inputs)}] (the number of its inputs); got {dict(step.params)}"
            )
        if step.kind != "train" and step.filter != "none":
            raise ParameterError(f"{at}: only a train step has filter")
        if step.kind not in TRAINING_KINDS and step.min_score is not None:
            raise ParameterError(f"{at}: only a train or selftrain step has min_score")
        if step.kind == "train" and step.filter not in FILTERS:
            raise ParameterError(f"{at}.filter: {step.filter!r} is not one of {', '.join(FILTERS)}")
        if step.kind in TRAINING_KINDS:
            bad = sorted(set(step.params) - set(trainable))
            if bad or not one:
                raise ParameterError(
                    f"{at}: a {step.kind} step reads one method and takes train_labeller's "
                    f"parameters ({', '.join(trainable)}); got inputs {list(step.inputs)}"
                    + (f" and unknown parameters {bad}" if bad else "")
                )
        known.append(step.name)
        if step.kind in TRAINING_KINDS:
            trained.append(step.name)
