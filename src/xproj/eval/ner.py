"""Span-level NER scores: seqeval's strict IOB2 evaluation (exact span and type match).

The scores are those of ``seqeval.metrics.classification_report(mode="strict", scheme=IOB2)``,
the standard CoNLL evaluation: an entity counts as correct only when its start, end and type all
match a gold entity. Micro scores pool every entity; macro F1 averages the per-type F1 over every
type that occurs in the gold or the predictions. A ratio whose denominator is 0 is 0 (seqeval's
``zero_division=0``); with no entity on either side every score is 0.

Label mapping is explicit configuration applied to both sides before scoring, e.g.
``{"MISC": "O", "DATE": "O"}`` to leave those types out (see :func:`xproj.io.tags.map_labels`).

Examples
--------
>>> from xproj.types import LabelledSentence
>>> gold = [LabelledSentence.from_tags(["Angela", "Merkel", "in", "Paris"],
...                                    ["B-PER", "I-PER", "O", "B-LOC"])]
>>> pred = [LabelledSentence.from_tags(["Angela", "Merkel", "in", "Paris"],
...                                    ["B-PER", "I-PER", "O", "B-ORG"])]
>>> s = evaluate_ner(gold, pred)
>>> round(s.precision, 2), round(s.recall, 2), round(s.f1, 2), round(s.macro_f1, 2)
(0.5, 0.5, 0.5, 0.33)
>>> s.per_type["PER"].f1, s.per_type["LOC"].support, s.per_type["ORG"].predicted
(1.0, 1, 1)
>>> evaluate_ner(gold, pred, label_map={"LOC": "O", "ORG": "O"}).f1
1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj.errors import InputError
from xproj.io.tags import LabelMap, map_labels
from xproj.types import LabelledSentence, Projection, Span, tags_from_spans

__all__ = ["NerScores", "TypeScores", "evaluate_ner"]


@dataclass(frozen=True)
class TypeScores:
    """Scores of one entity type (or of all types pooled, for the micro scores).

    Attributes
    ----------
    precision, recall, f1
        seqeval's strict scores.
    support
        Gold entities.
    predicted
        Predicted entities.
    correct
        Predicted entities that match a gold entity exactly (span and type).
    """

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    correct: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "predicted": self.predicted,
            "correct": self.correct,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TypeScores:
        return cls(
            float(d["precision"]),
            float(d["recall"]),
            float(d["f1"]),
            int(d["support"]),
            int(d["predicted"]),
            int(d["correct"]),
        )


@dataclass(frozen=True)
class NerScores:
    """The result of :func:`evaluate_ner`; ``to_dict()`` is JSON-ready.

    Attributes
    ----------
    precision, recall, f1
        Micro-averaged scores over all entities.
    macro_f1
        The mean of the per-type F1 scores.
    support, predicted, correct
        Gold, predicted and correct entities, all types together.
    sentences
        How many sentence pairs were scored.
    per_type
        :class:`TypeScores` for every type in the gold or the predictions, sorted by name.
    label_map
        The label mapping that was applied to both sides, if any.
    """

    precision: float
    recall: float
    f1: float
    macro_f1: float
    support: int
    predicted: int
    correct: int
    sentences: int
    per_type: dict[str, TypeScores] = field(default_factory=dict)
    label_map: dict[str, str | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "macro_f1": self.macro_f1,
            "support": self.support,
            "predicted": self.predicted,
            "correct": self.correct,
            "sentences": self.sentences,
            "per_type": {k: v.to_dict() for k, v in self.per_type.items()},
            "label_map": None if self.label_map is None else dict(self.label_map),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NerScores:
        return cls(
            float(d["precision"]),
            float(d["recall"]),
            float(d["f1"]),
            float(d["macro_f1"]),
            int(d["support"]),
            int(d["predicted"]),
            int(d["correct"]),
            int(d["sentences"]),
            {k: TypeScores.from_dict(v) for k, v in d.get("per_type", {}).items()},
            None if d.get("label_map") is None else dict(d["label_map"]),
        )

    def table(self) -> str:
        """A plain-text table of the per-type and averaged scores (percentages).

        >>> print(NerScores(1.0, 0.5, 2 / 3, 2 / 3, 2, 1, 1, 1,
        ...                 {"PER": TypeScores(1.0, 0.5, 2 / 3, 2, 1, 1)}).table())
        type          P       R      F1  support
        PER       100.0    50.0    66.7        2
        micro     100.0    50.0    66.7        2
        macro                      66.7
        """
        rows = [f"{'type':<8}{'P':>7} {'R':>7} {'F1':>7} {'support':>8}"]
        for name, t in self.per_type.items():
            rows.append(
                f"{name:<8}{100 * t.precision:7.1f} {100 * t.recall:7.1f} {100 * t.f1:7.1f} "
                f"{t.support:8d}"
            )
        rows.append(
            f"{'micro':<8}{100 * self.precision:7.1f} {100 * self.recall:7.1f} "
            f"{100 * self.f1:7.1f} {self.support:8d}"
        )
        rows.append(f"{'macro':<8}{'':7} {'':7} {100 * self.macro_f1:7.1f}")
        return "\n".join(rows)


def _as_labelled(item: LabelledSentence | Projection, side: str, k: int) -> LabelledSentence:
    if isinstance(item, Projection):
        return item.target
    if isinstance(item, LabelledSentence):
        return item
    raise InputError(
        f"{side} item is a {type(item).__name__}, not a LabelledSentence or Projection",
        sentence=k,
    )


def _first_difference(
    gold: Sequence[LabelledSentence | Projection],
    predicted: Sequence[LabelledSentence | Projection],
) -> int | None:
    """The first index (within the shorter side) whose sentences hold different words."""
    for k, (g, p) in enumerate(zip(gold, predicted)):
        if _as_labelled(g, "gold", k).words != _as_labelled(p, "predicted", k).words:
            return k
    return None


def _word_difference(g: LabelledSentence, p: LabelledSentence, width: int = 60) -> str:
    """Where two word sequences first differ, for an error message.

    >>> print(_word_difference(LabelledSentence(("at", "Rom")), LabelledSentence(("at", "Ulm"))))
    word 1 is 'Rom' in the gold but 'Ulm' in the prediction (gold: 'at Rom', predicted: 'at Ulm')
    >>> _word_difference(LabelledSentence(("a",)), LabelledSentence(("a", "b")))
    "the gold has 1 words, the prediction 2 (gold: 'a', predicted: 'a b')"
    """

    def show(s: LabelledSentence) -> str:
        text = " ".join(s.words)
        return repr(text if len(text) <= width else text[: width - 3] + "...")

    both = f"(gold: {show(g)}, predicted: {show(p)})"
    for i, (a, b) in enumerate(zip(g.words, p.words)):
        if a != b:
            return f"word {i} is {a!r} in the gold but {b!r} in the prediction {both}"
    return f"the gold has {len(g)} words, the prediction {len(p)} {both}"


def evaluate_ner(
    gold: Sequence[LabelledSentence | Projection],
    predicted: Sequence[LabelledSentence | Projection],
    *,
    label_map: LabelMap | None = None,
) -> NerScores:
    """Score predicted entities against gold ones with seqeval (strict, IOB2).

    Parameters
    ----------
    gold, predicted
        Labelled sentences or projections (their ``target`` is scored), in the same order,
        with the same words in each pair: scores are computed position by position, so a
        prediction for other sentences would otherwise be scored as if it were for these.
    label_map
        Optional mapping applied to both sides first: type -> new type, or ``"O"``/``None`` to
        leave the type out. Types it does not mention are kept.

    Returns
    -------
    NerScores

    Raises
    ------
    InputError
        If the two sides have different numbers of sentences, or a pair has different words
        (naming the sentence index and the first word that differs; for different sentence
        counts, the first sentence whose words differ, if any).
    """
    if len(gold) != len(predicted):
        k = _first_difference(gold, predicted)
        where = (
            ""
            if k is None
            else f"; the first sentence whose words differ is sentence {k}: "
            + _word_difference(
                _as_labelled(gold[k], "gold", k), _as_labelled(predicted[k], "predicted", k)
            )
        )
        raise InputError(
            f"gold has {len(gold)} sentences but predicted has {len(predicted)}; score one "
            f"prediction per gold sentence, in the same order{where}",
            sentence=k,
        )
    gold_spans: list[tuple[Span, ...]] = []
    pred_spans: list[tuple[Span, ...]] = []
    lengths: list[int] = []
    for k, (g_item, p_item) in enumerate(zip(gold, predicted)):
        g = _as_labelled(g_item, "gold", k)
        p = _as_labelled(p_item, "predicted", k)
        if len(g) != len(p):
            raise InputError(
                f"gold has {len(g)} words but the prediction has {len(p)}; both sides must be "
                "labels of the same words (evaluate on the gold tokenisation)",
                sentence=k,
            )
        if g.words != p.words:
            raise InputError(
                f"the words differ: {_word_difference(g, p)}; the prediction must label the "
                "gold sentences themselves, in the same order",
                sentence=k,
            )
        gs, ps = g.spans, p.spans
        if label_map is not None:
            gs, ps = map_labels(gs, label_map), map_labels(ps, label_map)
        gold_spans.append(gs)
        pred_spans.append(ps)
        lengths.append(len(g))

    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_hit: Counter[str] = Counter()
    for gs, ps in zip(gold_spans, pred_spans):
        n_gold.update(s.label for s in gs)
        n_pred.update(s.label for s in ps)
        gset = {(s.start, s.end, s.label) for s in gs}
        n_hit.update(s.label for s in ps if (s.start, s.end, s.label) in gset)
    mapping = None if label_map is None else dict(label_map)
    totals = (sum(n_gold.values()), sum(n_pred.values()), sum(n_hit.values()))
    if totals[0] == 0 and totals[1] == 0:
        return NerScores(0.0, 0.0, 0.0, 0.0, 0, 0, 0, len(lengths), {}, mapping)

    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    y_true = [list(tags_from_spans(s, n)) for s, n in zip(gold_spans, lengths)]
    y_pred = [list(tags_from_spans(s, n)) for s, n in zip(pred_spans, lengths)]
    report = classification_report(
        y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    per_type = {
        name: TypeScores(
            float(report[name]["precision"]),
            float(report[name]["recall"]),
            float(report[name]["f1-score"]),
            n_gold[name],
            n_pred[name],
            n_hit[name],
        )
        for name in sorted(n_gold.keys() | n_pred.keys())
    }
    micro = report["micro avg"]
    return NerScores(
        precision=float(micro["precision"]),
        recall=float(micro["recall"]),
        f1=float(micro["f1-score"]),
        macro_f1=float(report["macro avg"]["f1-score"]),
        support=totals[0],
        predicted=totals[1],
        correct=totals[2],
        sentences=len(lengths),
        per_type=per_type,
        label_map=mapping,
    )
