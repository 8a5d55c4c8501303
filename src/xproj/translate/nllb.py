"""The NLLB translator: any NLLB-200 or M2M-100 style sequence-to-sequence model.

This module imports ``torch`` and ``transformers`` inside the functions that need them. The model
is loaded on first use with ``AutoModelForSeq2SeqLM`` and ``AutoTokenizer``; the source language
is set on the tokenizer (``tokenizer.src_lang``) and the target language is forced as the first
generated token (``forced_bos_token_id``), as NLLB and M2M-100 were trained.

Language codes: sentences carry ISO 639 codes, mapped to the model's own codes by
:func:`xproj.translate.langcodes.nllb_code` for NLLB tokenizers (``"sw"`` -> ``"swh_Latn"``),
or matched by ISO 639-3 identity to an M2M-100 tokenizer's codes (``"swa"`` -> ``"sw"``).

Long inputs are never truncated: a sentence with more tokens than ``max_length`` is cut into
pieces at sentence punctuation (``.``, ``?``, ``!``, ``;``, ``。`` ...), pieces that are still
too long are cut between words, the pieces are translated, and their translations are joined
with spaces (:func:`plan_pieces`). The report of
:meth:`NLLBTranslator.translate_reported` counts what happened.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xproj._extras import import_extra
from xproj._hf import (
    check_unit_lengths,
    load_model,
    load_tokenizer,
    max_input_length,
    plan_windows,
)
from xproj._torch import Dtype, device_constraint, resolve_device, resolve_dtype
from xproj.errors import InputError, ParameterError
from xproj.params import InstanceOf, Interval, NoneOr, Options, Predicate
from xproj.reported import Reported
from xproj.text import WordSplitter, split_words
from xproj.translate.base import Translator
from xproj.translate.langcodes import nllb_code, to_iso639_3
from xproj.types import Sentence

__all__ = [
    "DEFAULT_MODEL",
    "SENTENCE_END",
    "Dtype",
    "NLLBReport",
    "NLLBTranslator",
    "plan_pieces",
]

DEFAULT_MODEL = "facebook/nllb-200-distilled-600M"

SENTENCE_END: frozenset[str] = frozenset(".!?;…。！？；؟۔।॥።")
"""Characters that end a sentence: a word made only of them is a place to cut a long input."""


@dataclass(frozen=True)
class NLLBReport:
    """What happened in one :meth:`NLLBTranslator.translate_reported` call.

    Parameters
    ----------
    n_sentences
        Sentences in the batch (as many came out).
    n_empty
        Empty input sentences, returned empty without running the model.
    n_identity
        Sentences already in the target language, returned unchanged.
    n_split
        Sentences longer than ``max_length`` tokens, translated in pieces and rejoined.
    n_pieces
        Inputs given to the model (one per sentence that fits, several per split sentence).
    n_length_limited
        Pieces whose translation stopped at ``max_new_tokens`` without an end-of-sentence
        token (their translation may be cut short; raise ``max_new_tokens``).
    n_empty_output
        Non-empty sentences whose translation came back empty (returned as empty sentences).
    """

    n_sentences: int = 0
    n_empty: int = 0
    n_identity: int = 0
    n_split: int = 0
    n_pieces: int = 0
    n_length_limited: int = 0
    n_empty_output: int = 0


def _ends_sentence(word: str) -> bool:
    return all(c in SENTENCE_END for c in word)


def plan_pieces(
    words: Sequence[str], counts: Sequence[int], budget: int, *, sentence: int | None = None
) -> list[tuple[int, int]]:
    """Cut a sentence into word ranges of at most ``budget`` tokens each.

    ``counts[i]`` is the number of tokens of word ``i``. A sentence that fits is one piece.
    Otherwise it is cut after words made of sentence-final punctuation (:data:`SENTENCE_END`),
    consecutive parts are packed into pieces as long as they fit, and parts that alone exceed the
    budget are cut between words (again packed greedily).

    Raises
    ------
    InputError
        If a single word has more than ``budget`` tokens.

    Examples
    --------
    >>> words = "A b c . D e . F g h i".split()
    >>> plan_pieces(words, [1] * len(words), budget=7)
    [(0, 7), (7, 11)]
    >>> plan_pieces(words, [1] * len(words), budget=3)
    [(0, 3), (3, 4), (4, 7), (7, 10), (10, 11)]
    >>> plan_pieces(words, [1] * len(words), budget=20)
    [(0, 11)]
    """
    check_unit_lengths(counts, budget, sentence=sentence, words=words)
    n = len(words)
    if sum(counts) <= budget:
        return [(0, n)] if n else []
    parts: list[tuple[int, int]] = []
    start = 0
    for i, w in enumerate(words):
        if _ends_sentence(w) and i + 1 < n and not _ends_sentence(words[i + 1]):
            parts.append((start, i + 1))
            start = i + 1
    parts.append((start, n))
    pieces: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for a, b in parts:
        if sum(counts[a:b]) > budget:
            if cur is not None:
                pieces.append(cur)
                cur = None
            pieces.extend((a + x, a + y) for x, y in plan_windows(counts[a:b], budget, 0))
        elif cur is not None and sum(counts[cur[0] : b]) <= budget:
            cur = (cur[0], b)
        else:
            if cur is not None:
                pieces.append(cur)
            cur = (a, b)
    if cur is not None:
        pieces.append(cur)
    return pieces


@dataclass
class LoadedModel:
    """The model, tokenizer and limits an :class:`NLLBTranslator` loaded (see ``load``)."""

    model: Any
    tokenizer: Any
    device: Any
    m2m_codes: dict[str, str] | None  # ISO 639-3 -> M2M code, None for NLLB-style tokenizers
    max_length: int
    out_limit: int
    n_special: int


@dataclass
class _Piece:
    sentence: int
    text: str
    n_tokens: int
    translation: str = ""
    limited: bool = False


def _mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    )


@dataclass(kw_only=True)
class NLLBTranslator(Translator):
    """Translate with an NLLB-200 or M2M-100 style model from transformers.

    Parameters
    ----------
    model
        A Hugging Face model name or a local directory with a sequence-to-sequence model and its
        tokenizer (default ``facebook/nllb-200-distilled-600M``; the paper used
        ``facebook/nllb-200-3.3B``).
    batch_size
        Inputs per ``generate`` call. Inputs are sorted by length before batching (longest
        first), so padding is small; outputs come back in the input order.
    num_beams
        Beam size (1 is greedy decoding).
    max_length
        Tokens per model input, special tokens included; ``None`` uses the model's limit.
        Longer sentences are split into pieces and rejoined (:func:`plan_pieces`).
    max_new_tokens
        Tokens the model may generate per input; ``None`` allows twice the input's length plus
        10, up to the model's limit. Translations that hit it are counted in
        the report (:meth:`translate_reported`) and warned about.
    device
        ``"auto"`` or ``None`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"``.
    dtype
        :class:`Dtype`: ``"auto"`` (float32 on CPU; bfloat16, or float16 where unsupported, on
        CUDA), ``"float32"``, ``"float16"`` or ``"bfloat16"``.
    lang_codes
        Extra or different language codes: ISO code -> the model's code, e.g.
        ``{"pcm": "eng_Latn"}`` to translate Nigerian Pidgin as English.
    splitter
        Splits each translation into words (default :func:`xproj.text.split_words`).

    Reports
    -------
    :meth:`translate_reported` returns the counts of :class:`NLLBReport` as its ``report``,
    and in ``per_item["texts"]`` the translations as decoded text, before word splitting
    (split sentences' pieces joined with spaces; ``""`` for empty sentences).

    Examples
    --------
    >>> tr = NLLBTranslator(num_beams=4, batch_size=16, device="auto")
    >>> tr.translate([Sentence(("La", "casa", "es", "grande", "."), "es")], "en")  # doctest: +SKIP
    [Sentence(words=('The', 'house', 'is', 'big', '.'), lang='en')]
    """

    model: str | Path = DEFAULT_MODEL
    batch_size: int = 16
    num_beams: int = 4
    max_length: int | None = None
    max_new_tokens: int | None = None
    device: str = "auto"
    dtype: Dtype | str = Dtype.AUTO
    lang_codes: Mapping[str, str] | None = None
    splitter: WordSplitter = split_words
    _loaded: LoadedModel | None = field(default=None, init=False, repr=False, compare=False)

    _constraints = {
        "model": InstanceOf((str, Path)),
        "batch_size": Interval(int, 1, None),
        "num_beams": Interval(int, 1, None),
        "max_length": NoneOr(Interval(int, 3, None)),
        "max_new_tokens": NoneOr(Interval(int, 1, None)),
        "device": device_constraint(),
        "dtype": Options.of(Dtype),
        "lang_codes": NoneOr(Predicate(_mapping, "a mapping of ISO code to the model's code")),
        "splitter": Predicate(callable, "a function from a string to a list of words"),
    }

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> LoadedModel:
        """Load the model and tokenizer once (later calls return the same objects).

        Translation calls this itself; scorers that reuse the translator's model (e.g.
        :class:`xproj.project.nmt_scorer.NMTScorer`) call it for the model and tokenizer.
        """
        if self._loaded is not None:
            return self._loaded
        torch = import_extra("torch", "transformers", what="The NLLB translator")
        device = resolve_device(torch, self.device, owner="NLLBTranslator")
        where = str(self.model)
        what = "translation model"
        tokenizer = load_tokenizer(where, owner="NLLBTranslator", what=what, fast=False)
        model = load_model(
            where,
            "AutoModelForSeq2SeqLM",
            owner="NLLBTranslator",
            what=what,
            dtype=resolve_dtype(torch, self.dtype, device),
        )
        if not hasattr(tokenizer, "src_lang"):
            raise ParameterError(
                f"the tokenizer of {where!r} ({type(tokenizer).__name__}) has no src_lang: it is "
                "not an NLLB or M2M-100 style multilingual tokenizer"
            )
        model.to(device)
        model.eval()
        m2m_codes: dict[str, str] | None = None
        if hasattr(tokenizer, "lang_code_to_token") and hasattr(tokenizer, "get_lang_id"):
            m2m_codes = {}
            for code in tokenizer.lang_code_to_token:
                try:
                    m2m_codes.setdefault(to_iso639_3(code), code)
                except InputError:
                    continue
        declared = max_input_length(model, tokenizer)
        if declared is None and self.max_length is None:
            raise ParameterError(
                f"model {where!r} declares no maximum input length; pass max_length= to "
                "NLLBTranslator"
            )
        limit = declared if declared is not None else int(self.max_length or 0)
        max_length = self.max_length if self.max_length is not None else limit
        if max_length > limit:
            raise ParameterError(
                f"The 'max_length' parameter of NLLBTranslator is {max_length}, more than the "
                f"{limit} tokens model {where!r} accepts; lower it or leave it None"
            )
        n_special = int(tokenizer.num_special_tokens_to_add(pair=False))
        if max_length - n_special < 1:
            raise ParameterError(
                f"The 'max_length' parameter of NLLBTranslator must leave room for text after "
                f"the model's {n_special} special tokens. Got {max_length} instead."
            )
        self._loaded = LoadedModel(
            model, tokenizer, device, m2m_codes, max_length, limit, n_special
        )
        return self._loaded

    # -- language codes --------------------------------------------------------------------

    def model_code(self, lang: str) -> str:
        """The model's code for an ISO language code (``"es"`` -> ``"spa_Latn"`` for NLLB).

        Raises
        ------
        InputError
            If the language is not one of the model's, listing close matches.
        """
        ld = self.load()
        tok = ld.tokenizer
        overrides = self.lang_codes or {}
        if ld.m2m_codes is not None:
            code = overrides.get(lang)
            if code is None:
                iso3 = to_iso639_3(lang)
                code = overrides.get(iso3) or ld.m2m_codes.get(iso3)
                if code is None and iso3 in tok.lang_code_to_token:
                    code = iso3
            if code is None or code not in tok.lang_code_to_token:
                raise InputError(
                    f"language {lang!r} is not one of the languages of {str(self.model)!r}"
                    f"{_close(lang, list(tok.lang_code_to_token))}; pass lang_codes= to map it"
                )
            return str(code)
        code = nllb_code(lang, overrides)
        token_id = tok.convert_tokens_to_ids(code)
        if token_id is None or token_id == tok.unk_token_id:
            known = [str(t) for t in getattr(tok, "additional_special_tokens", []) or []]
            raise InputError(
                f"the tokenizer of {str(self.model)!r} has no language token {code!r} (for "
                f"{lang!r}){_close(code, known)}; pass lang_codes= to map the language"
            )
        return code

    def _iso(self, lang: str) -> str:
        """The ISO 639-3 form of a code, or the code itself when ``lang_codes`` defines it."""
        return lang if self.lang_codes and lang in self.lang_codes else to_iso639_3(lang)

    def lang_token_id(self, code: str) -> int:
        """The token id of the model's language code ``code`` (see :meth:`model_code`)."""
        ld = self.load()
        if ld.m2m_codes is not None:
            return int(ld.tokenizer.get_lang_id(code))
        return int(ld.tokenizer.convert_tokens_to_ids(code))

    # -- the three steps: preprocess (CPU), forward (device), postprocess (CPU) ------------

    def _preprocess(self, sentences: Sequence[Sentence], idx: list[int]) -> list[_Piece]:
        """Token-count the sentences (source language already set) and cut long ones."""
        ld = self.load()
        tok = ld.tokenizer
        budget = ld.max_length - ld.n_special
        texts = [sentences[k].text for k in idx]
        lengths = [len(x) for x in tok(texts, add_special_tokens=False)["input_ids"]]
        pieces: list[_Piece] = []
        for k, text, n in zip(idx, texts, lengths):
            if n <= budget:
                pieces.append(_Piece(k, text, n))
                continue
            words = sentences[k].words
            counts = [len(x) for x in tok(list(words), add_special_tokens=False)["input_ids"]]
            room = budget
            while True:
                plan = plan_pieces(words, counts, room, sentence=k)
                chunk = [" ".join(words[a:b]) for a, b in plan]
                sizes = [len(x) for x in tok(chunk, add_special_tokens=False)["input_ids"]]
                over = max(sizes) - budget
                if over <= 0:
                    break
                if room - over < 1:  # cannot happen for tokenizers that split on spaces
                    raise InputError(
                        f"could not cut the sentence into pieces of at most {budget} tokens",
                        sentence=k,
                    )
                room -= over
            pieces.extend(_Piece(k, c, s) for c, s in zip(chunk, sizes))
        return pieces

    def _forward(self, texts: list[str], tgt_id: int) -> tuple[Any, list[bool]]:
        """Generate for one batch (source language set on the tokenizer).

        Returns the generated token ids (a ``(batch, length)`` tensor on the CPU, starting with
        the decoder start token and the forced target-language token) and, per input, whether
        generation stopped at ``max_new_tokens`` without an end-of-sentence token.
        """
        import torch

        ld = self.load()
        enc = ld.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=True)
        longest = int(enc["input_ids"].shape[1])
        limit = self.max_new_tokens or min(ld.out_limit, 2 * longest + 10)
        with torch.inference_mode():
            out = ld.model.generate(
                input_ids=enc["input_ids"].to(ld.device),
                attention_mask=enc["attention_mask"].to(ld.device),
                forced_bos_token_id=tgt_id,
                num_beams=self.num_beams,
                max_new_tokens=limit,
                do_sample=False,
            )
        out = out.cpu()
        eos = ld.tokenizer.eos_token_id
        limited = [not bool((row[1:] == eos).any()) for row in out]
        return out, limited

    def _postprocess(self, token_ids: Any) -> list[str]:
        texts = self.load().tokenizer.batch_decode(token_ids, skip_special_tokens=True)
        return [str(t).strip() for t in texts]

    # -- public ----------------------------------------------------------------------------

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> Reported[Sentence]:
        if not sentences:
            self._iso(tgt_lang)
            return Reported([], asdict(NLLBReport()), {"texts": []})
        groups: dict[str, list[int]] = {}
        out: list[Sentence | None] = [None] * len(sentences)
        n_empty = n_identity = 0
        tgt_iso = self._iso(tgt_lang)
        tgt_code = self.model_code(tgt_lang)
        for k, s in enumerate(sentences):
            if s.lang is None:
                raise InputError(
                    "the sentence has no language: set Sentence.lang (e.g. 'es') so the model "
                    "knows what it is translating from",
                    sentence=k,
                )
            if len(s) == 0:
                out[k] = Sentence((), tgt_lang)
                n_empty += 1
                continue
            try:
                same = self._iso(s.lang) == tgt_iso
                code = tgt_code if same else self.model_code(s.lang)
            except InputError as e:
                raise e.at(sentence=k) from None
            if same or code == tgt_code:
                out[k] = Sentence(s.words, tgt_lang)
                n_identity += 1
                continue
            groups.setdefault(code, []).append(k)
        tok = self.load().tokenizer
        tgt_id = self.lang_token_id(tgt_code)
        all_pieces: list[_Piece] = []
        for src_code, idx in groups.items():
            tok.src_lang = src_code
            pieces = self._preprocess(sentences, idx)
            order = sorted(range(len(pieces)), key=lambda i: -pieces[i].n_tokens)
            for lo in range(0, len(order), self.batch_size):
                batch = [pieces[i] for i in order[lo : lo + self.batch_size]]
                ids, limited = self._forward([p.text for p in batch], tgt_id)
                for p, text, lim in zip(batch, self._postprocess(ids), limited):
                    p.translation, p.limited = text, lim
            all_pieces.extend(pieces)
        joined: dict[int, list[str]] = {}
        for p in all_pieces:
            joined.setdefault(p.sentence, []).append(p.translation)
        n_empty_output = 0
        raw = ["" if s is None else s.text for s in out]  # empty and unchanged sentences
        for k, parts in joined.items():
            text = raw[k] = " ".join(t for t in parts if t)
            words = _split(self.splitter, text, k)
            n_empty_output += not words
            out[k] = Sentence(tuple(words), tgt_lang)
        n_limited = sum(p.limited for p in all_pieces)
        if n_limited:
            warnings.warn(
                f"{n_limited} of {len(all_pieces)} translations stopped at the generation limit "
                "without finishing the sentence; raise max_new_tokens",
                stacklevel=4,
            )
        report = NLLBReport(
            n_sentences=len(sentences),
            n_empty=n_empty,
            n_identity=n_identity,
            n_split=sum(len(v) > 1 for v in joined.values()),
            n_pieces=len(all_pieces),
            n_length_limited=n_limited,
            n_empty_output=n_empty_output,
        )
        done = [s for s in out if s is not None]
        assert len(done) == len(sentences)
        return Reported(done, asdict(report), {"texts": raw})


def _close(code: str, pool: list[str]) -> str:
    matches = difflib.get_close_matches(code, pool, n=6, cutoff=0.5)
    return "; close matches: " + ", ".join(matches) if matches else ""


def _split(splitter: WordSplitter, text: str, k: int) -> list[str]:
    words = list(splitter(text))
    for i, w in enumerate(words):
        if not isinstance(w, str) or not w or any(c.isspace() for c in w):
            raise ParameterError(
                f"the word splitter returned word {i} {w!r} for the translation of sentence "
                f"{k} ({text!r}); words must be non-empty strings without whitespace"
            )
    return words
