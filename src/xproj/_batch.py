"""Checks shared by every stage's batch entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xproj.errors import InputError

__all__ = ["check_items", "check_same_length"]


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
    for name, batch in items:
        if isinstance(batch, str):
            raise InputError(
                f"{name} is the string {_clip(batch)}, not a list with one item per sentence; "
                "give a list of sentences (e.g. [Sentence(text.split(), lang=...)])"
            )
    name0, first = items[0]
    for name, batch in items[1:]:
        if len(batch) != len(first):
            raise InputError(
                f"{name0} has {len(first)} items but {name} has {len(batch)}; give one per sentence"
            )
    return len(first)


def check_items(name: str, batch: Sequence[Any], kind: type | tuple[type, ...]) -> None:
    """Raise :class:`InputError` naming the first item of ``batch`` that is not a ``kind``.

    Stages take lists of typed objects (:class:`~xproj.types.Sentence`, ...); a string or a
    word list in their place would otherwise fail deep inside a backend with an
    ``AttributeError``.

    >>> from xproj.types import Sentence
    >>> check_items("targets", [Sentence(["Haus"]), "das Haus"], Sentence)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xproj.errors.InputError: sentence 1: targets item is a str ('das Haus'), not a Sentence; ...
    """
    check_same_length(**{name: batch})
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k, item in enumerate(batch):
        if not isinstance(item, kinds):
            wanted = " or ".join(t.__name__ for t in kinds)
            hint = ""
            if isinstance(item, str):
                hint = f"; build it from its words: {kinds[0].__name__}({item.split()!r}, lang=...)"
            elif isinstance(item, (list, tuple)):
                hint = f"; build it from its words: {kinds[0].__name__}(words, lang=...)"
            raise InputError(
                f"{name} item is a {type(item).__name__} ({_clip(item)}), not a {wanted}{hint}",
                sentence=k,
            )


def _clip(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
