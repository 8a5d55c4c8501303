"""The transformers labeller: any token-classification model, with per-word label probabilities.

This module is ``xproj.label.transformers``; it imports the real ``torch`` and ``transformers``
packages inside the functions that need them (absolute imports, so the module name does not
shadow the package).

Words cross the model boundary exactly: the tokenizer gets the caller's words
(``is_split_into_words=True``) and its ``word_ids()`` map subwords back to words, so every word
gets one probability distribution over the model's labels and one tag.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xproj._extras import import_extra
from xproj._hf import (
    check_fast,
    load_model,
    load_tokenizer,
    max_input_length,
    pad_batch,
    pad_token_id,
    plan_windows,
    window_owner,
)
from xproj._torch import Dtype, device_constraint, resolve_device, resolve_dtype
from xproj.errors import InputError, ParameterError
from xproj.label.base import Labeller
from xproj.label.normalise import NormalisationStats, SpanNormaliser
from xproj.params import InstanceOf, Interval, NoneOr, Options, Predicate
from xproj.reported import Reported
from xproj.types import LabelledSentence, Sentence, Span

__all__ = [
    "DEFAULT_MODEL",
    "Aggregation",
    "Decoding",
    "LabelProbabilities",
    "TransformersLabeller",
    "decode_tags",
    "plan_windows",
    "viterbi_tags",
]

DEFAULT_MODEL = "FacebookAI/xlm-roberta-large-finetuned-conll03-english"


class Aggregation(str, enum.Enum):
    """How a word's label distribution is made from its subwords' distributions.

    ``FIRST`` takes the first subword's (the usual fine-tuning convention, and what CoNLL
    models such as ``xlm-roberta-large-finetuned-conll03-english`` were trained with);
    ``AVERAGE`` averages the probabilities of all the word's subwords.
    """

    FIRST = "first"
    AVERAGE = "average"


class Decoding(str, enum.Enum):
    """How a sentence's tags are chosen from its words' label distributions.

    ``ARGMAX`` takes each word's most probable tag on its own, then :func:`decode_tags`
    repairs what no tag scheme allows (an ``I-X`` after ``O`` starts a span). ``VITERBI`` takes
    the most probable tag *sequence* among those the scheme allows (:func:`viterbi_tags`), so
    a span's boundaries and type are chosen jointly: a word whose ``I-LOC`` narrowly beats
    ``I-ORG`` after a ``B-ORG`` word continues the ORG span instead of starting a LOC one
    (the constrained decoding of CRF taggers, Lample et al., 2016, applied to a softmax
    tagger's probabilities).
    """

    ARGMAX = "argmax"
    VITERBI = "viterbi"


@dataclass(frozen=True)
class LabelProbabilities:
    """One sentence's labels with the per-word distributions they were decoded from.

    Parameters
    ----------
    sentence
        The labelled sentence (spans decoded from each word's tag as the labeller's
        ``decoding`` chose it, normalised if the labeller normalises).
    probs
        ``(n_words, n_labels)`` float32 probabilities; each row sums to 1.
    labels
        The tag of each column, e.g. ``("O", "B-PER", "I-PER", ...)``.

    Examples
    --------
    >>> p = LabelProbabilities(LabelledSentence(("Paris",)), np.array([[0.25, 0.75]], "float32"),
    ...                        ("O", "B-LOC"))
    >>> p.prob("B-LOC").tolist()
    [0.75]
    """

    sentence: LabelledSentence
    probs: np.ndarray
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.probs.shape != (len(self.sentence), len(self.labels)):
            raise InputError(
                f"probabilities of shape {self.probs.shape} for {len(self.sentence)} words and "
                f"{len(self.labels)} labels; expected ({len(self.sentence)}, {len(self.labels)})"
            )

    def prob(self, label: str) -> np.ndarray:
        """The probability of tag ``label`` (e.g. ``"B-PER"``) for each word."""
        try:
            col = self.labels.index(label)
        except ValueError:
            raise InputError(
                f"no label {label!r}; the labels are {', '.join(self.labels)}"
            ) from None
        out: np.ndarray = self.probs[:, col]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence.to_dict(),
            "probs": self.probs.tolist(),
            "labels": list(self.labels),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LabelProbabilities:
        labels = tuple(d["labels"])
        probs = np.asarray(d["probs"], dtype=np.float32).reshape(-1, len(labels))
        return cls(LabelledSentence.from_dict(d["sentence"]), probs, labels)


def _split_tag(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, sep, typ = tag.partition("-")
    if not sep or prefix not in ("B", "I", "E", "S") or not typ:
        raise ParameterError(
            f"label {tag!r} is not 'O' or an IOB2/BIOES tag such as 'B-PER'; set the model "
            "config's id2label to IOB2 tags (a model that says 'LABEL_0' has no label names)"
        )
    return prefix, typ


def decode_tags(tags: Sequence[str], scores: Sequence[float] | None = None) -> tuple[Span, ...]:
    """Spans from per-word IOB2 or BIOES tags, repairing invalid sequences.

    A word tagged ``B-X`` or ``S-X`` starts a span; ``I-X`` or ``E-X`` continues the X span
    before it. The repair: an ``I-X`` or ``E-X`` that does not continue an X span (after ``O``,
    after a span of another type, or after ``E-``/``S-``) starts a new X span, as if it were
    ``B-X``, which is how conlleval and seqeval read such tags. The same reading decodes IOB1
    output correctly (models fine-tuned on IOB1 files, as the original CoNLL-2003 release is,
    start entities with ``I-``). With ``scores`` (one per word),
    each span's score is the mean score of its words.

    Examples
    --------
    >>> decode_tags(["B-PER", "I-PER", "O", "I-LOC", "I-ORG"])
    (Span(start=0, end=2, label='PER', score=None), Span(start=3, end=4, label='LOC', score=None), Span(start=4, end=5, label='ORG', score=None))
    """  # noqa: E501
    bounds: list[tuple[int, int, str]] = []
    start, typ, closed = -1, "", True
    for i, tag in enumerate(tags):
        prefix, t = _split_tag(tag)
        if prefix in ("I", "E") and not closed and t == typ:
            if prefix == "E":
                bounds.append((start, i + 1, typ))
                closed = True
            continue
        if not closed:
            bounds.append((start, i, typ))
            closed = True
        if prefix == "O":
            continue
        start, typ, closed = i, t, False
        if prefix in ("S", "E"):
            bounds.append((start, i + 1, typ))
            closed = True
    if not closed:
        bounds.append((start, len(tags), typ))
    return tuple(
        Span(a, b, t, None if scores is None else float(np.mean(scores[a:b]))) for a, b, t in bounds
    )


@functools.lru_cache(maxsize=16)
def _transitions(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which tag may follow which, start a sentence and end one, under IOB2 or BIOES
    (computed once per tag set: the labeller decodes every sentence with the same tags; the
    arrays are shared, so they are read-only).

    The scheme is BIOES when any tag starts with ``E-`` or ``S-``: then a ``B-X`` or ``I-X``
    must be followed by ``I-X`` or ``E-X`` and may not end the sentence. In both schemes
    ``I-X`` (and ``E-X``) may only follow ``B-X`` or ``I-X`` and may not start a sentence.
    """
    parts = [_split_tag(t) for t in tags]
    bioes = any(p in ("E", "S") for p, _ in parts)
    n = len(tags)
    allowed = np.ones((n, n), dtype=bool)  # [previous, next]
    for j, (pn, tn) in enumerate(parts):
        for i, (pp, tp) in enumerate(parts):
            open_prev = pp in ("B", "I")
            if pn in ("I", "E"):
                allowed[i, j] = open_prev and tp == tn
            elif bioes:
                allowed[i, j] = not open_prev
    start = np.array([p not in ("I", "E") for p, _ in parts])
    end = np.array([not (bioes and p in ("B", "I")) for p, _ in parts])
    for shared in (allowed, start, end):
        shared.setflags(write=False)
    return allowed, start, end


def viterbi_tags(probs: np.ndarray, tags: Sequence[str]) -> list[int]:
    """The column of each word's tag on the most probable valid tag sequence.

    ``probs`` is ``(n_words, n_tags)``; the sequence maximises the sum of the words' log
    probabilities over the sequences that IOB2 (or BIOES, when ``tags`` has ``E-``/``S-``
    tags) allows: no ``I-X`` after ``O`` or after another type, none at the start. Words are
    scored independently, so among valid sequences this is the product of the words'
    probabilities; where the arg-max sequence is valid it is that sequence.

    Examples
    --------
    The arg-max tags would be ``B-ORG I-LOC``; the best valid sequence continues the ORG span:

    >>> tags = ("O", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
    >>> p = np.array([[0.1, 0.8, 0.0, 0.1, 0.0], [0.1, 0.0, 0.4, 0.0, 0.5]])
    >>> [tags[j] for j in viterbi_tags(p, tags)]
    ['B-ORG', 'I-ORG']
    """
    n_words = probs.shape[0]
    if n_words == 0:
        return []
    allowed, start, end = _transitions(tuple(tags))
    logp = np.log(np.maximum(np.asarray(probs, dtype=np.float64), 1e-30))
    forbidden = -1e30
    trans = np.where(allowed, 0.0, forbidden)
    score = np.where(start, logp[0], forbidden)
    back = np.zeros((n_words, len(tags)), dtype=np.intp)
    for t in range(1, n_words):
        cand = score[:, None] + trans
        back[t] = cand.argmax(axis=0)
        score = cand[back[t], np.arange(len(tags))] + logp[t]
    score = np.where(end, score, score + forbidden)
    path = [int(score.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    )


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    device: Any
    tags: tuple[str, ...]  # the output tags (after label_map)
    projection: np.ndarray | None  # (model labels, output tags) 0/1 matrix, None for identity
    max_length: int
    n_special: int
    overlap: int


@dataclass(kw_only=True)
class TransformersLabeller(Labeller):
    """Label sentences with a token-classification model from transformers.

    Parameters
    ----------
    model
        A Hugging Face model name or a local directory with a token-classification model and a
        fast tokenizer (``AutoModelForTokenClassification`` / ``AutoTokenizer``). Its
        ``id2label`` must be IOB2 (or BIOES) tags such as ``B-PER``.
    aggregation
        How subword distributions become a word's: :class:`Aggregation` (``"first"`` or
        ``"average"``).
    batch_size
        Windows per forward pass. Windows are sorted by length before batching, so padding is
        small and results do not depend on the batch size.
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or ``None`` or ``"auto"`` for CUDA when
        available, else CPU.
    dtype
        ``"float32"``, ``"float16"`` or ``"bfloat16"`` (half precision for GPUs).
    decoding
        A :class:`Decoding` or its value: ``"argmax"`` (default: each word's most probable tag,
        repaired) or ``"viterbi"`` (the most probable tag sequence that IOB2/BIOES allows,
        decoded from the same distributions). ``"viterbi"`` assumes IOB2 or BIOES output
        tags; a model trained on IOB1 tags (entities starting with ``I-``) needs ``"argmax"``.
    max_length
        Subword tokens per window, special tokens included; ``None`` uses the model's limit.
        Longer sentences are split into overlapping windows (never truncated); each word takes
        its distribution from the window in which it is farthest from an edge.
    window_overlap
        Subwords shared by consecutive windows, at most half a window; ``None`` uses a quarter
        of a window (127 subwords for a 512-token model).
    label_map
        Optional entity type -> entity type map (``"O"`` drops a type). Probabilities of tags
        that map to the same tag are summed, so ``labels`` and ``probs`` are in the mapped tag
        set, and tags are decoded from those.
    normalise
        A :class:`~xproj.label.normalise.SpanNormaliser` applied to the decoded spans, or
        ``None`` (the default: CoNLL-trained models already follow CoNLL's span conventions).
    add_prefix_space
        Passed to ``AutoTokenizer.from_pretrained`` when set; byte-level BPE tokenizers
        (RoBERTa, GPT-2 style) need ``True`` to take pre-split words.

    Notes
    -----
    Tags are the arg-max of each word's distribution (``decoding="argmax"``), invalid
    sequences repaired by :func:`decode_tags` (an ``I-X`` that continues no X span starts one),
    or the most probable valid sequence (``decoding="viterbi"``). A span's score is the
    mean probability of its words' chosen tags. :meth:`label_with_probs` also returns the
    distributions (for NER-probability candidate scorers).

    Examples
    --------
    >>> lab = TransformersLabeller(model="path/to/conll-model", batch_size=16)
    >>> lab.label([Sentence(("Angela", "Merkel", "visited", "Paris"))])  # doctest: +SKIP
    """

    model: str | Path = DEFAULT_MODEL
    aggregation: Aggregation | str = Aggregation.FIRST
    batch_size: int = 32
    device: str | None = None
    dtype: Dtype | str = Dtype.FLOAT32
    decoding: Decoding | str = Decoding.ARGMAX
    max_length: int | None = None
    window_overlap: int | None = None
    label_map: Mapping[str, str] | None = None
    normalise: SpanNormaliser | None = None
    add_prefix_space: bool | None = None
    _loaded: _Loaded | None = field(default=None, init=False, repr=False, compare=False)

    _constraints = {
        "model": InstanceOf((str, Path)),
        "aggregation": Options.of(Aggregation),
        "batch_size": Interval(int, 1, None),
        "device": device_constraint(),
        "dtype": Options.of(d.value for d in Dtype if d is not Dtype.AUTO),
        "decoding": Options.of(Decoding),
        "max_length": NoneOr(Interval(int, 3, None)),
        "window_overlap": NoneOr(Interval(int, 0, None)),
        "label_map": NoneOr(Predicate(_mapping, "a mapping of entity type to entity type")),
        "normalise": NoneOr(InstanceOf((SpanNormaliser,))),
        "add_prefix_space": NoneOr(InstanceOf((bool,))),
    }

    # -- loading ---------------------------------------------------------------------------

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        torch = import_extra("torch", "transformers", what="The transformers labeller")
        device = resolve_device(torch, self.device, owner="TransformersLabeller")
        kwargs: dict[str, Any] = {}
        if self.add_prefix_space is not None:
            kwargs["add_prefix_space"] = self.add_prefix_space
        what = "token-classification model"
        tokenizer = load_tokenizer(self.model, owner="TransformersLabeller", what=what, **kwargs)
        model = load_model(
            self.model,
            "AutoModelForTokenClassification",
            owner="TransformersLabeller",
            what=what,
            dtype=resolve_dtype(torch, self.dtype, device),
        )
        self._loaded = self._prepare(model, tokenizer, device)
        return self._loaded

    def _prepare(self, model: Any, tokenizer: Any, device: Any) -> _Loaded:
        """Check a loaded model and tokenizer against the parameters; plan the windows."""
        where = str(self.model)
        check_fast(tokenizer, where, owner="TransformersLabeller")
        model.to(device)
        model.eval()
        id2label = model.config.id2label
        model_tags = tuple(str(id2label[i]) for i in range(model.config.num_labels))
        for t in model_tags:
            _split_tag(t)
        tags, projection = _project_tags(model_tags, self.label_map)
        limit = max_input_length(model, tokenizer)
        max_length = self.max_length if self.max_length is not None else limit
        if max_length is None:
            raise ParameterError(
                f"the model {where!r} declares no maximum input length; pass max_length= to "
                "TransformersLabeller"
            )
        if limit is not None and max_length > limit:
            raise ParameterError(
                f"The 'max_length' parameter of TransformersLabeller is {max_length}, more than "
                f"the {limit} tokens model {where!r} accepts; lower it or leave it None"
            )
        n_special = int(tokenizer.num_special_tokens_to_add(pair=False))
        budget = max_length - n_special
        overlap = budget // 4 if self.window_overlap is None else self.window_overlap
        if budget < 1 or overlap > budget // 2:
            raise ParameterError(
                f"The 'window_overlap' parameter of TransformersLabeller must be at most half "
                f"the {budget} subwords a window holds (max_length {max_length} minus "
                f"{n_special} special tokens). Got {overlap} instead."
            )
        return _Loaded(model, tokenizer, device, tags, projection, max_length, n_special, overlap)

    @classmethod
    def from_objects(cls, model: Any, tokenizer: Any, **params: Any) -> TransformersLabeller:
        """A labeller over a model and fast tokenizer already in memory (e.g. one being trained).

        ``params`` are the other constructor parameters; ``model`` (the name reported in
        messages) defaults to the model's class name. The model is moved to ``device`` and put
        in eval mode.

        Examples
        --------
        >>> lab = TransformersLabeller.from_objects(net, tokenizer, batch_size=8)  # doctest: +SKIP
        """
        params.setdefault("model", f"<{type(model).__name__} in memory>")
        labeller = cls(**params)
        torch = import_extra("torch", "transformers", what="The transformers labeller")
        device = resolve_device(torch, labeller.device, owner="TransformersLabeller")
        labeller._loaded = labeller._prepare(model, tokenizer, device)
        return labeller

    def load(self) -> TransformersLabeller:
        """Load the model and tokenizer now rather than on first use; return ``self``."""
        self._load()
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        """The tags of the probability columns (the model's, after ``label_map``)."""
        return self._load().tags

    # -- the three steps: preprocess (CPU), forward (device), postprocess (CPU) ------------

    def _preprocess(
        self, sentences: Sequence[Sentence]
    ) -> tuple[list[tuple[int, int, int]], list[list[int]], list[list[int | None]]]:
        """Plan windows; return ``(sentence, start, end)`` per window with ids and word ids."""
        ld = self._load()
        tok = ld.tokenizer
        nonempty = [k for k, s in enumerate(sentences) if len(s)]
        counts: dict[int, list[int]] = {}
        if nonempty:
            enc = tok(
                [list(sentences[k].words) for k in nonempty],
                is_split_into_words=True,
                add_special_tokens=False,
                verbose=False,  # long sentences are windowed below: no length warning
            )
            for row, k in enumerate(nonempty):
                c = [0] * len(sentences[k])
                for w in enc.word_ids(row):
                    if w is not None:
                        c[w] += 1
                for i, n in enumerate(c):
                    if n == 0:
                        raise InputError(
                            f"the tokenizer of {self.model!r} turns word {i} "
                            f"({sentences[k].words[i]!r}) into no tokens at all, so it cannot "
                            "be labelled; remove or replace the word",
                            sentence=k,
                        )
                counts[k] = c
        budget = ld.max_length - ld.n_special
        while True:
            windows = [
                (k, a, b)
                for k in nonempty
                for a, b in plan_windows(counts[k], budget, ld.overlap, sentence=k)
            ]
            if not windows:
                return [], [], []
            enc = tok(
                [list(sentences[k].words[a:b]) for k, a, b in windows],
                is_split_into_words=True,
                add_special_tokens=True,
            )
            ids = [list(x) for x in enc["input_ids"]]
            longest = max(len(x) for x in ids)
            if longest <= ld.max_length:
                return windows, ids, [enc.word_ids(i) for i in range(len(windows))]
            # a tokenizer that splits a word differently at a window's start: shrink and retry
            budget -= longest - ld.max_length

    def _forward(self, batch: list[list[int]]) -> list[np.ndarray]:
        """Run one padded batch on the device; subword probabilities per window, float32."""
        import torch

        ld = self._load()
        ids, mask = pad_batch(batch, pad_token_id(ld.tokenizer))
        with torch.inference_mode():
            logits = ld.model(input_ids=ids.to(ld.device), attention_mask=mask.to(ld.device)).logits
            probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return [probs[r, : len(x)] for r, x in enumerate(batch)]

    def _postprocess(
        self,
        sentences: Sequence[Sentence],
        windows: list[tuple[int, int, int]],
        word_ids: list[list[int | None]],
        window_probs: list[np.ndarray],
    ) -> list[LabelProbabilities]:
        ld = self._load()
        n_model = len(ld.model.config.id2label)
        word_probs = [np.zeros((len(s), n_model), dtype=np.float32) for s in sentences]
        # each word takes its distribution from the window where it is farthest from an edge
        rows: dict[int, list[int]] = {}
        for i, (k, _, _) in enumerate(windows):
            rows.setdefault(k, []).append(i)
        chosen = {  # per sentence: for each word, the index of the window it takes
            k: np.asarray(r)[
                window_owner([(windows[i][1], windows[i][2]) for i in r], len(sentences[k]))
            ]
            for k, r in rows.items()
        }
        first = Aggregation(self.aggregation) is Aggregation.FIRST
        for i, ((k, a, b), wids, p) in enumerate(zip(windows, word_ids, window_probs)):
            sums = np.zeros((b - a, n_model), dtype=np.float32)
            seen = np.zeros(b - a, dtype=np.int64)
            for pos, w in enumerate(wids):
                if w is None or (first and seen[w]):
                    continue
                sums[w] += p[pos]
                seen[w] += 1
            local = sums / np.maximum(seen, 1)[:, None]
            mine = chosen[k][a:b] == i
            word_probs[k][a:b][mine] = local[mine]
        out = []
        viterbi = Decoding(self.decoding) is Decoding.VITERBI
        for k, s in enumerate(sentences):
            probs = word_probs[k] if ld.projection is None else word_probs[k] @ ld.projection
            if viterbi:
                best = np.asarray(viterbi_tags(probs, ld.tags), dtype=np.int64)
            else:
                best = probs.argmax(axis=1) if len(s) else np.zeros(0, dtype=np.int64)
            tags = [ld.tags[j] for j in best]
            spans = decode_tags(tags, probs[np.arange(len(s)), best].tolist())
            out.append(LabelProbabilities(LabelledSentence(s.words, spans, s.lang), probs, ld.tags))
        return out

    # -- public ----------------------------------------------------------------------------

    def label_with_probs(self, sentences: Sequence[Sentence]) -> list[LabelProbabilities]:
        """Label a batch and return each word's label distribution with the labels.

        One :class:`LabelProbabilities` per sentence in, in order; ``probs`` has one row per
        word (an empty sentence gets an empty ``(0, n_labels)`` array).
        """
        return self._label_with_stats(sentences)[0]

    def _label_with_stats(
        self, sentences: Sequence[Sentence]
    ) -> tuple[list[LabelProbabilities], NormalisationStats | None]:
        windows, ids, word_ids = self._preprocess(sentences)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
        window_probs: list[np.ndarray] = [np.zeros(0)] * len(ids)
        for lo in range(0, len(order), self.batch_size):
            chunk = order[lo : lo + self.batch_size]
            for i, p in zip(chunk, self._forward([ids[i] for i in chunk])):
                window_probs[i] = p
        out = self._postprocess(sentences, windows, word_ids, window_probs)
        if self.normalise is None:
            return out, None
        normed, stats = self.normalise.normalise_with_stats([o.sentence for o in out])
        return [LabelProbabilities(n, o.probs, o.labels) for n, o in zip(normed, out)], stats

    def _label(self, sentences: Sequence[Sentence]) -> Reported[LabelledSentence]:
        out, stats = self._label_with_stats(sentences)
        report = {} if stats is None else {"normalisation": stats.to_dict()}
        return Reported([r.sentence for r in out], report)


def _project_tags(
    model_tags: tuple[str, ...], label_map: Mapping[str, str] | None
) -> tuple[tuple[str, ...], np.ndarray | None]:
    """The output tag set under ``label_map`` and the matrix summing model columns into it."""
    if label_map is None:
        return model_tags, None
    split = [_split_tag(t) for t in model_tags]
    missing = sorted({typ for prefix, typ in split if prefix != "O" and typ not in label_map})
    if missing:
        raise ParameterError(
            f"the model's entity types {missing} are not covered by label_map (it maps "
            f"{', '.join(sorted(label_map))}); add an entry for each (map a type to 'O' to "
            "drop it)"
        )
    out: list[str] = []
    pairs = []
    for j, (prefix, typ) in enumerate(split):
        if prefix == "O":
            new = "O"
        else:
            mapped = label_map[typ]
            new = "O" if mapped == "O" else f"{prefix}-{mapped}"
        if new not in out:
            out.append(new)
        pairs.append((j, out.index(new)))
    matrix = np.zeros((len(model_tags), len(out)), dtype=np.float32)
    for j, c in pairs:
        matrix[j, c] = 1.0
    return tuple(out), matrix
