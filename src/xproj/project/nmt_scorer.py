"""Candidate scores from a translation model's likelihoods (NMTScore style).

A candidate target span is a good match for a source entity when a translation model finds the
candidate a likely translation of the entity, and the entity a likely translation of the
candidate. Following NMTScore's direct translation probability (Vamvas and Sennrich, 2022),
each likelihood is normalised by the likelihood of the string given itself, which removes how
probable the string is in general (short, frequent strings are likely whatever the input)::

    forward  = P(candidate | entity) / P(candidate | candidate)
    backward = P(entity | candidate) / P(entity | entity)
    score    = (forward + backward) / 2

``P(y | x)`` is the model's length-normalised probability of ``y`` as the translation of ``x``:
the geometric mean of the probabilities of ``y``'s tokens and the end-of-sentence token, with
the target-language token forced first (as in generation) and not counted. Translating ``x``
into its own language ("paraphrasing" it into itself) gives the normalising terms. Scores are
usually in [0, 1] (a string is rarely likelier as a translation of something else than of
itself); scores below ``threshold`` (0.1) are set to 0.

Likelihoods are computed with teacher forcing, batched and sorted by length, and cached per
(input, input language, output, output language); pair scores are cached per (entity,
candidate) string pair, so a string pair that occurs in many sentences is scored once.

The model is any NLLB-200 or M2M-100 style model, loaded through
:class:`~xproj.translate.nllb.NLLBTranslator` (its language-code map, device and dtype
handling); pass the translator used for translate-test to share one loaded model.

Examples
--------
With a model (e.g. ``facebook/nllb-200-distilled-600M``)::

    scorer = NMTScorer(translator=NLLBTranslator(model="facebook/nllb-200-distilled-600M"))
    projector = GreedyProjector(candidates=NgramCandidates(require_link=False), scorer=scorer)

Entity and candidate languages come from the sentences' ``lang`` (source sentences are the
labelled side, targets the side projected onto), or from ``src_lang``/``tgt_lang``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xproj._extras import import_extra
from xproj.errors import InputError
from xproj.params import InstanceOf, Interval, NoneOr
from xproj.project.candidates import CandidateBatch, FloatArray
from xproj.project.scorers import Scorer
from xproj.translate.nllb import NLLBTranslator

__all__ = ["NMTScorer", "nmt_score"]

_Key = tuple[str, str, str, str]  # (input text, input code, output text, output code)


def nmt_score(forward: float, backward: float, self_candidate: float, self_entity: float) -> float:
    """The score from the four length-normalised probabilities.

    ``forward`` is ``P(candidate | entity)``, ``backward`` ``P(entity | candidate)``,
    ``self_candidate`` ``P(candidate | candidate)`` and ``self_entity`` ``P(entity | entity)``.

    >>> nmt_score(0.4, 0.3, 0.8, 0.6)
    0.5
    """
    return 0.5 * (forward / self_candidate + backward / self_entity)


@dataclass(kw_only=True)
class NMTScorer(Scorer):
    """The translation-likelihood score of each (entity, candidate) pair (see the module).

    Parameters
    ----------
    translator
        The :class:`~xproj.translate.nllb.NLLBTranslator` whose model computes the
        likelihoods (its ``model``, ``device``, ``dtype`` and ``lang_codes`` apply; default:
        ``facebook/nllb-200-distilled-600M``). Passing the translate-test translator shares
        its loaded model.
    batch_size
        (input, output) pairs per forward pass.
    src_lang, tgt_lang
        The language of the entities and of the candidates; ``None`` takes each source and
        target sentence's ``lang``.
    threshold
        Scores below this are set to 0 (NMTScore's 0.1 in the thesis).

    Raises
    ------
    InputError
        At scoring time, if a sentence has no language and none is configured, or the model
        does not know a language (naming the sentence).
    """

    translator: NLLBTranslator = field(default_factory=NLLBTranslator)
    batch_size: int = 32
    src_lang: str | None = None
    tgt_lang: str | None = None
    threshold: float = 0.1
    _likelihoods: dict[_Key, float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _pairs: dict[_Key, float] = field(default_factory=dict, init=False, repr=False, compare=False)

    _constraints = {
        "translator": InstanceOf((NLLBTranslator,)),
        "batch_size": Interval(int, 1, None),
        "src_lang": NoneOr(InstanceOf((str,))),
        "tgt_lang": NoneOr(InstanceOf((str,))),
        "threshold": Interval(float, 0, None),
    }

    # -- likelihoods -----------------------------------------------------------------------

    def _code(self, lang: str, sentence: int) -> str:
        try:
            return self.translator.model_code(lang)
        except InputError as e:
            raise e.at(sentence=sentence) from None

    def likelihoods(self, items: Sequence[_Key]) -> list[float]:
        """Length-normalised ``P(output | input)`` for ``(input, input code, output, output
        code)`` tuples of model language codes (cached)."""
        todo = list(dict.fromkeys(k for k in items if k not in self._likelihoods))
        if todo:
            torch = import_extra("torch", "transformers", what="NMTScorer")
            by_src: dict[str, list[_Key]] = {}
            for k in todo:
                by_src.setdefault(k[1], []).append(k)
            for src_code, keys in by_src.items():
                self._forward_group(torch, src_code, keys)
        return [self._likelihoods[k] for k in items]

    def _forward_group(self, torch: Any, src_code: str, keys: list[_Key]) -> None:
        ld = self.translator.load()
        tok, model = ld.tokenizer, ld.model
        tok.src_lang = src_code
        enc = tok([k[0] for k in keys], add_special_tokens=True)["input_ids"]
        out = tok([k[2] for k in keys], add_special_tokens=False)["input_ids"]
        eos = int(tok.eos_token_id)
        start = model.config.decoder_start_token_id
        start = eos if start is None else int(start)
        pad = int(tok.pad_token_id)
        labels = [[self.translator.lang_token_id(k[3]), *o, eos] for k, o in zip(keys, out)]
        order = sorted(range(len(keys)), key=lambda i: -(len(enc[i]) + len(labels[i])))
        for lo in range(0, len(order), self.batch_size):
            chunk = order[lo : lo + self.batch_size]
            w_in = max(len(enc[i]) for i in chunk)
            w_out = max(len(labels[i]) for i in chunk)
            ids = torch.full((len(chunk), w_in), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), w_in), dtype=torch.long)
            dec = torch.full((len(chunk), w_out), pad, dtype=torch.long)
            tgt = torch.full((len(chunk), w_out), pad, dtype=torch.long)
            tmask = torch.zeros((len(chunk), w_out), dtype=torch.float32)
            for r, i in enumerate(chunk):
                x, y = enc[i], labels[i]
                ids[r, : len(x)] = torch.tensor(x)
                mask[r, : len(x)] = 1
                dec[r, : len(y)] = torch.tensor([start, *y[:-1]])
                tgt[r, : len(y)] = torch.tensor(y)
                tmask[r, 1 : len(y)] = 1.0  # the forced language token is not scored
            with torch.inference_mode():
                logits = model(
                    input_ids=ids.to(ld.device),
                    attention_mask=mask.to(ld.device),
                    decoder_input_ids=dec.to(ld.device),
                    decoder_attention_mask=(dec != pad).long().to(ld.device),
                ).logits.float()
                logp = torch.log_softmax(logits, dim=-1)
                tok_logp = logp.gather(-1, tgt.to(ld.device).unsqueeze(-1)).squeeze(-1).cpu()
            mean = (tok_logp * tmask).sum(1) / tmask.sum(1)
            for r, i in enumerate(chunk):
                self._likelihoods[keys[i]] = float(torch.exp(mean[r]))

    # -- scoring ---------------------------------------------------------------------------

    def _score(self, batch: CandidateBatch) -> FloatArray:
        if batch.n_pairs == 0:
            return np.zeros(0, dtype=np.float64)
        p = batch.problems
        sent = p.ent_sentence[batch.pair_entity].tolist()
        ent_text, cand_text = batch.pair_strings()
        code_of: dict[str, str] = {}
        per_sentence: dict[int, tuple[str, str]] = {}
        for k in sorted(set(sent)):
            langs = []
            for side, lang in (
                ("src", self.src_lang or p.sources[k].lang),
                ("tgt", self.tgt_lang or p.targets[k].lang),
            ):
                if lang is None:
                    which = "source" if side == "src" else "target"
                    raise InputError(
                        f"the {which} sentence has no language; set Sentence.lang or the "
                        f"scorer's {side}_lang",
                        sentence=k,
                    )
                if lang not in code_of:
                    code_of[lang] = self._code(lang, k)
                langs.append(code_of[lang])
            per_sentence[k] = (langs[0], langs[1])
        src_codes = [per_sentence[k][0] for k in sent]
        tgt_codes = [per_sentence[k][1] for k in sent]
        pair_keys = [(e, a, c, b) for e, a, c, b in zip(ent_text, src_codes, cand_text, tgt_codes)]
        todo = list(dict.fromkeys(k for k in pair_keys if k not in self._pairs))
        if todo:
            need: list[_Key] = []
            for e, a, c, b in todo:
                need += [(e, a, c, b), (c, b, e, a), (c, b, c, b), (e, a, e, a)]
            lik = dict(zip(need, self.likelihoods(need)))
            for e, a, c, b in todo:
                self._pairs[(e, a, c, b)] = nmt_score(
                    lik[(e, a, c, b)], lik[(c, b, e, a)], lik[(c, b, c, b)], lik[(e, a, e, a)]
                )
        return np.fromiter((self._pairs[k] for k in pair_keys), np.float64, len(pair_keys))
