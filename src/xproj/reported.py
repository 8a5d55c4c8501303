"""A component's output together with its report: what it did, returned rather than stored.

Backends that have something to say about a call (a translator's count of sentences split for
length, a labeller's span normalisation counts, a solver's statistics, back-translation's
marker counts) return a :class:`Reported` from their ``_translate`` / ``_label`` /
``_project`` / ``refine``. The stage's public ``translate_reported`` (``label_reported``,
``project_reported``) hands it on; the plain ``translate`` returns just the items. Runners
carry the report of each chunk with its output (and cache it with it), and the executor merges
the chunks' reports (:func:`merge_reports`) into one report per step and dataset, written to
``summary.json`` and the run report.

Examples
--------
>>> merge_reports({"sentences": 2, "solver": {"cbc": 1}}, {"sentences": 3, "solver": {"cbc": 0}})
{'sentences': 5, 'solver': {'cbc': 1}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Reported", "merge_reports"]

T = TypeVar("T")


@dataclass(frozen=True)
class Reported(Generic[T]):
    """Items (one per input, in order) with a report on the call that made them.

    Attributes
    ----------
    items
        The outputs.
    report
        JSON-ready counts and statistics, merged across batches and chunks by
        :func:`merge_reports` (numbers add up, tables merge).
    per_item
        Per-input details too large for a summary (a translator's raw texts, back-translations),
        each a list with one entry per input; concatenated across batches.
    """

    items: list[T]
    report: dict[str, Any] = field(default_factory=dict)
    per_item: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, out: list[T] | Reported[T]) -> Reported[T]:
        """``out`` as a :class:`Reported` (a plain list gets an empty report)."""
        return out if isinstance(out, Reported) else cls(list(out))

    def __len__(self) -> int:
        return len(self.items)


def merge_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Combine the reports of two batches: numbers add up, tables merge, lists concatenate;
    other values are kept when equal, else collected into a list of the distinct values."""
    out = dict(a)
    for k, v in b.items():
        if k not in out:
            out[k] = v
            continue
        old = out[k]
        if isinstance(old, bool) or isinstance(v, bool):
            out[k] = old or v
        elif isinstance(old, (int, float)) and isinstance(v, (int, float)):
            out[k] = old + v
        elif isinstance(old, Mapping) and isinstance(v, Mapping):
            out[k] = merge_reports(old, v)
        elif isinstance(old, list) and isinstance(v, list):
            out[k] = old + v
        elif old != v:
            out[k] = [old, v]
    return out
