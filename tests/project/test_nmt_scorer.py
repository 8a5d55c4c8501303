"""NMTScorer on a tiny NLLB-style model built locally (the translator tests' builder)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xproj import Alignment, LabelledSentence, ParameterError, Sentence, Span
from xproj.errors import InputError
from xproj.project.candidates import CandidateBatch, NgramCandidates, ProblemBatch
from xproj.project.greedy import GreedyProjector
from xproj.project.nmt_scorer import NMTScorer, nmt_score
from xproj.translate.nllb import NLLBTranslator


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from _tiny_nllb import build_tiny_nllb

    return Path(build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb-scorer")))


def _scorer(path: Path, **kw: Any) -> NMTScorer:
    return NMTScorer(translator=NLLBTranslator(model=str(path), device="cpu"), **kw)


def _reference_likelihood(tr: NLLBTranslator, x: str, x_code: str, y: str, y_code: str) -> float:
    """P(y | x) token by token, one decoder call per step, no padding (independent of batching)."""
    import torch

    ld = tr.load()
    tok, model = ld.tokenizer, ld.model
    tok.src_lang = x_code
    enc = torch.tensor([tok(x, add_special_tokens=True)["input_ids"]])
    ys = [int(tok.convert_tokens_to_ids(y_code))]
    ys += tok(y, add_special_tokens=False)["input_ids"] + [int(tok.eos_token_id)]
    prefix = [int(model.config.decoder_start_token_id)]
    total = 0.0
    with torch.inference_mode():
        for step, t in enumerate(ys):
            logits = model(input_ids=enc, decoder_input_ids=torch.tensor([prefix])).logits
            if step > 0:  # the forced language token is not scored
                total += float(torch.log_softmax(logits[0, -1].float(), -1)[t])
            prefix.append(t)
    return math.exp(total / (len(ys) - 1))


def test_nmt_score_formula() -> None:
    assert nmt_score(0.4, 0.3, 0.8, 0.6) == pytest.approx(0.5)
    assert nmt_score(0.2, 0.2, 0.2, 0.2) == pytest.approx(1.0)


def test_likelihoods_match_a_step_by_step_computation_under_batching(tiny_nllb: Path) -> None:
    items = [
        ("Angela Merkel", "eng_Latn", "La casa", "spa_Latn"),
        ("Paris", "eng_Latn", "Madrid es grande", "spa_Latn"),
        ("El señor de Palacio vive", "spa_Latn", "Merkel", "eng_Latn"),
        ("la Comisión", "spa_Latn", "la Comisión", "spa_Latn"),
    ]
    one = _scorer(tiny_nllb, batch_size=1)
    many = _scorer(tiny_nllb, batch_size=8)
    got_one = one.likelihoods(items)
    got_many = many.likelihoods(items)
    ref = [_reference_likelihood(one.translator, *it) for it in items]
    assert got_one == pytest.approx(ref, rel=1e-4)
    assert got_many == pytest.approx(ref, rel=1e-4)
    assert all(0 < x < 1 for x in ref)


def _batch(src: LabelledSentence, tgt: Sentence) -> CandidateBatch:
    ali = Alignment(len(src), len(tgt), ())
    problems = ProblemBatch.build([src], [tgt], [ali])
    return CandidateBatch.build(problems, NgramCandidates(require_link=False).extract(problems))


def test_pair_scores_follow_the_formula_and_an_identical_string_scores_one(
    tiny_nllb: Path,
) -> None:
    src = LabelledSentence(("vive", "en", "Madrid"), (Span(2, 3, "LOC"),), "es")
    tgt = Sentence(("Madrid", "es", "grande"), "es")
    scorer = _scorer(tiny_nllb, threshold=0.0)
    batch = _batch(src, tgt)
    scores = scorer.score(batch)
    ents, cands = batch.pair_strings()
    assert len(scores) == batch.n_pairs == 6
    code = "spa_Latn"
    for s, e, c in zip(scores.tolist(), ents, cands):
        lik = scorer.likelihoods([(e, code, c, code), (c, code, e, code), (c, code, c, code)])
        lee = scorer.likelihoods([(e, code, e, code)])[0]
        assert s == pytest.approx(0.5 * (lik[0] / lik[2] + lik[1] / lee), rel=1e-6)
    # "Madrid" against the candidate "Madrid", both Spanish: each ratio is exactly 1
    assert scores[cands.index("Madrid")] == pytest.approx(1.0, rel=1e-6)


def test_languages_come_from_the_sentences_and_threshold_zeroes_low_scores(
    tiny_nllb: Path,
) -> None:
    src = LabelledSentence(("Angela", "Merkel", "visited", "Paris"), (Span(0, 2, "PER"),), "en")
    tgt = Sentence(("La", "casa", "es", "grande"), "es")
    batch = _batch(src, tgt)
    raw = _scorer(tiny_nllb, threshold=0.0).score(batch)
    cut = _scorer(tiny_nllb, threshold=float(np.median(raw))).score(batch)
    assert np.all(raw > 0)
    assert np.array_equal(cut, np.where(raw < np.median(raw), 0.0, raw))
    # the configured languages override the sentences'
    forced = _scorer(tiny_nllb, threshold=0.0, src_lang="es", tgt_lang="es").score(batch)
    assert not np.allclose(forced, raw)


def test_scores_are_cached_per_string_pair(
    tiny_nllb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = LabelledSentence(("vive", "en", "Madrid"), (Span(2, 3, "LOC"),), "es")
    tgt = Sentence(("Madrid", "es", "grande"), "en")
    scorer = _scorer(tiny_nllb)
    first = scorer.score(_batch(src, tgt))
    calls: list[Any] = []
    original = scorer._forward_group

    def counting(*args: Any) -> None:
        calls.append(args)
        original(*args)

    monkeypatch.setattr(scorer, "_forward_group", counting)
    again = scorer.score(_batch(src, tgt))
    assert calls == []
    assert np.array_equal(first, again)


def test_greedy_projector_with_the_nmt_scorer_projects_every_sentence(tiny_nllb: Path) -> None:
    sources = [
        LabelledSentence(("vive", "en", "Madrid"), (Span(2, 3, "LOC"),), "es"),
        LabelledSentence(("nada",), (), "es"),
    ]
    targets = [Sentence(("Madrid", "es", "grande"), "es"), Sentence(("nothing",), "en")]
    aligns = [Alignment(3, 3, ()), Alignment(1, 1, ())]
    scorer = _scorer(tiny_nllb)
    projector = GreedyProjector(candidates=NgramCandidates(require_link=False), scorer=scorer)
    proj = projector.project(sources, targets, aligns)
    assert len(proj) == 2
    m = projector.match(sources, targets, aligns)
    matrix = m.batch.split(m.scores)[0]
    best = m.batch.candidates.spans(0)[int(np.argmax(matrix[0]))]
    assert matrix.max() > 0
    assert [(p.start, p.end) for p in proj[0].projected] == [best]
    assert proj[0].projected[0].score == pytest.approx(matrix.max())
    assert proj[1].n_source == 0 and proj[1].target.words == ("nothing",)


def test_errors_name_the_sentence(tiny_nllb: Path) -> None:
    src = LabelledSentence(("vive", "en", "Madrid"), (Span(2, 3, "LOC"),), None)
    tgt = Sentence(("Madrid",), "es")
    with pytest.raises(InputError, match=r"sentence 0: the source sentence has no language"):
        _scorer(tiny_nllb).score(_batch(src, tgt))
    src = LabelledSentence(("vive", "en", "Madrid"), (Span(2, 3, "LOC"),), "es")
    with pytest.raises(InputError, match=r"sentence 0:.*'xx'"):
        _scorer(tiny_nllb, tgt_lang="xx").score(_batch(src, tgt))


def test_parameters_are_checked() -> None:
    with pytest.raises(ParameterError, match="'batch_size' parameter of NMTScorer"):
        NMTScorer(batch_size=0)
    with pytest.raises(ParameterError, match="'translator' parameter of NMTScorer"):
        NMTScorer(translator="facebook/nllb-200-distilled-600M")  # type: ignore[arg-type]
    s = NMTScorer()
    assert s.get_params()["translator__model"] == "facebook/nllb-200-distilled-600M"
    assert s.threshold == 0.1
