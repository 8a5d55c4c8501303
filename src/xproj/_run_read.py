"""Reading a run's data: the first step of ``xproj run``.

:func:`_load_dataset` reads what a dataset's files give (the flow's columns, alignments, gold
and held-out gold), checks that parallel files have one entry per sentence (naming the file
when not) and chooses the sentences used (``drop_heldout``, ``sample``, ``limit``);
:func:`_read_mix` reads the extra training files of a ``train`` step, :func:`_read_unlabelled`
the unlabelled sentences of ``selftrain`` steps. :mod:`xproj.run` runs
the executor on what they read and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xproj.config import ConllFile, DatasetConfig, RunConfig, TextFile, UnlabelledFile
from xproj.errors import ConfigError, InputError
from xproj.executor import DatasetState, alignments_from_links
from xproj.types import LabelledSentence, Sentence

__all__ = ["read_sentences"]


def read_sentences(ref: TextFile, path: Path, lang: str | None) -> list[Sentence]:
    """Read the sentences of a :class:`~xproj.config.TextFile` (text, raw or a CoNLL format)."""
    if ref.format in ("text", "raw"):
        from xproj.io.parallel import read_text
        from xproj.text import split_whitespace, split_words

        splitter = split_whitespace if ref.format == "text" else split_words
        return read_text(path, lang=lang, splitter=splitter)
    from xproj.io.conll import read_conll

    return [Sentence(s.words, lang) for s in read_conll(path, format=ref.format, lang=lang)]


def _read_labelled(ref: ConllFile, path: Path, lang: str | None) -> list[LabelledSentence]:
    from xproj.io.conll import read_conll

    return read_conll(path, format=ref.format, scheme=ref.scheme, repair=ref.repair, lang=lang)


def _same_count(
    n: int, what: str, path: Path, m: int, other: str, conll: Sequence[Path] = ()
) -> None:
    if n != m:
        from xproj.io.conll import count_mismatch_note

        raise InputError(
            f"has {n} sentences but {other} has {m}; {what} must have one entry per sentence, "
            f"in the same order{count_mismatch_note(*conll)}",
            path=path,
        )


def _gold_for_targets(
    gold: list[LabelledSentence], targets: Sequence[Sentence], lang: str
) -> list[LabelledSentence]:
    """The gold with an empty sentence for each empty target, where that makes the counts agree.

    A CoNLL file cannot hold an empty sentence (a blank line only separates sentences), so the
    gold of a dataset whose target side has empty lines (an empty translation) holds one
    sentence per non-empty target. Empty entries are put back at the empty targets' positions,
    so that gold and targets pair up again; any other count is left for the caller to reject.
    """
    n_empty = sum(1 for t in targets if not t.words)
    if n_empty == 0 or len(gold) != len(targets) - n_empty:
        return gold
    given = iter(gold)
    return [next(given) if t.words else LabelledSentence((), (), lang) for t in targets]


def _load_dataset(
    cfg: RunConfig, d: DatasetConfig
) -> tuple[DatasetState, list[LabelledSentence] | None]:
    """Read what a dataset's files give: the flow's columns (checked to have one entry per
    sentence) and the gold labels, part by part (a file field may list several files), then
    choose the sentences used (:func:`_select`: ``drop_heldout``, ``sample``, ``limit``)."""
    flow = cfg.flow_def
    heldout = {
        split: _read_labelled(ref, cfg.resolve(ref.path), d.lang)[: ref.limit]
        for split, ref in d.heldout.items()
    }
    full: dict[str, list[Any]] = {}
    links: list[Any] = []
    lines: list[tuple[Path, int]] = []  # each alignment's file and line, for its errors
    sizes: list[int] = []  # sentences per part
    gold_all: list[LabelledSentence] | None = [] if d.gold is not None else None
    for k in range(d.parts):
        part, part_links, part_gold = _read_part(cfg, d, k)
        sizes.append(len(part[flow.entry]))
        for col, got in part.items():
            full.setdefault(col, []).extend(got)
        if part_links is not None:
            links += part_links[1]
            lines += [(part_links[0], line + 1) for line in range(len(part_links[1]))]
        if gold_all is not None and part_gold is not None:
            gold_all += part_gold
    indices, counts = _select(d, flow, full, heldout)
    origins = [(k, i) for k, n in enumerate(sizes) for i in range(n)]
    columns: dict[str, Any] = {col: [got[i] for i in indices] for col, got in full.items()}
    if d.alignments is not None:
        src, tgt = flow.steps[-1].reads[:2]
        chosen = [links[i] for i in indices]
        where = [lines[i] for i in indices]
        columns["alignments"] = alignments_from_links(None, chosen, src, tgt, origins=where)
    gold = None if gold_all is None else [gold_all[i] for i in indices]
    given = frozenset(c for c in flow.columns if getattr(d, c) is not None)
    state = DatasetState(d.name, d.lang, columns, given, src_lang=d.src_lang or "")
    state.heldout.update(heldout)
    if d.unlabelled is not None:
        state.unlabelled, state.reports["read unlabelled"] = _read_unlabelled(
            d.unlabelled, cfg.resolve(d.unlabelled.path), d.lang, heldout
        )
    if counts:
        state.reports["read"] = counts
        state.origins = [origins[i] for i in indices]
    return state, gold


def _read_part(
    cfg: RunConfig, d: DatasetConfig, k: int
) -> tuple[dict[str, list[Any]], tuple[Path, list[Any]] | None, list[LabelledSentence] | None]:
    """The columns, alignment links (with their file) and gold of file k of each of the
    dataset's file fields, each checked to have one entry per sentence of the entry file."""
    flow = cfg.flow_def
    src_lang = d.src_lang or cfg.src_lang
    entry_ref = d.files(flow.entry)[k]
    entry_path = cfg.resolve(entry_ref.path)
    if flow.entry == "source":
        entry: list[Any] = _read_labelled(entry_ref, entry_path, src_lang)
        what = f"the source {entry_path}"
    elif flow.entry == "source_text":
        entry = read_sentences(entry_ref, entry_path, src_lang)
        what = f"the source text {entry_path}"
    else:
        entry = read_sentences(entry_ref, entry_path, d.lang)
        what = f"the input {entry_path}"
    n_full = len(entry)
    full: dict[str, list[Any]] = {flow.entry: entry}
    # translations are in the dataset's language when the entry is the source side
    tr_lang = d.lang if flow.entry != "input" else src_lang
    for col in flow.columns[1:]:
        if getattr(d, col) is None or col == "alignments":
            continue
        ref = d.files(col)[k]
        path = cfg.resolve(ref.path)
        if col == "labels":
            got: list[Any] = _read_labelled(ref, path, src_lang)
            conll = [path]
        else:
            got = read_sentences(ref, path, tr_lang)
            conll = [entry_path] if flow.entry == "source" else []
        _same_count(len(got), col, path, n_full, what, conll=conll)
        full[col] = got
    links = None
    if d.alignments is not None:
        from xproj.io.pharaoh import read_pharaoh_links

        aref = d.files("alignments")[k]
        ap = cfg.resolve(aref.path)
        got_links = read_pharaoh_links(ap, one_based=aref.one_based)
        _same_count(len(got_links), "the alignment file", ap, n_full, "the dataset")
        links = (ap, list(got_links))
    gold = None
    if d.gold is not None:
        gref = d.files("gold")[k]
        gp = cfg.resolve(gref.path)
        gold = _read_labelled(gref, gp, d.lang)
        targets = full.get(flow.steps[-1].reads[1])  # the side projected onto, when given
        if targets is not None:
            gold = _gold_for_targets(gold, targets, d.lang)
        _same_count(len(gold), "gold", gp, n_full, "the dataset", conll=[gp])
    return full, links, gold


def _select(
    d: DatasetConfig,
    flow: Any,
    full: dict[str, list[Any]],
    heldout: dict[str, list[LabelledSentence]],
) -> tuple[list[int], dict[str, int]]:
    """The indices of the sentences a dataset uses, and how many each choice left out.

    In order: ``drop_heldout`` leaves out the sentences whose side projected onto occurs in
    the held-out gold (:func:`xproj.executor.match_key`); ``sample`` draws that many of the
    rest (``random.Random(seed).shuffle`` of their indices, the first ``sample`` taken, kept in
    file order); ``limit`` keeps the first ``limit``. The counts (only when one of
    ``drop_heldout``, ``sample`` or several files is set, so other runs report as before) add
    up: ``sentences`` = ``heldout_dropped`` + ``not_sampled`` + ``beyond_limit`` + ``used``.
    """
    from xproj.executor import match_key

    n = len(full[flow.entry])
    indices = list(range(n))
    counts: dict[str, int] = {"sentences": n}
    if d.drop_heldout:
        keys = {match_key(s.words) for split in heldout.values() for s in split}
        side = full[flow.steps[-1].reads[1]]  # given: flows.check_datasets checks it
        indices = [i for i in indices if match_key(side[i].words) not in keys]
        counts["heldout_dropped"] = n - len(indices)
    if d.sample is not None:
        before = len(indices)
        indices = _draw(indices, d.sample, d.seed)
        counts["not_sampled"] = before - len(indices)
    if d.limit is not None:
        counts["beyond_limit"] = max(0, len(indices) - d.limit)
        indices = indices[: d.limit]
    counts["used"] = len(indices)
    if not (d.drop_heldout or d.sample is not None or d.parts > 1):
        return indices, {}
    return indices, counts


def _draw(indices: list[int], sample: int | None, seed: int) -> list[int]:
    """``sample`` of the ascending ``indices`` drawn at random, in ascending order
    (``random.Random(seed).shuffle``, the first ``sample`` taken); all when there are fewer or
    ``sample`` is None."""
    import random

    if sample is None or sample >= len(indices):
        return indices
    order = list(indices)
    random.Random(seed).shuffle(order)
    return sorted(order[:sample])


def _read_unlabelled(
    ref: UnlabelledFile, path: Path, lang: str, heldout: dict[str, list[LabelledSentence]]
) -> tuple[list[Sentence], dict[str, int]]:
    """A dataset's unlabelled sentences: those that occur in its held-out gold
    (:func:`xproj.executor.match_key`) and empty ones left out, then ``sample`` drawn as a
    dataset's sentences are (kept in file order). The counts add up: ``sentences`` =
    ``heldout_dropped`` + ``empty_dropped`` + ``not_sampled`` + ``used``."""
    from xproj.executor import match_key

    if ref.format in ("text", "raw"):
        got = read_sentences(ref, path, lang)
    else:
        from xproj.io.conll import read_conll

        # only the words are read: tags that break the scheme are no error here (repaired,
        # then dropped with the rest of the labels)
        read = read_conll(
            path, format=ref.format, lang=lang, repair="fix", empty_tokens=ref.empty_tokens
        )
        got = [Sentence(s.words, lang) for s in read]
    keys = {match_key(s.words) for split in heldout.values() for s in split}
    fresh = [s for s in got if match_key(s.words) not in keys]
    kept = [s for s in fresh if s.words]
    chosen = [kept[i] for i in _draw(list(range(len(kept))), ref.sample, ref.seed)]
    counts = {
        "sentences": len(got),
        "heldout_dropped": len(got) - len(fresh),
        "empty_dropped": len(fresh) - len(kept),
        "not_sampled": len(kept) - len(chosen),
        "used": len(chosen),
    }
    return chosen, counts


def _read_mix(cfg: RunConfig, i: int, k: int) -> list[LabelledSentence]:
    """The sentences of train step ``steps[i]``'s ``mix[k]`` file: types renamed (``"O"``:
    removed), sampled with its seed, empty sentences left out.

    Raises
    ------
    ConfigError
        The step's ``params.types`` is set and a sentence of the file (after its
        ``label_map``) has another type: training would stop on it, after the flow's stages.
    """
    import random

    from xproj.io.conll import read_conll

    step = cfg.steps[i]
    ref = step.mix[k]
    path = cfg.resolve(ref.path)
    label_map = {a: (None if b == "O" else b) for a, b in ref.label_map.items()} or None
    got = read_conll(
        path, format=ref.format, scheme=ref.scheme, repair=ref.repair, label_map=label_map
    )
    sentences = [s for s in got if s.words]
    if ref.sample is not None and ref.sample < len(sentences):
        chosen = sorted(random.Random(ref.seed).sample(range(len(sentences)), ref.sample))
        sentences = [sentences[j] for j in chosen]
    types = step.params.get("types")
    if types is not None:
        found = {sp.label for s in got for sp in s.spans}
        alien = sorted(found - set(types))
        if alien:
            removes = ", ".join(f'{t} = "O"' for t in alien)
            raise ConfigError(
                f"steps[{i}].mix[{k}] ({path}): has entity type(s) {', '.join(alien)}, not "
                f"among the step's types ({', '.join(types)}); map them in the mix entry's "
                f"label_map (label_map = {{ {removes} }} removes them) or add them to "
                "params.types"
            )
    return sentences
