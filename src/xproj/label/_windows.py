"""Training windows of :func:`xproj.label.train.train_labeller`: labelled sentences as subword
id sequences with a tag on each word's first subword, split at word boundaries to fit the
encoder, capped in how many are entity-free, and padded into batches."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xproj._hf import pad_batch, plan_windows
from xproj.types import LabelledSentence

__all__ = ["IGNORE", "Window", "batch_tensors", "build_windows", "cap_entity_free"]

IGNORE = -100  # the label of subwords that take no part in the loss


@dataclass(frozen=True)
class Window:
    """One training example: a sentence, or a part of a long one, as the encoder reads it."""

    ids: list[int]  # subword ids, special tokens excluded
    labels: list[int]  # tag id on each word's first subword, IGNORE elsewhere


def cap_entity_free(
    windows: list[Window], max_share: float | None, seed: int
) -> tuple[list[Window], int]:
    """Leave out entity-free windows (a seeded sample) so they are at most ``max_share``."""
    if max_share is None:
        return windows, 0
    free = [i for i, w in enumerate(windows) if all(x in (IGNORE, 0) for x in w.labels)]
    n_ent = len(windows) - len(free)
    keep = len(free) if max_share >= 1 else min(len(free), int(max_share * n_ent / (1 - max_share)))
    dropped = set(random.Random(seed).sample(free, len(free) - keep))
    return [w for i, w in enumerate(windows) if i not in dropped], len(dropped)


def build_windows(
    tokenizer: Any, sentences: Sequence[LabelledSentence], tags: tuple[str, ...], budget: int
) -> tuple[list[Window], int, int]:
    """Training windows, the number of sentences split, and the number of empty ones."""
    tag_id = {t: i for i, t in enumerate(tags)}
    nonempty = [k for k, s in enumerate(sentences) if len(s.words) > 0]
    enc = tokenizer(
        [list(sentences[k].words) for k in nonempty],
        is_split_into_words=True,
        add_special_tokens=False,
        verbose=False,  # long sentences are split into windows below
    )
    windows: list[Window] = []
    n_split = 0
    for row, k in enumerate(nonempty):
        s = sentences[k]
        ids = [int(i) for i in enc["input_ids"][row]]
        word_ids = enc.word_ids(row)
        counts = [0] * len(s.words)
        for w in word_ids:
            if w is not None:
                counts[w] += 1
        labels = [IGNORE] * len(ids)
        seen: set[int] = set()
        word_tags = s.tags
        for j, w in enumerate(word_ids):
            if w is not None and w not in seen:
                seen.add(w)
                labels[j] = tag_id[word_tags[w]]
        plan = plan_windows([max(c, 1) for c in counts], budget, 0, sentence=k)
        if len(plan) > 1:
            n_split += 1
        # subword offsets of each word, to cut the subword sequence at word boundaries
        starts = [0] * (len(s.words) + 1)
        for w, c in enumerate(counts):
            starts[w + 1] = starts[w] + c
        for a, b in plan:
            lo, hi = starts[a], starts[b]
            if hi > lo:
                window_labels = labels[lo:hi]
                first = next((i for i, x in enumerate(window_labels) if x != IGNORE), None)
                if first is not None and tags[window_labels[first]].startswith("I-"):
                    # a window that starts inside an entity starts that entity
                    window_labels[first] = tag_id["B-" + tags[window_labels[first]][2:]]
                windows.append(Window(ids[lo:hi], window_labels))
    return windows, n_split, len(sentences) - len(nonempty)


def batch_tensors(
    rows: Sequence[Window], affixes: tuple[list[int], list[int], int]
) -> tuple[Any, Any, Any]:
    """Padded input ids, attention mask and labels (``IGNORE`` on specials and padding)."""
    import torch

    prefix, suffix, pad_id = affixes
    ids, att = pad_batch([[*prefix, *r.ids, *suffix] for r in rows], pad_id)
    lab = torch.full(ids.shape, IGNORE, dtype=torch.long)
    for b, r in enumerate(rows):
        lab[b, len(prefix) : len(prefix) + len(r.ids)] = torch.tensor(r.labels, dtype=torch.long)
    return ids, att, lab
