"""Throughput of the Ray runner with 1 and 2 aligner workers (and the in-process runner).

Runs the align stage of a translate-train config, with the embedded SimAlign aligner, over
``--sentences`` English sentences and their German translations (Europarl-NER from ``--data``
when present, else the project's example repeated), once per runner setting, with the cache off.
Each Ray setting starts its actor pool (each actor loads the model once), so the times are what
a user waits for the stage, model loading included; use more sentences to amortise it.

Usage::

    python benchmarks/ray_scaling.py                       # 1 and 2 workers, local Ray
    python benchmarks/ray_scaling.py --workers 1 2 4 --sentences 800 --json scaling.json
    RAY_ADDRESS=ray://head:10001 python benchmarks/ray_scaling.py --workers 4 8

Each Ray actor is given ``--cpus-per-worker`` CPUs (Ray then sets its torch threads to that),
so on a machine with C cores, up to C / cpus-per-worker workers run in parallel. The JSON holds
``{"sentences": N, "cpus": C, "runs": [{"runner", "workers", "seconds", "sentences_per_second"},
...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from xproj.config import RunConfig
from xproj.progress import Progress
from xproj.run import run

ROOT = Path(__file__).resolve().parents[1]


def _data(data_dir: Path, n: int, tmp: Path) -> tuple[Path, Path]:
    """English CoNLL and German text files of ``n`` sentences."""
    from xproj.io.conll import read_conll, write_conll

    euro = data_dir / "europarl_ner"
    if (euro / "en-europarl.test.conll02").is_file():
        en = read_conll(euro / "en-europarl.test.conll02", format="tab")
        de = [s.words for s in read_conll(euro / "de-europarl.test.conll02", format="tab")]
        source = "Europarl-NER en-de"
    else:
        en = read_conll(ROOT / "examples/data/demo.en.conll")
        lines = (ROOT / "examples/data/demo.de.txt").read_text(encoding="utf-8").splitlines()
        de = [tuple(line.split()) for line in lines]
        source = "examples/data (repeated)"
    reps = -(-n // len(en))
    en, de = (en * reps)[:n], (de * reps)[:n]
    src, tgt = tmp / "en.conll", tmp / "de.txt"
    write_conll(src, en)
    tgt.write_text("".join(" ".join(words) + "\n" for words in de), encoding="utf-8")
    print(f"data: {n} sentence pairs from {source}", file=sys.stderr)
    return src, tgt


def _config(src: Path, tgt: Path, out: Path, kind: str, workers: int, args: Any) -> RunConfig:
    return RunConfig.from_dict(
        {
            "stages": {
                "aligner": {"backend": "simalign", "params": {"batch_size": args.batch_size}},
                "projectors": [{"backend": "heuristic"}],
            },
            "datasets": [
                {"name": "bench", "lang": "de", "source": str(src), "translations": str(tgt)}
            ],
            "output": str(out),
            "cache": False,
            "runner": {
                "kind": kind,
                "chunk_size": args.chunk_size,
                "num_cpus": args.ray_cpus,
                "stages": {
                    "aligner": {"workers": workers, "num_cpus": args.cpus_per_worker},
                },
            },
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = Path(os.environ.get("XPROJ_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--cpus-per-worker", type=float, default=1)
    parser.add_argument("--ray-cpus", type=int, default=None, help="CPUs of a local Ray instance")
    parser.add_argument("--no-local", action="store_true", help="skip the in-process baseline")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src, tgt = _data(args.data, args.sentences, tmp)
        settings = ([] if args.no_local else [("local", 1)]) + [("ray", w) for w in args.workers]
        for kind, workers in settings:
            cfg = _config(src, tgt, tmp / f"out-{kind}-{workers}", kind, workers, args)
            progress = Progress(enabled=False)
            t0 = time.perf_counter()
            run(cfg, progress=progress, plot=False)
            total = time.perf_counter() - t0
            align = next(t for t in progress.timings if t.title == "align")
            runs.append(
                {
                    "runner": kind,
                    "workers": workers,
                    "seconds": round(align.seconds, 2),
                    "sentences_per_second": round(args.sentences / align.seconds, 2),
                    "run_seconds": round(total, 2),
                }
            )
            print(
                f"{kind:<6} workers={workers}: align {align.seconds:7.1f} s  "
                f"{args.sentences / align.seconds:7.2f} sentences/s",
                file=sys.stderr,
            )
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except ImportError:
        pass

    result = {
        "sentences": args.sentences,
        "chunk_size": args.chunk_size,
        "cpus": os.cpu_count(),
        "cpus_per_worker": args.cpus_per_worker,
        "aligner": "simalign (embedded multilingual-e5-small)",
        "runs": runs,
    }
    print(f"\n{'runner':<8}{'workers':>8}{'seconds':>10}{'sent/s':>10}{'speed-up':>10}")
    base = next((r for r in runs if r["runner"] == "ray" and r["workers"] == 1), None)
    for r in runs:
        speed = f"{base['seconds'] / r['seconds']:.2f}x" if base and r["runner"] == "ray" else ""
        print(
            f"{r['runner']:<8}{r['workers']:>8}{r['seconds']:>10.1f}"
            f"{r['sentences_per_second']:>10.2f}{speed:>10}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
