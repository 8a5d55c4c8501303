"""The training loop shared by the trainers of xproj's neural components (private).

:func:`~xproj.align.finetune.finetune_encoder` (an aligner's encoder, self-trained) and
:func:`~xproj.label.train.train_labeller` (an NER model) differ in their data and their loss;
everything around the loss is here, once: length-sorted batches visited in seeded random order
(:func:`length_sorted_batches`, :class:`Order`), AdamW with decoupled weight decay on matrices
only and a separate learning rate for a new classifier head (:func:`param_groups`), linear
warm-up and decay (:func:`linear_schedule`), gradient clipping at norm 1, the loss of every step,
progress logged every 50 steps and an optional callback after each pass over the data; and
saving the result (:func:`save_trained`). Each trainer supplies a function from a batch
(indices into its data) to the loss.

Importing this module imports neither torch nor transformers.

Examples
--------
>>> length_sorted_batches([5, 1, 3, 2], batch_size=2)
[[1, 3], [2, 0]]
>>> f = linear_schedule(steps=10, warmup_steps=2)
>>> [round(f(s), 3) for s in (0, 1, 5, 9)]
[0.5, 1.0, 0.625, 0.125]
"""

from __future__ import annotations

import enum
import json
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Order",
    "TrainingCurve",
    "length_sorted_batches",
    "linear_schedule",
    "param_groups",
    "save_trained",
    "train_loop",
]

#: A trainer's loss for one batch: ``(loss tensor, {metric name: value})``.
StepLoss = Callable[[list[int]], tuple[Any, Mapping[str, float]]]
_LOG_EVERY = 50
_CLIP_NORM = 1.0


class Order(str, enum.Enum):
    """How the batches of each pass over the data are ordered (both seeded, both uniform).

    The two trainers have always drawn their orders differently; both are kept so that a seed
    trains exactly the weights it trained before.
    """

    #: Each pass shuffles the length-sorted batches afresh (``finetune_encoder``).
    FRESH = "fresh"
    #: Each pass shuffles the previous pass's order (``train_labeller``).
    CHAINED = "chained"


@dataclass(frozen=True)
class TrainingCurve:
    """What :func:`train_loop` recorded: every step's loss and each metric per step."""

    losses: list[float]
    metrics: dict[str, list[float]] = field(default_factory=dict)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices sorted by length (stable) and cut into batches, so that padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def linear_schedule(steps: int, warmup_steps: int) -> Callable[[int], float]:
    """The learning-rate factor of step ``s``: linear warm-up, then linear decay to 0.

    Over ``warmup_steps`` steps the factor rises to 1 (reaching it at step ``warmup_steps - 1``),
    then falls linearly to 0 at step ``steps``. With no warm-up it is ``1 - s / steps``.
    """
    if warmup_steps == 0:
        return lambda s: 1.0 - s / steps
    return lambda s: min(
        (s + 1) / warmup_steps, max(0.0, (steps - s) / max(1, steps - warmup_steps))
    )


def param_groups(
    params: Sequence[Any],
    *,
    learning_rate: float,
    weight_decay: float,
    head: Collection[int] = (),
    head_learning_rate: float | None = None,
) -> list[dict[str, Any]]:
    """AdamW parameter groups: encoder and head (``id``s in ``head``) at their learning rates.

    Biases and LayerNorm weights (tensors of one dimension) take no weight decay. Empty groups
    are left out.
    """
    groups: list[dict[str, Any]] = []
    for in_head, lr in ((False, learning_rate), (True, head_learning_rate or learning_rate)):
        part = [p for p in params if (id(p) in head) == in_head]
        groups.append(
            {"params": [p for p in part if p.ndim > 1], "weight_decay": weight_decay, "lr": lr}
        )
        groups.append({"params": [p for p in part if p.ndim <= 1], "weight_decay": 0.0, "lr": lr})
    return [g for g in groups if g["params"]]


def train_loop(
    net: Any,
    batches: Sequence[list[int]],
    step_loss: StepLoss,
    *,
    steps: int,
    learning_rate: float,
    seed: int,
    order: Order,
    log: logging.Logger,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    head: Collection[int] = (),
    head_learning_rate: float | None = None,
    after_epoch: Callable[[int], None] | None = None,
    autocast: Any | None = None,
) -> TrainingCurve:
    """Train ``net``'s parameters that require gradients for ``steps`` optimiser steps.

    Parameters
    ----------
    net
        The torch module; in train mode during the steps, in eval mode at the end.
    batches
        The batches of one pass (e.g. from :func:`length_sorted_batches`); the passes repeat
        them in seeded random order (``order``) until ``steps`` steps are taken.
    step_loss
        The trainer's loss of a batch, with per-step metrics to record and log.
    steps
        Optimiser steps.
    learning_rate, weight_decay, head, head_learning_rate
        AdamW's peak learning rate and decoupled weight decay; parameters whose ``id`` is in
        ``head`` train at ``head_learning_rate`` (None: ``learning_rate``). See
        :func:`param_groups`.
    seed
        Seeds the batch order (torch's own generator, for dropout and initialisation, is the
        caller's to seed).
    order
        How each pass orders the batches (:class:`Order`).
    log
        Where progress goes (INFO, every 50 steps and at the end).
    warmup_steps
        Steps of linear warm-up before the linear decay (:func:`linear_schedule`).
    after_epoch
        Called with the number of steps taken after each pass (the last one partial when
        ``steps`` ends it), e.g. to score a development set; ``net`` is put back in train mode.
    autocast
        A ``torch.dtype`` (``torch.bfloat16``) for mixed precision: ``step_loss`` runs under
        :class:`torch.autocast` on ``net``'s device, so matrix products are computed in that
        type while the weights, their gradients and the optimiser state stay float32
        (Micikevicius et al., 2018, "Mixed Precision Training"). None: float32 throughout.

    Returns
    -------
    TrainingCurve
        Every step's loss (rounded to 6 decimals) and metrics.
    """
    import torch

    if not batches:  # no pass could ever reach ``steps``
        raise ValueError("train_loop: no batches to train on")
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        param_groups(
            params,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            head=head,
            head_learning_rate=head_learning_rate,
        ),
        lr=learning_rate,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(steps, warmup_steps))
    rng = random.Random(seed)
    chained = list(batches)
    curve = TrainingCurve([])
    device_type = params[0].device.type if params else "cpu"
    t0 = time.perf_counter()
    net.train()
    step = 0
    while step < steps:
        if order is Order.CHAINED:
            rng.shuffle(chained)
            epoch = chained
        else:
            epoch = list(batches)
            rng.shuffle(epoch)
        for batch in epoch[: steps - step]:
            with torch.autocast(device_type, dtype=autocast, enabled=autocast is not None):
                loss, metrics = step_loss(batch)
            opt.zero_grad()
            torch.autograd.backward(loss)
            torch.nn.utils.clip_grad_norm_(params, _CLIP_NORM)
            opt.step()
            sched.step()
            step += 1
            curve.losses.append(round(float(loss.item()), 6))
            for name, value in metrics.items():
                curve.metrics.setdefault(name, []).append(value)
            if step % _LOG_EVERY == 0 or step == steps:
                _log_progress(log, curve, step, steps, time.perf_counter() - t0)
        if after_epoch is not None:
            after_epoch(step)
            net.train()
    net.eval()
    return curve


def save_trained(net: Any, tokenizer: Any, info_file: Path, info: Mapping[str, Any]) -> None:
    """Save a trained model (moved to the CPU) and its tokenizer in ``info_file``'s folder, and
    ``info`` (how it was trained) as JSON in ``info_file``; the folder is created if needed."""
    out = info_file.parent
    out.mkdir(parents=True, exist_ok=True)
    net.to("cpu").save_pretrained(out)
    tokenizer.save_pretrained(out)
    info_file.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def _log_progress(
    log: logging.Logger, curve: TrainingCurve, step: int, steps: int, seconds: float
) -> None:
    """``step 50/600: loss 0.1234, targets 12.3 (means of the last 50), 4.5 s``."""
    n = min(_LOG_EVERY, len(curve.losses))
    means = [("loss", curve.losses[-n:])] + [(k, v[-n:]) for k, v in curve.metrics.items()]
    text = ", ".join(f"{name} {sum(v) / len(v):.4f}" for name, v in means)
    log.info("step %d/%d: %s (means of the last %d), %.1f s", step, steps, text, n, seconds)
