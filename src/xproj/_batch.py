"""Checks shared by every stage's batch entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xproj.errors import InputError

__all__ = ["check_same_length"]


def check_same_length(**batches: Sequence[Any]) -> int:
    """Return the common length of the given batches, or raise naming the mismatch.

    >>> check_same_length(sources=[1, 2], targets=[3, 4])
    2
    >>> check_same_length(sources=[1, 2], targets=[3])
    Traceback (most recent call last):
    ...
    xproj.errors.InputError: sources has 2 items but targets has 1; give one per sentence
    """
    items = list(batches.items())
    name0, first = items[0]
    for name, batch in items[1:]:
        if len(batch) != len(first):
            raise InputError(
                f"{name0} has {len(first)} items but {name} has {len(batch)}; give one per sentence"
            )
    return len(first)
