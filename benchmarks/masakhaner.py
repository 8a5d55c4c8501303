"""MasakhaNER 2.0 end to end: target-language NER models trained on projected parallel text,
against model transfer, on all 20 languages -- a thin wrapper around
``examples/masakhaner2.toml``.

The route most users of a low-resource language have is human parallel text with English or
French. For each MasakhaNER 2.0 language (Adelani et al., 2022) the config takes the language's
MAFAND-MT news parallel text (Adelani et al., 2022b), labels its English/French side with an
English NER model, aligns the two sides with the embedded aligner, projects the entities
(``heuristic``, ``max_gap=2``, ``best_links_only``), trains ONE multilingual target model on
every language's projected sentences plus a sample of the English gold, starting from the
English model and reading words with accents folded (``fold_accents``), and scores it and the
English model itself (model transfer) on each language's MasakhaNER 2.0 dev and test splits
(PER/ORG/LOC; DATE is not scored, as in the reference paper). Self-training (``multi-st``,
``--selftrain N``, 1,000 by default; 0 leaves it out) then has the multilingual model label
N sentences of each language's MasakhaNER 2.0 train split, its labels ignored (unlabelled
news of the language), and trains a second model from it on those labels
(``proj-multi-st``). ``--rounds 2`` adds the config's round 2 (projection
again with the target model in the loop, Politov et al., 2025, then a second model);
``--per-language`` adds one model per language.

This script does what the config cannot: it trains the English model (the embedded
multilingual-e5-small fine-tuned on CoNLL-2003 train with
:func:`xproj.label.train.train_labeller`, kept in a folder named by a fingerprint of its
training data and parameters, timed apart), applies the command-line settings to the config,
runs it with :func:`xproj.run.run` (the stage cache in ``<cache>/run/cache`` resumes an
interrupted run), and turns ``summary.json`` into this benchmark's JSON, table and plot. It
also scores the English model on PAN-X dev in English and French (``source_side``): how well
it labels the French side of the fr-* pairs.

    python benchmarks/masakhaner.py --data ../shared/data --json bench-results/masakhaner.json

Settings are chosen on the dev splits (``--split dev`` scores dev only); the default scores
test only, ``--split dev test`` both (the JSON then reports both; scores already computed
come from the stage cache).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import format_table, load_average, machine_info, set_torch_threads
from xproj.cache import canonical_json
from xproj.io.conll import read_conll

log = logging.getLogger("masakhaner")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "masakhaner2.toml"
#: Politov et al. (2025), MasakhaNER 2.0 test F1: (XLM-R-large CoNLL model transfer, best
#: projection). bbj and pcm are not among their 18 languages.
PAPER: dict[str, tuple[float, float]] = {
    "bam": (43.0, 55.3),
    "ewe": (71.4, 77.8),
    "fon": (62.7, 69.5),
    "hau": (73.7, 73.4),
    "ibo": (50.2, 75.5),
    "kin": (44.6, 66.2),
    "lug": (61.6, 82.7),
    "luo": (50.7, 75.1),
    "mos": (55.9, 51.8),
    "nya": (50.8, 77.6),
    "sna": (37.2, 69.2),
    "swa": (87.7, 83.0),
    "tsn": (48.5, 82.2),
    "twi": (46.4, 74.6),
    "wol": (54.1, 64.6),
    "xho": (24.6, 55.6),
    "yor": (32.2, 59.5),
    "zul": (41.4, 65.0),
}
LANGS = sorted([*PAPER, "bbj", "pcm"])
#: The English model's types kept on the source side (MISC is not a MasakhaNER type).
EN_MAP: dict[str, str] = {"LOC": "LOC", "MISC": "O", "ORG": "ORG", "PER": "PER"}
#: The config's round-2 steps, left out by ``--rounds 1``.
ROUND2 = ("reprojected", "multi-r2", "proj-multi-r2")


# ----------------------------------------------------------------------------- the English model

#: train_labeller's arguments that say where it runs or what it reports, not what it learns:
#: not part of the model's key (a model trained on a GPU serves a CPU run)
NOT_KEYED = ("device", "dev")


def fingerprint(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:16]


def model_key(params: dict[str, Any]) -> dict[str, Any]:
    """What the English model is kept under besides its training sentences: every argument of
    ``train_labeller`` in effect, defaults included (so that a changed default trains anew),
    less :data:`NOT_KEYED`."""
    from xproj.label.train import training_parameters

    full = {**training_parameters(), **params}
    return {k: v for k, v in full.items() if k not in NOT_KEYED}


def english_model(data: Path, cache: Path, epochs: float, device: str) -> tuple[Path, float]:
    """The English model's folder (trained on CoNLL-2003 train unless trained before with the
    same data and parameters) and the seconds its training took when it was trained."""
    from xproj.label.train import INFO_FILE, train_labeller

    params: dict[str, Any] = {"epochs": epochs, "seed": 0}
    train = [s for s in read_conll(data / "conll2003_en" / "train.txt") if s.words]
    key = fingerprint({"params": model_key(params), "train": [s.to_dict() for s in train]})
    out = cache / "models" / f"english-{key}"
    if not (out / INFO_FILE).exists():
        tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        log.info("the English model: training on %d CoNLL-2003 sentences", len(train))
        train_labeller(train, output_dir=tmp, overwrite=True, device=device, **params)
        tmp.rename(out)
    info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
    return out, float(info.get("seconds") or 0.0)


def source_side_scores(
    data: Path, english: Path, labeller: dict[str, Any], n: int = 1000
) -> dict[str, float]:
    """The English model's F1 on PAN-X dev (WikiANN; the first ``n`` sentences) in English and
    in French: how well it labels the French side of the fr-* pairs, next to its own language.
    Empty when the PAN-X files are absent."""
    from xproj.eval.ner import evaluate_ner
    from xproj.label.transformers import TransformersLabeller

    scores: dict[str, float] = {}
    model = TransformersLabeller(model=str(english), label_map=EN_MAP, **labeller)
    for lang in ("en", "fr"):
        path = data / "wikiann_panx_dev" / f"dev-{lang}.tsv"
        if path.exists():
            gold = read_conll(path, lang=lang, format="tab")[:n]
            predicted = model.label([g.sentence for g in gold])
            scores[f"panx_dev_{lang}"] = round(evaluate_ner(gold, predicted).f1, 4)
    return scores


# ----------------------------------------------------------------------------- the config


def build_config(args: argparse.Namespace, english: Path) -> Any:
    """``examples/masakhaner2.toml`` with the command line's settings: the languages, pairs per
    language, rounds, filter, training and labelling settings, and the output folder
    ``<cache>/run``."""
    from xproj.config import RunConfig, load_config

    os.environ["XPROJ_DATA"] = str(args.data.resolve())
    os.environ["XPROJ_ENGLISH_NER"] = str(english.resolve())
    cfg = load_config(EXAMPLE).to_dict()
    cfg["output"] = str((args.cache / "run").resolve())
    cfg["datasets"] = [d for d in cfg["datasets"] if d["name"] in args.langs]
    for d in cfg["datasets"]:
        d["sample"] = args.pairs
        for split in d["heldout"].values():
            split["limit"] = args.heldout_limit
    labeller = cfg["stages"]["labeller"]["params"]
    labeller.update(batch_size=args.batch_size, dtype=args.dtype, decoding=args.decoding)
    aligner = cfg["stages"]["aligner"]["params"]
    aligner.update(batch_size=args.align_batch_size, dtype=args.dtype)
    if args.device != "cpu":
        labeller["device"] = aligner["device"] = args.device
    steps = [s for s in cfg["steps"] if args.rounds == 2 or s["name"] not in ROUND2]
    if args.selftrain:
        for d in cfg["datasets"]:
            d["unlabelled"]["sample"] = args.selftrain
    else:
        steps = [s for s in steps if s["name"] not in SELFTRAIN]
        for d in cfg["datasets"]:
            d.pop("unlabelled", None)
    train = next(s for s in steps if s["kind"] == "train")
    if args.per_language:  # one model per language, with less English gold each
        single = copy.deepcopy(train)
        single.update(name="single", pool=False)
        single["mix"][0]["sample"] = 300
        steps += [single, {"kind": "evaluate", "name": "proj-single", "inputs": ["single"]}]
    # a folder of its own for models trained with other settings, next to the default ones';
    # the self-trained model's settings do not change the model it starts from
    tags = {x: model_tag(args) for x in TRAIN_STEPS}
    tags["multi-st"] = model_tag(args, TRAINING_ARGS + SELFTRAIN_ARGS)
    for s in steps:
        if s["kind"] in ("train", "selftrain") and tags[s["name"]]:
            s["name"] = f"{s['name']}-{tags[s['name']]}"
        s["inputs"] = [f"{x}-{tags[x]}" if tags.get(x) else x for x in s.get("inputs", [])]
        if s["kind"] == "selftrain":
            s["min_score"] = args.selftrain_min_score
        if s["kind"] in ("train", "selftrain"):
            s["params"].update(
                max_entity_free=args.max_entity_free,
                precision=args.precision,
                fold_accents=args.fold_accents,
                **({} if args.device == "cpu" else {"device": args.device}),
            )
        if s["kind"] == "train":
            s["filter"] = args.filter
            s["min_score"] = args.min_score
            s["params"]["epochs"] = args.epochs
            if not s["name"].startswith("single"):
                s["mix"][0]["sample"] = args.english_gold
        elif s["kind"] == "evaluate":
            s.setdefault("params", {})["splits"] = list(args.split)
    cfg["steps"] = steps
    return RunConfig.from_dict(cfg, base_dir=EXAMPLE.parent)


#: The config's train steps (and the one ``--per-language`` adds).
TRAIN_STEPS = ("multi", "multi-r2", "single")
#: The config's self-training steps, left out by ``--selftrain 0``.
SELFTRAIN = ("multi-st", "proj-multi-st")
#: The settings of the self-trained model only.
SELFTRAIN_ARGS = ("selftrain", "selftrain_min_score")
#: The settings that change what the target models learn from or how.
TRAINING_ARGS = (
    "langs",
    "pairs",
    "english_epochs",
    "english_gold",
    "epochs",
    "filter",
    "min_score",
    "max_entity_free",
    "precision",
    "fold_accents",
    "heldout_limit",
)


def model_tag(args: argparse.Namespace, keys: Sequence[str] = TRAINING_ARGS) -> str:
    """Empty for the default settings ``keys`` (:data:`TRAINING_ARGS`), else a fingerprint of
    them: the train steps are then named ``multi-TAG`` (their model folders too), so that
    models trained with other settings sit next to the default ones instead of replacing them
    in the run folder (the method names, ``proj-multi`` and so on, stay)."""
    defaults = parse_args([])
    chosen = {k: getattr(args, k) for k in keys}
    return "" if chosen == {k: getattr(defaults, k) for k in keys} else fingerprint(chosen)[:8]


# ----------------------------------------------------------------------------- results


def summarise(scores: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Means, standard deviations, the paper's-18 means and wins over transfer per method, the
    number of languages each method was scored on, and, for a method scored on only some
    languages, every method's mean over just those (``subset_mean``)."""
    methods = sorted({m for row in scores.values() for m in row})
    out: dict[str, Any] = {
        "mean": {},
        "std": {},
        "paper18_mean": {},
        "wins_vs_transfer": {},
        "languages": {},
        "subset_mean": {},
    }
    for m in methods:
        vals = [row[m] for row in scores.values() if m in row]
        out["languages"][m] = len(vals)
        if len(vals) < len(scores):
            langs = [lang for lang, row in scores.items() if m in row]
            out["subset_mean"][m] = {
                o: round(statistics.fmean(scores[lang][o] for lang in langs), 4)
                for o in methods
                if all(o in scores[lang] for lang in langs)
            }
        p18 = [row[m] for lang, row in scores.items() if lang in PAPER and m in row]
        out["mean"][m] = round(statistics.fmean(vals), 4)
        out["std"][m] = round(statistics.pstdev(vals), 4) if len(vals) > 1 else 0.0
        out["paper18_mean"][m] = round(statistics.fmean(p18), 4) if p18 else None
        if m != "transfer":
            out["wins_vs_transfer"][m] = sum(
                1
                for lang, row in scores.items()
                if lang in PAPER and m in row and "transfer" in row and row[m] > row["transfer"]
            )
    return out


#: What the train step's report counts of each language's projected sentences.
TRAIN_COUNTS = (
    "projected_sentences",
    "heldout_overlap_dropped",
    "filter_dropped",
    "dataset_sentences",
)


def data_counts(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per language: the read report (pairs read, held-out matches dropped, not sampled, used),
    the source entities and how many were projected, what the train step kept and, with
    self-training, the read report of the unlabelled sentences."""
    out: dict[str, dict[str, Any]] = {}
    for d in summary["datasets"]:
        proj = d["methods"]["heuristic"]
        trains = [v for k, v in d["reports"].items() if k.startswith("train multi")]
        trained: dict[str, Any] = trains[0] if trains else {}
        out[d["name"]] = {
            **d["reports"].get("read", {}),
            "source_entities": proj["entities_in"],
            "projected_entities": proj["entities_projected"],
            **{k: trained[k] for k in TRAIN_COUNTS if k in trained},
        }
        if "read unlabelled" in d["reports"]:  # what self-training read and used
            out[d["name"]]["unlabelled"] = d["reports"]["read unlabelled"]
    return out


def rates(stages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Sentences per second computed (not read from the cache) by kind of stage, and the
    seconds of each stage."""

    def rate(*prefixes: str) -> float | None:
        done = [s for s in stages if s["title"].startswith(prefixes) and s["computed_sentences"]]
        seconds = sum(s["seconds"] for s in done)
        return round(sum(s["computed_sentences"] for s in done) / seconds, 2) if seconds else None

    return {
        "train_sent_per_s": rate("train", "selftrain"),
        "label_sent_per_s": rate("label", "evaluate", "pseudo-label"),
        "align_pairs_per_s": rate("align"),
        "steps_s": {s["title"]: round(s["seconds"], 1) for s in stages},
    }


def plot(scores: dict[str, dict[str, float]], path: Path, title: str) -> None:
    """Per-language F1, methods side by side, with the paper's two systems as markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = sorted(scores)
    methods = sorted({m for row in scores.values() for m in row})
    width = 0.8 / max(1, len(methods))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(langs)), 4.5))
    for k, m in enumerate(methods):
        xs = [i + (k - (len(methods) - 1) / 2) * width for i in range(len(langs))]
        ax.bar(xs, [scores[lang].get(m, 0.0) for lang in langs], width, label=m)
    for j, (marker, name) in enumerate((("_", "paper: transfer"), ("*", "paper: projection"))):
        xs = [i for i, lang in enumerate(langs) if lang in PAPER]
        ys = [PAPER[lang][j] / 100 for lang in langs if lang in PAPER]
        ax.scatter(xs, ys, marker=marker, color="black", s=60, label=name, zorder=3)
    ax.set_xticks(range(len(langs)), langs)
    ax.set_ylabel("F1 (PER/ORG/LOC)")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def print_table(result: dict[str, Any]) -> None:
    methods = sorted({m for row in result["f1"].values() for m in row})
    rows = [
        [
            lang,
            *(result["f1"][lang].get(m, "") for m in methods),
            # the paper's percentages as fractions, like the F1s
            *([x / 100 for x in PAPER[lang]] if lang in PAPER else ["", ""]),
        ]
        for lang in sorted(result["f1"])
    ]
    rows.append(["mean", *(result["mean"][m] for m in methods), "", ""])
    rows.append(["paper18", *(result["paper18_mean"][m] for m in methods), 0.521, 0.673])
    rows.append(["std", *(result["std"][m] for m in methods), "", ""])
    print(format_table(["lang", *methods, "paper transfer", "paper proj"], rows))
    for m, means in result["subset_mean"].items():
        print(f"{m} was scored on {result['languages'][m]} languages; means there: {means}")


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--json", type=Path, default=Path("bench-results/masakhaner.json"))
    ap.add_argument("--cache", type=Path, default=Path("bench-results/masakhaner-cache"))
    ap.add_argument("--langs", nargs="+", default=LANGS, choices=LANGS)
    # 3,000 scored about 2 points above 1,000 on the dev splits (docs/benchmarks.md)
    ap.add_argument("--pairs", type=int, default=3000, help="parallel pairs per language")
    ap.add_argument("--english-epochs", type=float, default=1.0)
    ap.add_argument("--english-gold", type=int, default=2000, help="CoNLL sentences mixed in")
    ap.add_argument("--epochs", type=float, default=1.0, help="target model epochs")
    # "none" scored 0.6449 on the dev splits (paper18), "complete" 0.6365; "complete+count"
    # keeps what "complete" keeps under the heuristic projector (docs/benchmarks.md)
    ap.add_argument("--filter", default="none", choices=("none", "complete", "complete+count"))
    ap.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="leave out training sentences with a projected span scored below this (the "
        "heuristic projector's score: the fraction of the span's words aligned to the entity)",
    )
    ap.add_argument("--max-entity-free", type=float, default=0.3)
    # folded: 0.6612 on the dev splits (paper18), 0.6514 unfolded (docs/benchmarks.md)
    ap.add_argument(
        "--fold-accents",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="target models read words without accents and other combining marks",
    )
    # 1,000: dev paper18 0.6727, 500: 0.6671, none: 0.6613 (docs/benchmarks.md)
    ap.add_argument(
        "--selftrain",
        type=int,
        default=1000,
        help="unlabelled sentences per language (MasakhaNER 2.0 train, labels ignored) that "
        "the multilingual model labels for a self-trained model (multi-st); 0: no self-training",
    )
    ap.add_argument(
        "--selftrain-min-score",
        type=float,
        default=None,
        help="leave out self-training sentences with a span the model scored below this",
    )
    ap.add_argument("--rounds", type=int, default=1, choices=(1, 2))
    ap.add_argument("--per-language", action="store_true", help="also one model per language")
    # test only by default: settings are chosen with --split dev, and scoring dev as well
    # costs about 9 minutes of the 90 on 2 CPU cores (--split dev test scores both)
    ap.add_argument("--split", nargs="+", default=["test"], choices=("dev", "test"))
    ap.add_argument(
        "--heldout-limit", type=int, default=None, help="score the first N gold sentences only"
    )
    ap.add_argument("--batch-size", type=int, default=16, help="labelling batch size")
    ap.add_argument("--align-batch-size", type=int, default=16, help="aligning batch size")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu", help="torch device for every model ('cuda')")
    ap.add_argument(
        "--dtype",
        default="bfloat16",
        choices=("float32", "bfloat16"),
        help="the models' type when labelling and aligning (bfloat16: about twice as fast "
        "on CPUs with bfloat16 units, slower on CPUs without)",
    )
    # viterbi: on the dev splits, the self-trained model scored higher on every language
    # decoded so than arg-max (docs/benchmarks.md)
    ap.add_argument(
        "--decoding",
        default="viterbi",
        choices=("argmax", "viterbi"),
        help="how every model's tags are chosen from its word distributions (viterbi: the "
        "most probable valid IOB2 sequence; argmax: each word's best tag, repaired)",
    )
    ap.add_argument(
        "--precision",
        default="bfloat16",
        choices=("float32", "bfloat16"),
        help="target models' training precision (bfloat16: mixed precision, train_labeller's "
        "precision); the English model is trained in float32",
    )
    ap.add_argument("--english-only", action="store_true", help="train the English model, stop")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from xproj.run import run

    threads = set_torch_threads(args.threads)
    load_start = load_average()
    english, english_s = english_model(args.data, args.cache, args.english_epochs, args.device)
    if args.english_only:
        return 0
    t0 = time.perf_counter()
    inference = {
        "batch_size": args.batch_size,
        "device": args.device,
        "dtype": args.dtype,
        "decoding": args.decoding,
    }
    source_side = source_side_scores(args.data, english, inference)
    log.info("the English model on PAN-X dev (English, French): %s", source_side)
    cfg = build_config(args, english)
    done = run(cfg, plot=False)
    summary = done.summary.to_dict()
    total_s = time.perf_counter() - t0
    scores = {
        split: {lang: {m: round(f, 4) for m, f in row.items()} for lang, row in by_lang.items()}
        for split, by_lang in summary["heldout"]["f1"].items()
    }
    main_split = "test" if "test" in scores else "dev"
    counts = data_counts(summary)
    result: dict[str, Any] = {"f1": scores[main_split], **summarise(scores[main_split])}
    if main_split == "test" and "dev" in scores:
        result["dev"] = {"f1": scores["dev"], **summarise(scores["dev"])}
    result["leakage"] = {lang: c.get("heldout_dropped", 0) for lang, c in counts.items()}
    result["source_side"] = source_side
    result["data"] = counts
    result["timing"] = {
        "total_s": round(total_s, 1),
        "run_s": summary["seconds"],
        "english_model_trained_s": english_s,
        **rates(summary["stages"]),
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }
    result["config"] = {
        **vars(args),
        "threads": threads,
        "machine": machine_info(),
        "english_model": str(english),
        "run": {"config": summary["config"], "output": summary["output"]},
    }
    result["paper"] = {
        lang: {"transfer": t / 100, "projection": p / 100} for lang, (t, p) in PAPER.items()
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print_table(result)
    try:
        plot(result["f1"], args.json.with_suffix(".png"), f"MasakhaNER 2.0 {main_split} F1")
    except ImportError:
        log.warning("matplotlib is missing: no plot (pip install 'xproj[report]')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
