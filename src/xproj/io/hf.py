"""Read and write Hugging Face ``datasets`` in the usual NER layout.

NER data on the Hugging Face hub (CoNLL-2003, WikiANN, MasakhaNER, ...) comes as a
:class:`datasets.Dataset` with a ``tokens`` column (a list of words per row) and a
``ner_tags`` column (a list of tag ids per row) whose feature is a list of
:class:`datasets.ClassLabel`, which holds the tag names (``["O", "B-PER", "I-PER", ...]``).
:func:`from_hf_dataset` turns such a dataset (or one whose tag column holds the tag names
themselves) into :class:`~xproj.types.LabelledSentence` objects, and :func:`to_hf_dataset`
builds one from labelled sentences or projections, e.g. to train a model on projected data
with the ``transformers`` examples.

Nothing is downloaded: these functions convert datasets already in memory or on disk. They
need the optional ``datasets`` package (``pip install "xproj[datasets]"``).

Examples
--------
>>> from xproj.types import LabelledSentence
>>> s = LabelledSentence.from_tags(["Anna", "in", "Oslo"], ["B-PER", "O", "B-LOC"])
>>> ds = to_hf_dataset([s])  # doctest: +SKIP
>>> ds.features["ner_tags"].feature.names  # doctest: +SKIP
['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
>>> from_hf_dataset(ds) == [s]  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xproj._extras import import_extra
from xproj.errors import InputError
from xproj.io.tags import LabelMap, Repair, TagScheme, map_labels, to_spans
from xproj.types import LabelledSentence, Projection

__all__ = ["from_hf_dataset", "iob2_label_names", "to_hf_dataset"]


def _tag_names(dataset: Any, column: str, label_names: Sequence[str] | None) -> list[str] | None:
    """The tag names of ``column``: given, from its ClassLabel feature, or None (strings)."""
    if label_names is not None:
        return list(label_names)
    features = getattr(dataset, "features", None)
    if not features or column not in features:
        return None
    inner = getattr(features[column], "feature", None)  # List / Sequence of ClassLabel
    names = getattr(inner, "names", None)
    return list(names) if names is not None else None


def from_hf_dataset(
    dataset: Any,
    *,
    tokens: str = "tokens",
    tags: str = "ner_tags",
    label_names: Sequence[str] | None = None,
    scheme: TagScheme | str = TagScheme.IOB2,
    repair: Repair | str = Repair.ERROR,
    lang: str | None = None,
    label_map: LabelMap | None = None,
) -> list[LabelledSentence]:
    """Labelled sentences from a Hugging Face dataset's token and tag columns.

    Parameters
    ----------
    dataset
        A :class:`datasets.Dataset` (one split: ``dataset_dict["train"]``), an
        ``IterableDataset``, or any iterable of rows (mappings) with the two columns.
    tokens, tags
        The column names (default ``tokens`` and ``ner_tags``).
    label_names
        The tag name of each tag id. Default: the names of the tag column's ``ClassLabel``
        feature; needed only when the column holds ids without one. A column of tag strings
        needs none.
    scheme, repair
        The tag scheme of the data and what to do with sequences that break it, as in
        :func:`xproj.io.conll.read_conll`.
    lang
        The language code stored on each sentence.
    label_map
        Optional entity-type mapping applied on reading, e.g. ``{"MISC": "O"}``.

    Returns
    -------
    list of LabelledSentence
        One per row, in order (a row without tokens gives an empty sentence).

    Raises
    ------
    InputError
        Naming the row, for a missing column, a tag id without a name, rows whose token and
        tag counts differ, or tags that break the scheme.
    """
    if hasattr(dataset, "keys") and hasattr(dataset, "values") and not hasattr(dataset, "features"):
        splits = ", ".join(repr(k) for k in dataset)
        raise InputError(
            f"got a DatasetDict with the splits {splits}; pass one split, e.g. dataset['train']"
        )
    names = _tag_names(dataset, tags, label_names)
    sch = TagScheme.parse(scheme)
    rep = Repair.parse(repair)
    out: list[LabelledSentence] = []
    for k, row in enumerate(dataset):
        if not isinstance(row, Mapping) or tokens not in row or tags not in row:
            have = sorted(row) if isinstance(row, Mapping) else type(row).__name__
            raise InputError(
                f"row has no {tokens!r} and {tags!r} columns (it has {have}); pass tokens= and "
                "tags= with the dataset's column names",
                sentence=k,
            )
        words, ids = list(row[tokens]), list(row[tags])
        if len(words) != len(ids):
            raise InputError(f"{len(words)} tokens but {len(ids)} tags", sentence=k)
        tag_strings = [_tag_name(t, names, k) for t in ids]
        try:
            spans = to_spans(tag_strings, sch, rep)
            if label_map is not None:
                spans = map_labels(spans, label_map)
            out.append(LabelledSentence(tuple(words), spans, lang))
        except InputError as e:
            raise e.at(sentence=k) from None
    return out


def _tag_name(tag: Any, names: list[str] | None, k: int) -> str:
    if isinstance(tag, str):
        return tag
    if isinstance(tag, int) and not isinstance(tag, bool):
        if names is None:
            raise InputError(
                f"tag id {tag} but the tag column has no ClassLabel feature naming the ids; pass "
                "label_names= (the tag of each id, in order)",
                sentence=k,
            )
        if not 0 <= tag < len(names):
            raise InputError(f"tag id {tag} outside the {len(names)} tag names {names}", sentence=k)
        return names[tag]
    raise InputError(f"tag {tag!r} is neither a tag name nor a tag id", sentence=k)


def iob2_label_names(sentences: Iterable[LabelledSentence | Projection]) -> list[str]:
    """``O``, then ``B-`` and ``I-`` of every entity type in ``sentences``, types sorted.

    >>> from xproj.types import LabelledSentence
    >>> iob2_label_names([LabelledSentence.from_tags(["Oslo", "Anna"], ["B-LOC", "B-PER"])])
    ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
    """
    types = sorted(
        {
            span.label
            for item in sentences
            for span in (item.target if isinstance(item, Projection) else item).spans
        }
    )
    return ["O", *(f"{p}-{t}" for t in types for p in ("B", "I"))]


def to_hf_dataset(
    sentences: Sequence[LabelledSentence | Projection],
    *,
    label_names: Sequence[str] | None = None,
    tokens: str = "tokens",
    tags: str = "ner_tags",
) -> Any:
    """A :class:`datasets.Dataset` with a token column and an IOB2 tag-id column.

    Parameters
    ----------
    sentences
        Labelled sentences, or projections (their ``target`` is written). Empty sentences
        are kept as rows without tokens, so rows stay parallel to the input.
    label_names
        The tag names, in id order, e.g. those of the dataset a model was trained on.
        Default: :func:`iob2_label_names` of ``sentences``.
    tokens, tags
        The column names.

    Returns
    -------
    datasets.Dataset
        Columns ``tokens`` (list of strings) and ``ner_tags`` (list of ``ClassLabel`` ids).

    Raises
    ------
    InputError
        Naming the sentence, for an item that is not a labelled sentence or projection, or a
        tag missing from ``label_names``.
    """
    ds = import_extra("datasets", "datasets", what="xproj.io.hf.to_hf_dataset")
    rows = []
    for k, item in enumerate(sentences):
        s = item.target if isinstance(item, Projection) else item
        if not isinstance(s, LabelledSentence):
            raise InputError(
                f"item is a {type(item).__name__}, not a LabelledSentence or Projection",
                sentence=k,
            )
        rows.append(s)
    names = list(label_names) if label_names is not None else iob2_label_names(rows)
    ids = {name: i for i, name in enumerate(names)}
    all_ids: list[list[int]] = []
    for k, s in enumerate(rows):
        missing = sorted({t for t in s.tags if t not in ids})
        if missing:
            raise InputError(
                f"tags {missing} are not among label_names {names}; add them, or map their "
                "types away first (xproj.io.tags.map_labels)",
                sentence=k,
            )
        all_ids.append([ids[t] for t in s.tags])
    features = ds.Features(
        {
            tokens: ds.Sequence(ds.Value("string")),
            tags: ds.Sequence(ds.ClassLabel(names=names)),
        }
    )
    return ds.Dataset.from_dict(
        {tokens: [list(s.words) for s in rows], tags: all_ids}, features=features
    )
