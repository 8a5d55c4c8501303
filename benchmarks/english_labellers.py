"""English labellers on English gold: CoNLL-2003 test and the English side of Europarl-NER.

Scores spaCy's ``en_core_web_sm`` (OntoNotes types mapped to CoNLL, span normalisation on) and,
with ``--model DIR`` (repeatable), token-classification models such as one trained by
``xproj train-labeller`` on CoNLL-2003's training file. Translate-test labels English
translations with one of these, so its score on a target language can hardly exceed the
labeller's score on the original English of the same sentences (Europarl-NER's English side).

Usage::

    python benchmarks/english_labellers.py --data ../shared/data --model conll-e5 --json el.json

The JSON holds ``{"f1": {DATASET: {LABELLER: F1}}, "per_type_f1": ..., "precision": ...,
"recall": ..., "seconds": ..., "models": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import format_table, load_average
from xproj.eval.ner import NerScores, evaluate_ner
from xproj.io.conll import read_conll
from xproj.label.base import Labeller
from xproj.label.spacy import SpacyLabeller
from xproj.label.transformers import TransformersLabeller

DATASETS = {
    "conll2003-test": "conll2003_en/test.txt",
    "europarl-en": "europarl_ner/en-europarl.test.conll02",
}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder")
    ap.add_argument("--model", type=Path, action="append", default=[], help="model folder")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    labellers: dict[str, Labeller] = {"spacy:en_core_web_sm": SpacyLabeller(model="en_core_web_sm")}
    for m in args.model:
        labellers[f"transformers:{m.name}"] = TransformersLabeller(model=str(m))
    scores: dict[str, dict[str, NerScores]] = {}
    seconds: dict[str, dict[str, float]] = {}
    load = load_average()
    for ds, rel in DATASETS.items():
        gold = read_conll(args.data / rel, lang="en")
        for name, labeller in labellers.items():
            print(f"{name} on {ds} ({len(gold)} sentences)", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            predicted = labeller.label([g.sentence for g in gold])
            seconds.setdefault(ds, {})[name] = round(time.perf_counter() - t0, 2)
            scores.setdefault(ds, {})[name] = evaluate_ner(gold, predicted)
    rows = []
    for name in labellers:
        for ds in DATASETS:
            s = scores[ds][name]
            per = " ".join(f"{t} {x.f1:.3f}" for t, x in s.per_type.items())
            rows.append([name, ds, f"{s.f1:.4f}", f"{s.precision:.4f}", f"{s.recall:.4f}", per])
    print(format_table(["labeller", "dataset", "F1", "P", "R", "per type F1"], rows))
    if args.json:
        out: dict[str, Any] = {
            key: {
                ds: {n: round(getattr(s, key), 4) for n, s in per.items()}
                for ds, per in scores.items()
            }
            for key in ("f1", "precision", "recall")
        }
        out["per_type_f1"] = {
            ds: {n: {t: round(x.f1, 4) for t, x in s.per_type.items()} for n, s in per.items()}
            for ds, per in scores.items()
        }
        out["seconds"] = seconds
        out["models"] = {n: str(getattr(lab, "model", "")) for n, lab in labellers.items()}
        out["load_average_before"] = load
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
