"""Word-alignment quality and speed of xproj's SimAlign aligner against gold and awesome-align.

Reads ``DATA/alignment_gold/{enfr,roen,jaen,zhen}.src-tgt`` (``src ||| tgt``, words split on
ASCII spaces), ``*.gold`` (1-based, ``ipj`` possible links) and ``*.awesome-align.out``
(awesome-align's own output on the same sentences, 0-based), aligns every pair with
:class:`xproj.align.simalign.SimAlignAligner` on the embedded multilingual-e5-small, and scores
both with :func:`xproj.eval.alignment.alignment_scores` (precision against sure+possible,
recall against sure, AER as Och & Ney). Before scoring, the indexing base and the direction of
each file are checked against the sentences: links between identical words (numbers, names,
punctuation) must be more frequent under the declared reading than under the others.

The alignments come from xproj's flow engine: an :class:`xproj.Pipeline` holding the aligner
runs the translate-train flow in memory (:meth:`~xproj.Pipeline.translate_train`) on each pair's
sentences, with the target side as given translations and no entities to project, and its
``alignments`` are scored (the same links as ``aligner.align``, which the align step calls on all
pairs at once). ``--cache DIR`` keeps them in xproj's stage cache
(:class:`xproj.cache.StageCache`, under ``DIR/stages``), keyed by the aligner's full parameters and
the sentence pairs, with the timing of the run that made them; a later run with the same aligner
and data reuses them (and reports that run's throughput).

Usage::

    python benchmarks/alignment_quality.py --data ../shared/data --json results.json

The JSON holds ``{"pairs": {PAIR: {"xproj": {precision, recall, f1, aer}, "awesome-align":
{...}}}, "config": {...}, "throughput": {...}}``. Throughput is pairs per second of
the Pipeline run over all pairs (model loading excluded, matching included), on however many
threads torch uses (``--threads``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import xproj
from _common import cached
from xproj import Pipeline
from xproj.align.simalign import SimAlignAligner
from xproj.cache import StageCache, stage_fingerprint
from xproj.eval.alignment import alignment_scores
from xproj.io.parallel import read_src_tgt
from xproj.io.pharaoh import read_pharaoh, read_pharaoh_links
from xproj.types import Alignment, LabelledSentence, Sentence

PAIRS = ("enfr", "roen", "jaen", "zhen")


def _identical_link_count(
    links: list[list[tuple[int, int]]],
    src: list[Sentence],
    tgt: list[Sentence],
    shift: int,
    swap: bool,
) -> int:
    """How many links join identical words when read with ``shift`` and maybe swapped."""
    hits = 0
    for pairs, s, t in zip(links, src, tgt):
        for a, b in pairs:
            i, j = (b, a) if swap else (a, b)
            i, j = i - shift, j - shift
            if 0 <= i < len(s) and 0 <= j < len(t) and s.words[i] == t.words[j]:
                hits += 1
    return hits


def check_reading(path: Path, src: list[Sentence], tgt: list[Sentence], one_based: bool) -> None:
    """Fail unless ``path`` reads best as (source, target) links with the declared base."""
    raw = read_pharaoh_links(path, one_based=False)
    declared = (1 if one_based else 0, False)
    counts = {
        (shift, swap): _identical_link_count(raw, src, tgt, shift, swap)
        for shift in (0, 1)
        for swap in (False, True)
    }
    best = max(counts, key=lambda k: counts[k])
    if best != declared:
        raise SystemExit(
            f"{path}: links between identical words favour "
            f"{'1' if best[0] else '0'}-based {'target-source' if best[1] else 'source-target'} "
            f"({counts[best]} such links) over the declared reading ({counts[declared]}); "
            "check the file"
        )


def load_pair(data: Path, pair: str) -> dict[str, Any]:
    """Sentences, gold and awesome-align alignments of one language pair."""
    root = data / "alignment_gold"
    src, tgt = read_src_tgt(root / f"{pair}.src-tgt", whitespace_words="replace")
    src_lens, tgt_lens = [len(s) for s in src], [len(t) for t in tgt]
    check_reading(root / f"{pair}.gold", src, tgt, one_based=True)
    check_reading(root / f"{pair}.awesome-align.out", src, tgt, one_based=False)
    gold = read_pharaoh(root / f"{pair}.gold", src_lens, tgt_lens, one_based=True)
    awesome = read_pharaoh(root / f"{pair}.awesome-align.out", src_lens, tgt_lens, one_based=False)
    return {"src": src, "tgt": tgt, "gold": gold, "awesome": awesome}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=PAIRS)
    ap.add_argument("--model", default=None, help="hub name or path; default: embedded e5")
    ap.add_argument("--layer", type=int, default=None)
    ap.add_argument("--method", default=None, help="argmax, itermax or match")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--bare-prefix", default=None, help="skip, drop or keep")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--quantize", action="store_true", help="int8 linear layers (CPU)")
    ap.add_argument(
        "--dtype",
        default="float32",
        choices=("float32", "bfloat16", "float16"),
        help="the encoder's floating-point type (the similarities are float32 either way)",
    )
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep the alignments in xproj's stage cache under DIR/stages and reuse them",
    )
    args = ap.parse_args(argv)

    if not (args.data / "alignment_gold").is_dir():
        print(f"no alignment_gold folder under {args.data}", file=sys.stderr)
        return 2
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    params: dict[str, Any] = {
        "model": args.model,
        "device": args.device,
        "quantize": args.quantize,
        "dtype": args.dtype,
    }
    for key in ("layer", "method", "batch_size", "bare_prefix"):
        if getattr(args, key) is not None:
            params[key] = getattr(args, key)
    aligner = SimAlignAligner(**params)

    data = {pair: load_pair(args.data, pair) for pair in args.pairs}
    # no entities to project: the projector only completes the flow after the align step
    pipe = Pipeline(aligner=aligner, projector=xproj.projectors.get("heuristic"))
    plain = {k: (v.value if hasattr(v, "value") else v) for k, v in aligner.get_params().items()}
    fingerprint = stage_fingerprint("simalign", plain)
    cache = StageCache(None if args.cache is None else args.cache / "stages")
    load_s = 0.0
    loaded = False

    def compute(pair: str) -> dict[str, Any]:
        nonlocal load_s, loaded
        d = data[pair]
        if not loaded:
            t0 = time.perf_counter()
            aligner.align(d["src"][:2], d["tgt"][:2])  # loads the model; not timed
            load_s = time.perf_counter() - t0
            loaded = True
        sources = [LabelledSentence(s.words, (), s.lang) for s in d["src"]]
        t = time.perf_counter()
        c = time.process_time()
        result = pipe.translate_train(sources, pair[2:], translations=d["tgt"])
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
        return {
            "alignments": [a.to_dict() for a in result.alignments],
            "align_s": seconds,
            "cpu_s": cpu,
        }

    results: dict[str, Any] = {}
    total_pairs = 0
    total_s = 0.0
    total_cpu = 0.0
    rows = []
    cached_pairs: list[str] = []
    for pair, d in data.items():
        inputs = [[list(s.words), list(t.words)] for s, t in zip(d["src"], d["tgt"])]
        entry, hit = cached(cache, "align", fingerprint, inputs, partial(compute, pair))
        if hit:
            cached_pairs.append(pair)
        predicted: list[Alignment] = [Alignment.from_dict(x) for x in entry["alignments"]]
        seconds = float(entry["align_s"])
        total_cpu += float(entry["cpu_s"])
        total_pairs += len(predicted)
        total_s += seconds
        ours = alignment_scores(predicted, d["gold"])
        theirs = alignment_scores(d["awesome"], d["gold"])
        results[pair] = {
            "xproj": ours.to_dict(),
            "awesome-align": theirs.to_dict(),
            "pairs": len(predicted),
            "align_s": round(seconds, 3),
        }
        rows.append((pair, ours, theirs, len(predicted) / seconds))

    print(f"{'pair':6} {'system':14} {'P':>6} {'R':>6} {'F1':>6} {'AER':>6}  pairs/s")
    for pair, ours, theirs, speed in rows:
        for name, s in (("xproj", ours), ("awesome-align", theirs)):
            rate = f"{speed:7.1f}" if name == "xproj" else ""
            print(
                f"{pair:6} {name:14} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                f"{s.aer:6.3f}  {rate}"
            )
    wins = [p for p, o, t, _ in rows if o.f1 > t.f1]
    print(f"xproj F1 above awesome-align on {len(wins)} of {len(rows)} pairs: {wins}")
    throughput = total_pairs / total_s
    print(
        f"throughput: {throughput:.1f} pairs/s ({total_pairs} pairs in {total_s:.1f} s wall, "
        f"{total_cpu:.1f} s CPU, {torch.get_num_threads()} torch threads; model load "
        f"{load_s:.1f} s). Wall time counts other processes' load on the same cores."
        + (f" Alignments of {cached_pairs} from the cache {cache.root}." if cached_pairs else "")
    )

    config = {k: (v.value if hasattr(v, "value") else v) for k, v in aligner.get_params().items()}
    config["encoder"] = "embedded multilingual-e5-small" if args.model is None else args.model
    config["torch_threads"] = torch.get_num_threads()
    out = {
        "pairs": results,
        "config": config,
        "throughput": {
            "pairs_per_s": round(throughput, 2),
            "pairs": total_pairs,
            "align_s": round(total_s, 3),
            "cpu_s": round(total_cpu, 3),
            "model_load_s": round(load_s, 3),
        },
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
