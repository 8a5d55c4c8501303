"""The ``xproj`` command line's argument parser: subcommands, options, help texts and exit
statuses. The commands themselves are in :mod:`xproj.cli`."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

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
    """The ``xproj`` argument parser; each subcommand's ``func`` is its command in
    :mod:`xproj.cli`."""
    from xproj import cli  # imported when the parser is built: cli imports this module

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
    p.set_defaults(func=cli._cmd_run)

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
    p.set_defaults(func=cli._cmd_project)

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
    p.set_defaults(func=cli._cmd_align)

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
    p.set_defaults(func=cli._cmd_eval)

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
    p.set_defaults(func=cli._cmd_finetune_aligner)

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
    p.add_argument(
        "--head-lr",
        type=float,
        default=1e-2,
        help="peak learning rate of a new classifier (default: 1e-2)",
    )
    p.add_argument(
        "--types",
        nargs="+",
        metavar="TYPE",
        help="entity types the model predicts (default: those in the training file)",
    )
    p.add_argument(
        "--o-weight",
        type=float,
        default=1.0,
        help="weight of the O tag in the loss (default: 1.0, the plain loss)",
    )
    p.add_argument(
        "--max-entity-free",
        type=float,
        help="largest share of entity-free sentences kept (default: all kept)",
    )
    p.add_argument("--max-length", type=int, default=128, help="subwords per window (default: 128)")
    p.add_argument(
        "--fold-accents",
        action="store_true",
        help="the model reads words without accents and other combining marks (Ìbàdàn as "
        "Ibadan); saved with its tokenizer",
    )
    p.add_argument("--seed", type=int, default=0, help="batch order, head and dropout seed")
    p.add_argument(
        "--precision",
        default="float32",
        choices=("float32", "bfloat16"),
        help="bfloat16: mixed precision, about twice as fast where the CPU or GPU has bfloat16 "
        "units (default: float32)",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    p.set_defaults(func=cli._cmd_train_labeller)

    p = sub.add_parser(
        "backends",
        help="list registered backends and whether their packages are installed",
        description="List every registered backend (built-in and plugin) per stage, and "
        "whether what it needs is installed.",
        formatter_class=_Formatter,
    )
    p.add_argument(
        "--stage",
        choices=(
            "translator",
            "labeller",
            "aligner",
            "projector",
            "scorer",
            "candidates",
            "solver",
            "normaliser",
            "refiner",
        ),
        help="only this stage or kind of component",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    _add_hidden_code(p)
    p.set_defaults(func=cli._cmd_backends, verbose=0, quiet=False, log_format="text")
    return parser
