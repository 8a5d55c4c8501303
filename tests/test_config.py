"""xproj.config: loading, validation messages, paths, dumping, and Pipeline <-> config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import xproj
from xproj import Pipeline
from xproj._config_io import _toml_module
from xproj.config import (
    ConfigError,
    ConllFile,
    RunConfig,
    StageSpec,
    TextFile,
    build_component,
    dumps_toml,
    load_config,
)

BASE: dict[str, Any] = {
    "stages": {
        "aligner": {"backend": "simalign", "params": {"layer": 6}},
        "projectors": [
            {"backend": "heuristic"},
            {"name": "greedy-2", "backend": "greedy", "params": {"n_proj": 2}},
        ],
    },
    "datasets": [
        {
            "name": "demo-de",
            "lang": "de",
            "source": "data/en.conll",
            "translations": {"path": "data/de.conll", "format": "tab"},
            "gold": "data/de.conll",
        }
    ],
    "output": "out",
}


def _with(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        node: Any = data
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


_DELETE = object()


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict(data)
    return str(e.value)


def test_a_valid_config_builds_and_resolves_paths(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(BASE, base_dir=tmp_path)
    assert cfg.flow == "translate-train"
    assert [p.display_name for p in cfg.stages.projectors] == ["heuristic", "greedy-2"]
    d = cfg.datasets[0]
    assert isinstance(d.source, ConllFile) and d.source.format == "auto"
    assert isinstance(d.translations, TextFile) and d.translations.format == "tab"
    assert cfg.resolve(d.source.path) == tmp_path.resolve() / "data" / "en.conll"
    assert cfg.output_dir == tmp_path.resolve() / "out"
    assert cfg.runner.kind == "local" and cfg.runner.resources("aligner").workers == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"stages__projectors__1__backend": "gredy"},
            "stages.projectors[1].backend: no projector named 'gredy'. "
            "Available: greedy, heuristic, ilp, normalised.",
        ),
        (
            {"stages__aligner__backend": "simalgn"},
            "stages.aligner.backend: no aligner named 'simalgn'. Available: precomputed, simalign",
        ),
        (
            {"stages__aligner__params": {"layer": -1}},
            "stages.aligner.params: The 'layer' parameter of SimAlignAligner must be None or an "
            "int >= 0. Got -1 instead.",
        ),
        (
            {"stages__aligner__params": {"layr": 6}},
            "stages.aligner.params: SimAlignAligner (aligner 'simalign') has no parameter "
            "'layr'; its parameters are: model, layer, method,",
        ),
        (
            {"datasets__0__gld": "x.conll"},
            "datasets[0].gld: unknown field. Allowed here: name, lang, src_lang, source, input, "
            "source_text, translations, labels, alignments, gold, heldout, drop_heldout, "
            "sample, seed, limit",
        ),
        (
            {"datasets__0__source": {"path": "x", "format": "tabb"}},
            "datasets[0].source.format: Input should be 'auto', 'tab', 'space', 'conll2003', "
            "'panx' or 'masakhaner'; got 'tabb'",
        ),
        ({"runner": {"kind": "slurm"}}, "runner.kind: Input should be 'local' or 'ray'"),
        (
            {"runner": {"stages": {"alinger": {"workers": 2}}}},
            "runner.stages: unknown key 'alinger'",
        ),
        ({"runner": {"chunk_size": 0}}, "runner.chunk_size: Input should be greater than"),
        ({"datasets__0__lang": "German!"}, "datasets[0].lang: 'German!' is not a language code"),
        ({"datasets__0__limit": 0}, "datasets[0].limit: Input should be greater than"),
        (
            {"flow": "train"},
            "flow: Input should be 'translate-train', 'translate-test' or 'label-project'",
        ),
        ({"stages__projectors": []}, "stages.projectors: List should have at least 1 item"),
        ({"datasets__0__name": _DELETE}, "datasets[0].name: required field missing"),
        (
            {"stages__aligner": _DELETE},
            "datasets[0]: gives no alignments and [stages.aligner] is not set",
        ),
        (
            {"datasets__0__translations": _DELETE},
            "datasets[0]: gives no translations and [stages.translator] is not set",
        ),
        (
            {"stages__labeller": {"backend": "spacy"}},
            "stages.labeller: translate-train does not label",
        ),
        (
            {"stages__projectors__1__name": "heuristic"},
            "projectors[1] is named 'heuristic' like an earlier one",
        ),
        (
            {"stages__projectors__1__params": {"candidates": {"type": "ngram"}}},
            "stages.projectors[1].params.candidates.type: no candidate extractor named 'ngram'. "
            "Available: ",
        ),
        (
            {"stages__projectors__1__params": {"candidates": {"type": "ngrams", "max": 3}}},
            "stages.projectors[1].params.candidates: NgramCandidates (candidate extractor "
            "'ngrams') has no parameter 'max'",
        ),
        ({"plugins": ["no_such_module_xyz"]}, "plugins[0]: cannot import module"),
    ],
)
def test_errors_name_the_field_and_what_is_allowed(changes: dict[str, Any], expected: str) -> None:
    assert expected in _error(_with(**changes))


def test_translate_test_needs_its_inputs() -> None:
    data = _with(flow="translate-test")
    assert "datasets[0].input: translate-test needs the sentences to label" in _error(data)
    data["datasets"][0]["input"] = "de.txt"
    assert "datasets[0].source: only used by flow = 'translate-train'" in _error(data)
    data["datasets"][0] = {"name": "t", "lang": "sw", "input": "sw.txt"}
    assert "gives neither translations nor labels" in _error(data)
    data["datasets"][0]["labels"] = "en.conll"
    assert RunConfig.from_dict(data).datasets[0].labels is not None


def test_nested_component_parameters_are_built_from_tables() -> None:
    cfg = RunConfig.from_dict(
        _with(
            stages__projectors__1__params={
                "n_proj": 2,
                "candidates": {"type": "aligned_ranges", "max_words": 4},
            }
        )
    )
    projector = build_component("projector", cfg.stages.projectors[1])
    assert type(projector.candidates).__name__ == "AlignedRanges"
    assert projector.candidates.max_words == 4
    # and written back the same way
    pipe = Pipeline(projector=projector, aligner=xproj.aligners.get("simalign"))
    spec = pipe.to_config(BASE["datasets"]).stages.projectors[0]
    assert spec.params["candidates"] == {"type": "aligned_ranges", "max_words": 4}


def test_lists_become_tuples_where_a_tuple_is_declared() -> None:
    spec = StageSpec(
        backend="greedy",
        params={
            "scorer": {
                "type": "fusion",
                "scorers": [{"type": "alignment"}, {"type": "alignment", "threshold": 0.5}],
                "weights": [0.25, 0.75],
            }
        },
    )
    projector = build_component("projector", spec)
    assert projector.scorer.weights == (0.25, 0.75)
    assert projector.scorer.scorers[1].threshold == 0.5


def test_load_toml_yaml_json_give_the_same_config(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(BASE, base_dir=tmp_path)
    for suffix in ("toml", "yaml", "json"):
        path = tmp_path / f"run.{suffix}"
        cfg.dump(path)
        loaded = load_config(path)
        assert loaded == cfg, suffix
        assert loaded.base_dir == tmp_path.resolve()
        assert loaded.resolve(loaded.output) == cfg.output_dir


def test_dump_elsewhere_rebases_relative_paths(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(BASE, base_dir=tmp_path)
    (tmp_path / "sub").mkdir()
    cfg.dump(tmp_path / "sub" / "copy.toml")
    moved = load_config(tmp_path / "sub" / "copy.toml")
    d0, d1 = cfg.datasets[0], moved.datasets[0]
    assert isinstance(d1.source, ConllFile) and d1.source.path == "../data/en.conll"
    assert isinstance(d0.source, ConllFile)
    assert moved.resolve(d1.source.path) == cfg.resolve(d0.source.path)
    assert moved.output_dir == cfg.output_dir


def test_dump_writes_only_what_differs_from_defaults() -> None:
    text = RunConfig.from_dict(BASE).dump()
    data = _toml_module().loads(text)
    assert "runner" not in data and "evaluation" not in data and "cache" not in data
    assert data["stages"]["projectors"][1] == {
        "backend": "greedy",
        "params": {"n_proj": 2},
        "name": "greedy-2",
    }
    assert data["datasets"][0]["translations"] == {"path": "data/de.conll", "format": "tab"}
    assert data["datasets"][0]["source"] == "data/en.conll"


def test_toml_cannot_hold_none_and_says_to_use_yaml() -> None:
    with pytest.raises(ConfigError, match="TOML cannot hold; dump the config as YAML or JSON"):
        dumps_toml({"stages": {"aligner": {"backend": "x", "params": {"layer": None}}}})


def test_env_variables_in_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _with(datasets__0__source="${XPROJ_TEST_DATA:-fallback}/en.conll")
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    d = cfg.datasets[0]
    assert isinstance(d.source, ConllFile)
    assert cfg.resolve(d.source.path) == tmp_path.resolve() / "fallback" / "en.conll"
    monkeypatch.setenv("XPROJ_TEST_DATA", "/elsewhere")
    assert cfg.resolve(d.source.path) == Path("/elsewhere/en.conll")
    data = _with(datasets__0__source="${XPROJ_TEST_UNSET_VAR}/en.conll")
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.source: .*XPROJ_TEST_UNSET_VAR is not"):
        cfg.check_files()


def test_check_files_names_the_missing_file(tmp_path: Path) -> None:
    cfg = RunConfig.from_dict(BASE, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.source: file not found: .*en\.conll"):
        cfg.check_files()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "en.conll").write_text("a\tO\n")
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.translations: file not found"):
        cfg.check_files()


def test_load_config_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("flow = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('datasets = []\n[stages]\n[[stages.projectors]]\nbackend = "gredy"\n')
    with pytest.raises(ConfigError, match=r"wrong\.toml: .*stages\.projectors\[0\]\.backend"):
        load_config(wrong)
    (tmp_path / "x.ini").write_text("")
    with pytest.raises(ConfigError, match=r"use \.toml, \.yaml or \.json"):
        load_config(tmp_path / "x.ini")


def test_plugins_register_backends(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from dataclasses import dataclass\n"
        "import xproj\n"
        "from xproj.project.heuristic import HeuristicProjector\n"
        "@dataclass(kw_only=True)\n"
        "class Mine(HeuristicProjector):\n"
        "    pass\n"
        "if 'test-mine' not in xproj.projectors.names():\n"
        "    xproj.projectors.register('test-mine', Mine)\n"
    )
    data = _with(plugins=["mine.py"], stages__projectors=[{"backend": "test-mine"}])
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    assert cfg.stages.projectors[0].backend == "test-mine"
    data["plugins"] = ["missing.py"]
    with pytest.raises(ConfigError, match=r"plugins\[0\]: file not found"):
        RunConfig.from_dict(data, base_dir=tmp_path)


def test_pipeline_round_trips_through_a_config_file(tmp_path: Path) -> None:
    pipe = Pipeline(
        aligner=xproj.aligners.get("simalign", layer=6, method="match"),
        projector=xproj.projectors.get("ilp", n_proj=2),
    )
    cfg = pipe.to_config(BASE["datasets"], projector_name="exact", output="runs/x")
    assert cfg.stages.aligner is not None
    assert cfg.stages.aligner.params == {"layer": 6, "method": "match"}
    path = tmp_path / "pipe.toml"
    cfg.dump(path)
    again = Pipeline.from_config(path, projector="exact")
    assert again.get_params(deep=False).keys() == pipe.get_params(deep=False).keys()
    assert again.aligner is not None and pipe.aligner is not None
    assert again.aligner.get_params() == pipe.aligner.get_params()
    from xproj.project.base import Projector

    assert isinstance(again.projector, Projector)
    assert again.projector.get_params(deep=False)["n_proj"] == 2
    with pytest.raises(ConfigError, match="no projector named 'nope'; it has exact"):
        Pipeline.from_config(path, projector="nope")


def test_unregistered_components_cannot_be_written() -> None:
    from xproj.align.precomputed import PrecomputedAligner
    from xproj.project.heuristic import HeuristicProjector

    class Local(HeuristicProjector):
        pass

    with pytest.raises(ConfigError, match="Local is not registered as a projector"):
        Pipeline(projector=Local()).to_config(BASE["datasets"])
    # precomputed alignments in memory are written as plain lists (and read back)
    pipe = Pipeline(
        projector=xproj.projectors.get("heuristic"),
        aligner=PrecomputedAligner(links=[[(0, 0)]]),
    )
    cfg = pipe.to_config(BASE["datasets"])
    assert cfg.stages.aligner is not None
    assert cfg.stages.aligner.params == {"links": [[[0, 0]]]}


def _with_model_params(tmp_path: Path, labeller: str, train: str) -> RunConfig:
    """BASE with a labeller's and a train step's model (a label-project flow's stages)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    for name in ("en.txt", "de.txt"):
        (tmp_path / "data" / name).write_text("a\n")
    data = {
        "flow": "label-project",
        "stages": {
            "labeller": {"backend": "transformers", "params": {"model": labeller}},
            "aligner": BASE["stages"]["aligner"],
            "projectors": [{"backend": "heuristic"}],
        },
        "datasets": [
            {
                "name": "d",
                "lang": "de",
                "source_text": "../data/en.txt",
                "translations": "../data/de.txt",
            }
        ],
        "steps": [
            {"kind": "train", "name": "m", "inputs": ["heuristic"], "params": {"model": train}}
        ],
    }
    return RunConfig.from_dict(data, base_dir=tmp_path / "configs")


def test_model_paths_in_params_are_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path in params (./, ../, absolute, or existing next to the config) is rebased like a
    data path and ${VAR} is expanded; a hub name is passed on as written."""
    from xproj.run import _Stages

    (tmp_path / "configs" / "ner").mkdir(parents=True)
    (tmp_path / "models" / "en").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    cfg = _with_model_params(tmp_path, "${XPROJ_TEST_MODELS:-../models}/en", "ner")
    ner, en = tmp_path / "configs" / "ner", tmp_path / "models" / "en"
    assert cfg.stages.labeller is not None and cfg.stages.labeller.params["model"].startswith("$")
    spec = _Stages(cfg, None, None, None).spec("labeller", cfg.stages.labeller)  # type: ignore[arg-type]
    assert spec.params["model"] == str(en.resolve())
    assert cfg.resolve_params(cfg.steps[0].params) == {"model": str(ner.resolve())}
    monkeypatch.setenv("XPROJ_TEST_MODELS", str(tmp_path / "models"))
    assert cfg.resolve_params(cfg.stages.labeller.params)["model"] == str(en)
    cfg.check_files()  # both exist
    # names: a hub model with or without an owner, and a path relative to the current folder
    # that does not exist next to the config, are passed on as written (as before)
    for name in ("xlm-roberta-base", "Davlan/xlm-roberta-base-ner-hrl", "models/en"):
        cfg = _with_model_params(tmp_path, name, name)
        assert cfg.resolve_params(cfg.steps[0].params) == {"model": name}
        cfg.check_files()  # a name cannot be checked
    # Pipeline.from_config reads the same paths
    cfg = _with_model_params(tmp_path, "./ner", "../models/en")
    pipe = Pipeline.from_config(cfg)
    assert pipe.labeller is not None and pipe.labeller.get_params()["model"] == str(ner.resolve())
    assert pipe.steps[0].params == {"model": str(en.resolve())}


def test_check_names_a_missing_model_path(tmp_path: Path) -> None:
    cfg = _with_model_params(tmp_path, "xlm-roberta-base", "../bench-results/english-ner")
    with pytest.raises(
        ConfigError,
        match=r"steps\[0\]\.params\.model: .*bench-results/english-ner does not exist \(from "
        r"'\.\./bench-results/english-ner', relative to .*configs\)",
    ):
        cfg.check_files()
    cfg = _with_model_params(tmp_path, "${XPROJ_TEST_UNSET_VAR}/en", "xlm-roberta-base")
    with pytest.raises(
        ConfigError, match=r"stages\.labeller\.params\.model: .*XPROJ_TEST_UNSET_VAR is not set"
    ):
        cfg.check_files()


def test_dump_elsewhere_rebases_model_paths_but_not_names(tmp_path: Path) -> None:
    (tmp_path / "configs" / "ner").mkdir(parents=True)
    cfg = _with_model_params(tmp_path, "Davlan/xlm-roberta-base-ner-hrl", "ner")
    cfg.dump(tmp_path / "copy.toml")
    moved = load_config(tmp_path / "copy.toml")
    assert moved.stages.labeller is not None
    assert moved.stages.labeller.params["model"] == "Davlan/xlm-roberta-base-ner-hrl"
    assert moved.steps[0].params["model"] == "./configs/ner"
    assert moved.resolve_params(moved.steps[0].params) == cfg.resolve_params(cfg.steps[0].params)


def test_dataset_file_lists_round_trip_and_rebase(tmp_path: Path) -> None:
    data = _with(
        datasets__0__source=["data/en.conll", {"path": "data/en2.conll", "format": "tab"}],
        datasets__0__translations=["data/de.txt", "data/de2.txt"],
        datasets__0__gold=["data/de.conll", "data/de2.conll"],
        datasets__0__sample=100,
        datasets__0__seed=3,
    )
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    d = cfg.datasets[0]
    assert d.parts == 2 and [f.format for f in d.files("source")] == ["auto", "tab"]
    assert [w for w, _ in cfg.data_files()][:2] == [
        "datasets[0].source[0]",
        "datasets[0].source[1]",
    ]
    (tmp_path / "sub").mkdir()
    cfg.dump(tmp_path / "sub" / "copy.toml")
    moved = load_config(tmp_path / "sub" / "copy.toml")
    assert [f.path for f in moved.datasets[0].files("translations")] == [
        "../data/de.txt",
        "../data/de2.txt",
    ]
    assert moved.datasets[0].files("source")[1].format == "tab" and moved.datasets[0].seed == 3
    assert 'source = "data/en.conll"' in RunConfig.from_dict(BASE).dump()  # one file: as before
