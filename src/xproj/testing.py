"""Conformance checks every Projector and Aligner (and every component's parameters) must pass,
and random problem generators.

Third-party backends run these from their own unit tests, as scikit-learn estimators run
``check_estimator``::

    from xproj.testing import check_projector

    def test_my_projector_conforms():
        check_projector(MyProjector(), n=200, seed=0)

A failed check raises :class:`AssertionError` saying which check failed and on which input.
The generators (:func:`random_problem`, :func:`random_batch`, :func:`synthetic_batch`) use only
the standard library's :class:`random.Random`, so they are fast and give the same data for
the same seed on every platform; hypothesis is not needed at run time. The generators live in
:mod:`xproj._testing_data` and the parameter-contract check (:func:`check_params`) in
:mod:`xproj._testing_params`; import them from here.

Examples
--------
>>> from xproj.testing import check_projector, synthetic_batch
>>> from xproj.project.heuristic import HeuristicProjector
>>> check_projector(HeuristicProjector(), n=50, seed=1)
>>> sources, targets, alignments = synthetic_batch(3, seed=0)
>>> len(sources), len(targets), len(alignments)
(3, 3, 3)
>>> all(1 <= len(s.spans) <= 3 for s in sources)
True
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Sequence
from typing import Any

from xproj._testing_data import (
    LABELS,
    random_alignment,
    random_batch,
    random_labelled_sentence,
    random_problem,
    random_sentence,
    random_sentence_pairs,
    synthetic_batch,
)
from xproj._testing_params import check_params
from xproj.align.base import Aligner
from xproj.errors import InputError
from xproj.project.base import Projector
from xproj.types import (
    Alignment,
    LabelledSentence,
    Projection,
    Sentence,
    spans_from_tags,
    tags_from_spans,
)

__all__ = [
    "LABELS",
    "check_aligner",
    "check_alignments",
    "check_params",
    "check_projections",
    "check_projector",
    "random_alignment",
    "random_batch",
    "random_labelled_sentence",
    "random_problem",
    "random_sentence",
    "random_sentence_pairs",
    "synthetic_batch",
]

# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _fail(who: str, check: str, k: int | None, detail: str, inputs: Any = None) -> AssertionError:
    where = "" if k is None else f" on sentence {k}"
    shown = "" if inputs is None else f"\n  input: {_short(inputs)}"
    return AssertionError(f"{who}: check '{check}' failed{where}: {detail}{shown}")


def _short(obj: Any, limit: int = 600) -> str:
    if isinstance(obj, tuple):
        text = "; ".join(repr(x.to_dict()) if hasattr(x, "to_dict") else repr(x) for x in obj)
    else:
        text = repr(obj)
    return text if len(text) <= limit else text[:limit] + " ..."


def check_projections(
    sources: Sequence[LabelledSentence],
    targets: Sequence[Sentence],
    alignments: Sequence[Alignment],
    projections: Any,
    *,
    who: str = "projector",
) -> None:
    """Check a projector's output for a batch; raise :class:`AssertionError` on the first fault.

    Checks: a list of one :class:`~xproj.types.Projection` per input, in order; the target
    words unchanged; valid IOB2 tags that round-trip to the spans; spans inside the target,
    sorted and non-overlapping; ``projected`` parallel to the spans; every source entity
    either projected or listed unprojected, never both; each projected span's label is the
    label of the source entity it cites; scores, where given, finite; an empty target yields
    no spans and lists every entity as unprojected.

    >>> src = [LabelledSentence.from_tags(["Paris"], ["B-LOC"])]
    >>> tgt = [Sentence(("París",))]
    >>> ali = [Alignment(1, 1, ((0, 0),))]
    >>> wrong = [Projection.build(("París",), (), n_source=1)]
    >>> check_projections(src, tgt, ali, wrong + wrong)
    Traceback (most recent call last):
    ...
    AssertionError: projector: check 'one output per input' failed: 2 outputs for 1 inputs
    """
    if not isinstance(projections, list):
        raise _fail(who, "returns a list", None, f"got {type(projections).__name__}")
    if len(projections) != len(sources):
        raise _fail(
            who,
            "one output per input",
            None,
            f"{len(projections)} outputs for {len(sources)} inputs",
        )
    for k, (src, tgt, ali, p) in enumerate(zip(sources, targets, alignments, projections)):
        _check_one_projection(k, src, tgt, ali, p, who)


def _check_one_projection(
    k: int, src: LabelledSentence, tgt: Sentence, ali: Alignment, p: Any, who: str
) -> None:
    inputs = (src, tgt, ali)
    if not isinstance(p, Projection):
        raise _fail(who, "returns Projection objects", k, f"got {type(p).__name__}", inputs)
    if p.target.words != tgt.words:
        raise _fail(
            who,
            "target words unchanged",
            k,
            f"words {p.target.words} differ from the target's {tgt.words}",
            inputs,
        )
    n = len(tgt.words)
    spans = p.target.spans
    prev_end = 0
    for s in spans:
        if not (0 <= s.start < s.end <= n):
            raise _fail(who, "spans inside the sentence", k, f"{s} in {n} words", inputs)
        if s.start < prev_end:
            raise _fail(who, "no overlapping spans", k, f"{s} overlaps a span before it", inputs)
        prev_end = s.end
    tags = tags_from_spans(spans, n)
    if len(p.tags) != n or p.tags != tags:
        raise _fail(who, "valid IOB2", k, f"tags {p.tags} do not match spans {spans}", inputs)
    try:
        back = spans_from_tags(tags)
    except InputError as e:
        raise _fail(who, "valid IOB2", k, str(e), inputs) from None
    if [(s.start, s.end, s.label) for s in back] != [(s.start, s.end, s.label) for s in spans]:
        raise _fail(who, "valid IOB2", k, f"tags {tags} read back as {back}", inputs)
    if p.n_source != len(src.spans):
        raise _fail(
            who,
            "every source entity accounted for",
            k,
            f"n_source is {p.n_source} but the source has {len(src.spans)} entities",
            inputs,
        )
    if len(p.projected) != len(spans):
        raise _fail(
            who, "projected parallel to spans", k, f"{len(p.projected)} for {len(spans)}", inputs
        )
    cited: set[int] = set()
    for ps, s in zip(p.projected, spans):
        if (ps.start, ps.end, ps.label) != (s.start, s.end, s.label):
            raise _fail(who, "projected parallel to spans", k, f"{ps} vs {s}", inputs)
        if not 0 <= ps.source < len(src.spans):
            raise _fail(who, "projected labels come from their source", k, f"{ps}", inputs)
        if src.spans[ps.source].label != ps.label:
            raise _fail(
                who,
                "projected labels come from their source",
                k,
                f"{ps} cites source entity {ps.source} labelled {src.spans[ps.source].label}",
                inputs,
            )
        if ps.score is not None and not (
            isinstance(ps.score, (int, float)) and math.isfinite(ps.score)
        ):
            raise _fail(who, "finite scores", k, f"{ps}", inputs)
        cited.add(ps.source)
    unprojected = set(p.unprojected)
    if len(unprojected) != len(p.unprojected) or unprojected & cited:
        raise _fail(
            who,
            "every source entity accounted for",
            k,
            f"unprojected {p.unprojected} repeats an entity or one also projected {sorted(cited)}",
            inputs,
        )
    if unprojected | cited != set(range(len(src.spans))):
        raise _fail(
            who,
            "every source entity accounted for",
            k,
            f"projected {sorted(cited)} + unprojected {sorted(unprojected)} do not cover the "
            f"{len(src.spans)} source entities",
            inputs,
        )
    if n == 0 and (spans or len(unprojected) != len(src.spans)):
        raise _fail(who, "empty target handled", k, f"got {p.to_dict()}", inputs)


def _chunks(rng: random.Random, n: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = 0
    while i < n:
        size = rng.randint(1, 17)
        out.append((i, min(n, i + size)))
        i += size
    return out


def _expect_input_error(who: str, check: str, k: int | None, fn: Any) -> None:
    try:
        fn()
    except InputError as e:
        if k is not None and e.sentence != k and f"sentence {k}" not in str(e):
            raise _fail(who, check, k, f"the InputError does not name sentence {k}: {e}") from None
        return
    except Exception as e:
        raise _fail(who, check, k, f"raised {type(e).__name__}: {e}, not InputError") from e
    raise _fail(who, check, k, "no InputError was raised")


def check_projector(projector: Projector, *, n: int = 200, seed: int = 0) -> None:
    """Run every conformance check on ``projector``; raise :class:`AssertionError` if one fails.

    On ``n`` random problems (:func:`random_batch`, edge cases included) the projector must:
    return output that passes :func:`check_projections`; give the same result per sentence
    whether the batch is projected whole, in random chunks, reversed, or one sentence at a
    time (for a random subset of 25); give the same result twice (determinism); leave its
    input lists and objects unchanged; and raise :class:`~xproj.errors.InputError` for
    batches of unequal length and for an alignment whose lengths do not match its sentences
    (naming that sentence).

    Parameters
    ----------
    projector
        The projector instance to check.
    n
        How many random problems (at least 4).
    seed
        Seed of the random problems and of the chunking.

    Examples
    --------
    >>> from xproj.project.heuristic import HeuristicProjector
    >>> check_projector(HeuristicProjector(top_k=None, only_i=True), n=40, seed=3)
    """
    who = type(projector).__name__
    if not isinstance(projector, Projector):
        raise _fail(who, "is a Projector", None, f"{projector!r} does not derive from Projector")
    n = max(4, n)
    sources, targets, alignments = random_batch(n, seed)
    before = copy.deepcopy((sources, targets, alignments))
    ids = [list(map(id, x)) for x in (sources, targets, alignments)]

    def run(idx: Sequence[int] | None, what: str) -> list[Projection]:
        if idx is None:  # the caller's own lists, so that mutating them is caught
            s, t, a = sources, targets, alignments
        else:
            s = [sources[i] for i in idx]
            t = [targets[i] for i in idx]
            a = [alignments[i] for i in idx]
        try:
            out = projector.project(s, t, a)
        except Exception as e:
            raise _fail(who, "projects valid input", None, f"{what}: {e!r}") from e
        check_projections(s, t, a, out, who=f"{who} ({what})")
        return out

    whole = run(None, "whole batch")
    if (sources, targets, alignments) != before or [
        list(map(id, x)) for x in (sources, targets, alignments)
    ] != ids:
        raise _fail(who, "input not mutated", None, "the input lists or objects changed")
    again = run(None, "whole batch, again")
    for k in range(n):
        if again[k] != whole[k]:
            raise _fail(
                who,
                "deterministic",
                k,
                f"{whole[k].to_dict()} then {again[k].to_dict()}",
                (sources[k], targets[k], alignments[k]),
            )
    rng = random.Random(seed + 1)

    def same(k: int, got: Projection, how: str) -> None:
        if got != whole[k]:
            raise _fail(
                who,
                "batching invariance",
                k,
                f"{how} gives {got.to_dict()}, the whole batch {whole[k].to_dict()}",
                (sources[k], targets[k], alignments[k]),
            )

    for lo, hi in _chunks(rng, n):
        for k, got in zip(range(lo, hi), run(range(lo, hi), f"chunk {lo}:{hi}")):
            same(k, got, f"chunk {lo}:{hi}")
    rev = list(range(n - 1, -1, -1))
    for k, got in zip(rev, run(rev, "reversed batch")):
        same(k, got, "the reversed batch")
    for k in sorted(rng.sample(range(n), min(n, 25))):
        same(k, run([k], f"sentence {k} alone")[0], "projecting it alone")
    # Bad batch shapes.
    _expect_input_error(
        who,
        "unequal batch lengths raise InputError",
        None,
        lambda: projector.project(sources, targets[:-1], alignments),
    )
    k = next(i for i in range(n) if len(targets[i]) > 0)
    bad = list(alignments)
    bad[k] = Alignment(alignments[k].src_len, alignments[k].tgt_len + 1, alignments[k].links)
    _expect_input_error(
        who,
        "an alignment of the wrong length raises InputError",
        k,
        lambda: projector.project(sources, targets, bad),
    )


def check_alignments(
    sources: Sequence[Sentence],
    targets: Sequence[Sentence],
    alignments: Any,
    *,
    who: str = "aligner",
) -> None:
    """Check an aligner's output for a batch; raise :class:`AssertionError` on the first fault.

    Checks: a list of one :class:`~xproj.types.Alignment` per pair; ``src_len``/``tgt_len``
    equal to the sentence lengths; links in bounds and unique; scores absent or finite and
    parallel to the links; no links when either sentence is empty.

    >>> check_alignments([Sentence(("a",))], [Sentence(("b",))], [Alignment(1, 2)])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: aligner: check 'lengths match the sentences' failed on sentence 0: ...
    """
    if not isinstance(alignments, list):
        raise _fail(who, "returns a list", None, f"got {type(alignments).__name__}")
    if len(alignments) != len(sources):
        raise _fail(
            who, "one output per input", None, f"{len(alignments)} for {len(sources)} pairs"
        )
    for k, (s, t, a) in enumerate(zip(sources, targets, alignments)):
        inputs = (s, t)
        if not isinstance(a, Alignment):
            raise _fail(who, "returns Alignment objects", k, f"got {type(a).__name__}", inputs)
        if (a.src_len, a.tgt_len) != (len(s), len(t)):
            raise _fail(
                who,
                "lengths match the sentences",
                k,
                f"src_len {a.src_len}, tgt_len {a.tgt_len} for sentences of {len(s)} and "
                f"{len(t)} words",
                inputs,
            )
        for i, j in a.links:
            if not (0 <= i < len(s) and 0 <= j < len(t)):
                raise _fail(who, "links in bounds", k, f"link {i}-{j}", inputs)
        if len(set(a.links)) != len(a.links):
            raise _fail(who, "unique links", k, f"links {a.links} repeat a pair", inputs)
        if a.scores is not None:
            if len(a.scores) != len(a.links):
                raise _fail(
                    who,
                    "scores parallel to links",
                    k,
                    f"{len(a.scores)} scores, {len(a.links)} links",
                    inputs,
                )
            if not all(math.isfinite(x) for x in a.scores):
                raise _fail(who, "finite scores", k, f"scores {a.scores}", inputs)


def check_aligner(
    aligner: Aligner,
    *,
    n: int = 16,
    seed: int = 0,
    sources: Sequence[Sentence] | None = None,
    targets: Sequence[Sentence] | None = None,
    batching: bool = True,
) -> None:
    """Run every conformance check on ``aligner``; raise :class:`AssertionError` if one fails.

    On ``n`` random sentence pairs (:func:`random_sentence_pairs`, three of them with an empty
    side), or on ``sources``/``targets`` when given, the aligner must: return output that
    passes :func:`check_alignments`; give the same result twice; leave its input unchanged;
    with ``batching``, give the same result per pair whether aligned whole, in random chunks
    or one pair at a time; and raise :class:`~xproj.errors.InputError` for batches of unequal
    length.

    Parameters
    ----------
    aligner
        The aligner instance to check.
    n, seed
        How many random pairs, and their seed (ignored when ``sources`` are given).
    sources, targets
        The pairs to align instead of random ones, e.g. those a precomputed table was made for.
    batching
        Check batching invariance. Turn it off only for aligners that serve a fixed,
        positional table (such as :class:`~xproj.align.precomputed.PrecomputedAligner`),
        where a sub-batch is rightly an error.

    Examples
    --------
    >>> from xproj.align.precomputed import PrecomputedAligner
    >>> src, tgt = random_sentence_pairs(6, seed=2)
    >>> links = [[(0, 0)] if len(s) and len(t) else [] for s, t in zip(src, tgt)]
    >>> check_aligner(PrecomputedAligner(links=links), sources=src, targets=tgt, batching=False)
    """
    who = type(aligner).__name__
    if not isinstance(aligner, Aligner):
        raise _fail(who, "is an Aligner", None, f"{aligner!r} does not derive from Aligner")
    if sources is None or targets is None:
        sources, targets = random_sentence_pairs(max(3, n), seed)
    src, tgt = list(sources), list(targets)
    before = copy.deepcopy((src, tgt))

    def run(idx: Sequence[int] | None, what: str) -> list[Alignment]:
        if idx is None:  # the caller's own lists, so that mutating them is caught
            s, t = src, tgt
        else:
            s = [src[i] for i in idx]
            t = [tgt[i] for i in idx]
        try:
            out = aligner.align(s, t)
        except Exception as e:
            raise _fail(who, "aligns valid input", None, f"{what}: {e!r}") from e
        check_alignments(s, t, out, who=f"{who} ({what})")
        return out

    m = len(src)
    whole = run(None, "whole batch")
    if (src, tgt) != before:
        raise _fail(who, "input not mutated", None, "the input sentences changed")
    again = run(None, "whole batch, again")
    for k in range(m):
        if again[k] != whole[k]:
            raise _fail(who, "deterministic", k, f"{whole[k]} then {again[k]}", (src[k], tgt[k]))
    if batching:
        rng = random.Random(seed + 1)
        pieces = _chunks(rng, m) + [(k, k + 1) for k in range(m)]
        for lo, hi in pieces:
            for k, got in zip(range(lo, hi), run(range(lo, hi), f"pairs {lo}:{hi}")):
                if got != whole[k]:
                    raise _fail(
                        who,
                        "batching invariance",
                        k,
                        f"pairs {lo}:{hi} give {got}, the whole batch {whole[k]}",
                        (src[k], tgt[k]),
                    )
    if m >= 1:
        _expect_input_error(
            who,
            "unequal batch lengths raise InputError",
            None,
            lambda: aligner.align(src, tgt[:-1]),
        )
