"""xproj.executor's low-resource steps, run through ``xproj run``: the label-project flow
(parallel text whose source side is not labelled), a train step pooling all datasets (plus a
sampled labelled file) into one model, and evaluate steps scoring models on each dataset's
held-out gold, with training sentences that occur in that gold left out.

The labeller and aligner are test doubles (a plugin file); the trained model is a tiny random
encoder built here, so a run takes seconds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _doubles import PLUGIN, unregister_doubles
from xproj.config import ConfigError, RunConfig
from xproj.executor import match_key
from xproj.progress import Progress
from xproj.run import run

# English side (not labelled) and its word-for-word "translation" per dataset
EN = ["Anna sings today", "the dog sleeps", "Bob meets Carl here", "rain falls now"]
XX = ["Anna singt heute", "der Hund schläft", "Bob trifft Carl hier", "Regen fällt jetzt"]
YY = ["Anna chante aujourd'hui", "le chien dort", "Bob voit Carl ici", "la pluie tombe"]
# held-out gold of the first dataset: its second sentence is the third training sentence in
# lower case, so training must leave that one out
DEV = (
    "Ida\tB-PER\nlacht\tO\n\n"
    "bob\tB-PER\ntrifft\tO\ncarl\tB-PER\nhier\tO\n\n"
    "sie\tO\nruft\tO\nMax\tB-PER\n\n"
)
# a labelled file mixed into training: PER and MISC (MISC mapped to O)
MIX = "Zoe\tB-PER\nreads\tO\n\nThe\tO\nEuro\tB-MISC\nfalls\tO\n\nTom\tB-PER\nruns\tO\n\n"


@pytest.fixture(autouse=True)
def _no_leaked_registration() -> Iterator[None]:
    """The plugin registers into the process-wide registries: take it out after each test."""
    yield
    unregister_doubles()


def _write_data(tmp_path: Path) -> None:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n")
    (tmp_path / "fr.txt").write_text("\n".join(EN) + "\n")
    (tmp_path / "xx.txt").write_text("\n".join(XX) + "\n")
    (tmp_path / "yy.txt").write_text("\n".join(YY) + "\n")
    (tmp_path / "dev.conll").write_text(DEV)
    (tmp_path / "mix.conll").write_text(MIX)


def _config(tmp_path: Path, model: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "flow": "label-project",
        "plugins": ["doubles.py"],
        "output": "out",
        "stages": {
            "labeller": {"backend": "test-caps"},
            "aligner": {"backend": "test-diagonal"},
            "projectors": [{"backend": "heuristic"}],
        },
        "datasets": [
            {
                "name": "xx",
                "lang": "xx",
                "source_text": "en.txt",
                "translations": "xx.txt",
                "heldout": {"dev": {"path": "dev.conll", "format": "tab"}},
            },
            {
                "name": "yy",
                "lang": "yy",
                "src_lang": "fr",
                "source_text": "fr.txt",
                "translations": "yy.txt",
            },
        ],
        "steps": [
            {
                "kind": "train",
                "name": "multi",
                "inputs": ["heuristic"],
                "pool": True,
                "mix": [{"path": "mix.conll", "sample": 2, "seed": 3, "label_map": {"MISC": "O"}}],
                "params": {"model": model, "epochs": 1.0, "batch_size": 4, "max_length": 32},
            },
            {"kind": "evaluate", "name": "transfer"},
            {"kind": "evaluate", "name": "proj-multi", "inputs": ["multi"]},
        ],
        "runner": {"chunk_size": 2},
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("transformers")
    from _tiny import tiny_bert_encoder

    path = tmp_path_factory.mktemp("tiny") / "encoder"
    lines = [*EN, *XX, *YY, "Ida lacht sie ruft Max Zoe reads The Euro falls Tom runs"]
    tiny_bert_encoder(path, lines, vocab_size=200, layers=1, positions=64)
    return str(path)


def test_label_project_pooled_train_and_heldout_evaluation(tmp_path: Path, tiny_model: str) -> None:
    _write_data(tmp_path)
    cfg = RunConfig.from_dict(_config(tmp_path, tiny_model), base_dir=tmp_path)
    result = run(cfg, progress=Progress(enabled=False), plot=False)
    out = tmp_path / "out"
    xx, yy = result.datasets
    # label-project: the English side was labelled, then projected onto the translations
    assert [s.lang for s in yy.sources] == ["fr"] * 4 and yy.targets[0].lang == "yy"
    assert [len(p.projected) for p in xx.projections["heuristic"]] == [1, 0, 2, 0]
    assert (out / "xx" / "labels.conll").is_file()
    # one pooled model, in _pooled/, trained on both datasets less the held-out overlap, + mix
    model = out / "_pooled" / "multi"
    assert (model / "xproj_train.json").is_file()
    assert xx.models["multi"] == yy.models["multi"] == str(model)
    trained = xx.reports["train multi"]
    assert trained["heldout_overlap_dropped"] == 1 and trained["dataset_sentences"] == 3
    assert trained["mixed_sentences"] == 2 and trained["pooled"] == ["xx", "yy"]
    assert trained["sentences"] == 3 + 4 + 2
    assert "heldout_overlap_dropped" not in yy.reports["train multi"]  # no held-out gold
    # model transfer (the caps labeller) on xx's dev: Ida and Max right, bob/carl missed
    transfer = result.report.heldout["dev"].scores["xx"]["transfer"]
    assert (transfer["precision"], transfer["recall"]) == (1.0, 0.5)
    assert xx.reports["evaluate transfer"]["dev"]["f1"] == pytest.approx(2 / 3)
    assert "proj-multi" in result.report.heldout["dev"].scores["xx"]
    skipped = "the dataset has no held-out gold (datasets[i].heldout)"
    assert yy.reports["evaluate transfer"] == {"skipped": skipped}
    labelled = (out / "xx" / "transfer.dev.conll").read_text()
    assert labelled.startswith("Ida\tB-PER\nlacht\tO\n\nbob\tO\n")
    # summary.json and the report carry the held-out scores
    summary = json.loads((out / "summary.json").read_text())
    assert summary["heldout"]["f1"]["dev"]["xx"]["transfer"] == pytest.approx(2 / 3)
    assert summary["heldout"]["n"]["dev"] == {"transfer": 1, "proj-multi": 1}
    assert summary["datasets"][0]["reports"]["train multi"]["mixed_sentences"] == 2
    md = (out / "report.md").read_text()
    assert "## Held-out dev F1 by dataset and model (%)" in md and "| xx | xx | 66.7 |" in md
    assert json.loads((out / "report.json").read_text())["heldout"]["dev"]["methods"] == [
        "transfer",
        "proj-multi",
    ]
    # the evaluate steps are not methods of the datasets' own sentences
    assert result.report.methods == ("heuristic", "multi")
    assert "held-out dev" in result.summary.text()
    # a rerun takes everything from the cache: no training, no labelling
    before = (model / "model.safetensors").stat().st_mtime_ns
    again = run(cfg, progress=Progress(enabled=False), plot=False)
    assert (model / "model.safetensors").stat().st_mtime_ns == before
    assert again.summary.to_dict()["cache"]["writes"] == 0
    assert again.summary.heldout == result.summary.heldout


def test_a_changed_trainer_default_trains_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """A train step's cache key holds every train_labeller parameter in effect: a model trained
    under an old default is not returned once the default changes; a parameter the step sets
    itself is not affected by the default."""
    from xproj.executor import _train_key
    from xproj.label.train import train_labeller

    payload = {"train": [], "output_dir": "m", "params": {"epochs": 1.0}}
    before = _train_key(payload)
    assert before["params"]["epochs"] == 1.0 and "head_learning_rate" in before["params"]
    assert "output_dir" not in before["params"] and "overwrite" not in before["params"]
    defaults = dict(train_labeller.__kwdefaults__ or {})
    monkeypatch.setattr(
        train_labeller, "__kwdefaults__", {**defaults, "head_learning_rate": 0.5, "epochs": 9.0}
    )
    after = _train_key(payload)
    assert after["params"]["head_learning_rate"] == 0.5 != before["params"]["head_learning_rate"]
    assert after["params"]["epochs"] == 1.0


def test_per_dataset_train_leaves_heldout_sentences_out(tmp_path: Path, tiny_model: str) -> None:
    _write_data(tmp_path)
    data = _config(tmp_path, tiny_model)
    train = {k: v for k, v in data["steps"][0].items() if k not in ("pool", "mix")}
    train["label_dataset"] = False  # only the evaluate step uses the models
    data["steps"] = [train, {"kind": "evaluate", "name": "own", "inputs": ["multi"]}]
    result = run(RunConfig.from_dict(data, base_dir=tmp_path), progress=Progress(enabled=False))
    xx, yy = result.datasets
    assert "multi" not in xx.projections and result.report.methods == ("heuristic",)
    assert not (tmp_path / "out" / "xx" / "multi.conll").exists()
    assert xx.models["multi"] == str(tmp_path / "out" / "xx" / "multi")
    assert xx.reports["train multi"]["sentences"] == 3  # 4 less the one in dev
    assert yy.reports["train multi"]["sentences"] == 4
    assert "dataset_sentences" not in xx.reports["train multi"]  # as before: nothing pooled
    assert set(result.report.heldout["dev"].scores) == {"xx"}


def test_match_key_ignores_case_spacing_and_tokenisation() -> None:
    assert match_key(["Bob", "trifft", "Carl"]) == match_key(["bob", "trifft", "carl"])
    assert match_key(["New", "York", "."]) == match_key(["NewYork."])
    assert match_key(["Bob", "trifft"]) != match_key(["Bob", "trifft", "Carl"])


def _projection(words: str, spans: list[tuple[int, int, int, float | None]], n_source: int) -> Any:
    """A projection onto ``words``: spans as (start, end, source entity, score)."""
    from xproj.types import ProjectedSpan, Projection

    return Projection.build(
        words.split(), [ProjectedSpan(a, b, "PER", src, sc) for a, b, src, sc in spans], n_source
    )


def _filtered(filter: str, min_score: float | None, projections: list[Any]) -> Any:
    from xproj.executor import DatasetState, ExtraStep, _training_set
    from xproj.types import LabelledSentence

    d = DatasetState("xx", "xx", {}, frozenset(), methods={"heuristic": projections})
    d.heldout["dev"] = [LabelledSentence(("held", "out"), ())]
    step = ExtraStep("train", "m", ("heuristic",), filter=filter, min_score=min_score)
    return _training_set(d, step)


def test_train_filters_count_every_sentence_under_its_first_reason() -> None:
    projections = [
        _projection("Ann sings", [(0, 1, 0, 1.0)], 1),  # complete
        _projection("Ann and Bo", [(0, 1, 0, 1.0)], 2),  # Bo unprojected
        _projection("Ann Lee sings", [(0, 1, 0, 1.0), (1, 2, 0, 1.0)], 1),  # one entity split
        _projection("Held out", [], 0),  # in the held-out gold
        _projection("Ann Lee sings", [(0, 2, 0, 0.5)], 1),  # half of it aligned
        _projection("rain falls", [], 0),  # no entity: complete
    ]
    kept, counts = _filtered("none", None, projections)
    assert len(kept) == 5 and counts == {"heldout_overlap_dropped": 1}  # as before: no filter
    kept, counts = _filtered("complete", None, projections)
    assert kept == [projections[k].target for k in (0, 2, 4, 5)]
    assert counts == {
        "projected_sentences": 6,
        "heldout_overlap_dropped": 1,
        "filter_dropped": {"unprojected_entity": 1},
        "dataset_sentences": 4,
    }
    kept, counts = _filtered("complete+count", 0.6, projections)
    assert [s.words for s in kept] == [("Ann", "sings"), ("rain", "falls")]
    assert counts["filter_dropped"] == {"unprojected_entity": 1, "span_count": 1, "low_score": 1}
    total = counts["heldout_overlap_dropped"] + sum(counts["filter_dropped"].values())
    assert total + counts["dataset_sentences"] == counts["projected_sentences"]


def test_train_min_score_needs_scored_spans() -> None:
    unscored = [_projection("Ann sings", [(0, 1, 0, None)], 1)]
    with pytest.raises(ValueError, match=r"dataset xx, sentence 0: .* has no score .*min_score"):
        _filtered("none", 0.5, unscored)
    with pytest.raises(ValueError, match="no filter named 'all'"):
        _filtered("all", None, unscored)


def test_pooled_train_filter_reports_each_dataset(tmp_path: Path, tiny_model: str) -> None:
    _write_data(tmp_path)
    # yy's third translation lost "Carl": that sentence has an unprojected entity
    (tmp_path / "yy.txt").write_text("\n".join([*YY[:2], "Bob voit", YY[3]]) + "\n")
    data = _config(tmp_path, tiny_model)
    data["steps"][0].update(filter="complete", min_score=0.9, label_dataset=False)
    data["steps"] = data["steps"][:1]
    result = run(RunConfig.from_dict(data, base_dir=tmp_path), progress=Progress(enabled=False))
    xx, yy = (d.reports["train multi"] for d in result.datasets)
    assert xx["heldout_overlap_dropped"] == 1 and xx["dataset_sentences"] == 3
    assert xx["filter_dropped"] == {"unprojected_entity": 0, "low_score": 0}
    assert yy["filter_dropped"] == {"unprojected_entity": 1, "low_score": 0}
    assert yy["projected_sentences"] == 4 and yy["dataset_sentences"] == 3
    assert xx["sentences"] == 3 + 3 + 2  # both datasets' kept sentences and the mix


def test_filter_is_a_train_step_field(tmp_path: Path) -> None:
    _write_data(tmp_path)
    data = _config(tmp_path, "unused")
    data["steps"][1]["filter"] = "complete"
    with pytest.raises(ConfigError, match=r"steps\[1\]\.filter: only a train step filters"):
        RunConfig.from_dict(data, base_dir=tmp_path)
    data["steps"][1].pop("filter")
    data["steps"][0]["filter"] = "all"
    with pytest.raises(ConfigError, match=r"steps\[0\]\.filter: .*'complete\+count'"):
        RunConfig.from_dict(data, base_dir=tmp_path)


def test_mix_type_outside_the_train_types_names_the_entry(tmp_path: Path) -> None:
    """MISC is mapped to O in the default mix entry; without that map, training on PER only
    would stop deep inside training: the run stops before any stage, naming entry and type."""
    _write_data(tmp_path)
    data = _config(tmp_path, "unused")
    data["steps"][0]["params"]["types"] = ["PER"]
    from xproj.run import _read_mix

    mixed = _read_mix(RunConfig.from_dict(data, base_dir=tmp_path), 0, 0)
    assert len(mixed) == 2 and {sp.label for s in mixed for sp in s.spans} <= {"PER"}
    data["steps"][0]["mix"][0].pop("label_map")
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    with pytest.raises(
        ConfigError, match=r"steps\[0\]\.mix\[0\] \(.*mix\.conll\): .*type\(s\) MISC"
    ):
        run(cfg, progress=Progress(enabled=False), plot=False)
    assert not (tmp_path / "out" / "xx").exists()  # nothing ran


EN2 = ["Max reads", "Tom runs far"]
XX2 = ["Max liest", "Tom läuft weit"]


def _parts_config(tmp_path: Path, **xx: Any) -> dict[str, Any]:
    """Two parts for xx (en.txt + en2.txt), no steps: only reading, labelling, projecting."""
    _write_data(tmp_path)
    (tmp_path / "en2.txt").write_text("\n".join(EN2) + "\n")
    (tmp_path / "xx2.txt").write_text("\n".join(XX2) + "\n")
    data = _config(tmp_path, "unused")
    data["steps"] = []
    data["datasets"][0].update(
        {"source_text": ["en.txt", "en2.txt"], "translations": ["xx.txt", "xx2.txt"], **xx}
    )
    return data


def test_dataset_reads_several_files_drops_heldout_then_samples(tmp_path: Path) -> None:
    import random

    data = _parts_config(tmp_path, drop_heldout=True, sample=3, seed=0)
    result = run(RunConfig.from_dict(data, base_dir=tmp_path), progress=Progress(enabled=False))
    xx, yy = result.datasets
    # 6 pairs in two files; "Bob trifft Carl hier" is in the dev gold (as "bob trifft carl
    # hier"), so 3 of the other 5 are drawn, as random.Random(0).shuffle orders them
    usable = [0, 1, 3, 4, 5]
    random.Random(0).shuffle(usable)
    chosen = sorted(usable[:3])
    pairs = list(zip([*EN, *EN2], [*XX, *XX2]))
    assert [(" ".join(s.words), t.text) for s, t in zip(xx.sources, xx.targets)] == [
        pairs[i] for i in chosen
    ]
    assert xx.origins == [(0, i) if i < 4 else (1, i - 4) for i in chosen]
    assert xx.reports["read"] == {
        "sentences": 6,
        "heldout_dropped": 1,
        "not_sampled": 2,
        "used": 3,
    }
    assert "read" not in yy.reports and yy.origins == []  # one file, nothing chosen: as before
    # a sample larger than the usable pairs keeps them all; limit then cuts
    data = _parts_config(tmp_path, drop_heldout=True, sample=10, limit=4)
    xx = run(
        RunConfig.from_dict(data, base_dir=tmp_path), progress=Progress(enabled=False)
    ).datasets[0]
    assert [t.text for t in xx.targets] == [XX[0], XX[1], XX[3], XX2[0]]
    assert xx.reports["read"] == {
        "sentences": 6,
        "heldout_dropped": 1,
        "not_sampled": 0,
        "beyond_limit": 1,
        "used": 4,
    }


def test_dataset_parts_must_line_up(tmp_path: Path) -> None:
    from xproj.errors import InputError

    data = _parts_config(tmp_path)
    (tmp_path / "xx2.txt").write_text(XX2[0] + "\n")
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    with pytest.raises(
        InputError, match=r"xx2\.txt.*has 1 sentences but the source text .*en2\.txt"
    ):
        run(cfg, progress=Progress(enabled=False))
    data["datasets"][0]["translations"] = "xx.txt"
    with pytest.raises(ConfigError, match=r"datasets\[0\]: .*source_text 2, translations 1"):
        RunConfig.from_dict(data, base_dir=tmp_path)
    data = _parts_config(tmp_path, source_text=[])
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.source_text: .*at least 1 item"):
        RunConfig.from_dict(data, base_dir=tmp_path)
    data = _parts_config(tmp_path, drop_heldout=True)
    data["datasets"][0].pop("heldout")
    with pytest.raises(ConfigError, match=r"datasets\[0\]: drop_heldout needs held-out gold"):
        RunConfig.from_dict(data, base_dir=tmp_path)
    data = _parts_config(tmp_path)
    data["datasets"][0]["translations"][1] = "missing.txt"
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.translations\[1\]: file not found"):
        RunConfig.from_dict(data, base_dir=tmp_path).check_files()


def test_reproject_puts_the_trained_model_in_the_loop(tmp_path: Path, tiny_model: str) -> None:
    """Round 2 as steps: the pooled model's spans and probabilities drive a matching projector
    over the flow's labels and alignments; a second model trains on its output."""
    from xproj.config import StageSpec, build_component
    from xproj.executor import model_in_the_loop

    _write_data(tmp_path)
    data = _config(tmp_path, tiny_model)
    train = {**data["steps"][0], "label_dataset": False}
    again = {k: v for k, v in train.items() if k != "mix"} | {"name": "multi-r2"}
    data["steps"] = [
        train,
        {"kind": "reproject", "name": "r2", "inputs": ["multi"]},
        again | {"inputs": ["r2"]},
        {"kind": "evaluate", "name": "proj-r2", "inputs": ["multi-r2"]},
    ]
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    result = run(cfg, progress=Progress(enabled=False), plot=False)
    xx, yy = result.datasets
    model = str(tmp_path / "out" / "_pooled" / "multi")
    # the same projections as the greedy projector built with that model, called directly
    direct = build_component("projector", model_in_the_loop(None, model))
    for d in (xx, yy):
        assert d.projections["r2"] == direct.project(d.sources, d.targets, d.alignments)
    assert [p.n_source for p in xx.projections["r2"]] == [1, 0, 2, 0]
    assert result.report.methods == ("heuristic", "r2")
    assert xx.reports["train multi-r2"]["pooled"] == ["xx", "yy"]
    assert "proj-r2" in result.report.heldout["dev"].scores["xx"]
    # the projector's other parameters are kept; candidates and scorer are the step's
    spec = model_in_the_loop(StageSpec(backend="greedy", params={"n_proj": 2}), model)
    built = build_component("projector", spec)
    assert built.n_proj == 2
    assert type(built.candidates).__name__ == "UnionCandidates"
    assert type(built.scorer).__name__ == "WeightedFusion"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"inputs": ["heuristic"]}, "puts one earlier train step's model in the loop"),
        ({"inputs": ["multi"], "projector": {"backend": "heuristic"}}, "no matching projector"),
        (
            {"inputs": ["multi"], "projector": {"backend": "greedy", "params": {"scorer": {}}}},
            "sets scorer from the trained model",
        ),
        ({"inputs": ["multi"], "params": {"n_proj": 2}}, "a reproject step takes none"),
        ({"inputs": ["heuristic"], "kind": "vote", "projector": {"backend": "greedy"}}, "only a"),
    ],
)
def test_bad_reproject_steps(tmp_path: Path, step: dict[str, Any], message: str) -> None:
    _write_data(tmp_path)
    data = _config(tmp_path, "m")
    data["steps"] = [data["steps"][0], {"kind": "reproject", "name": "r2", **step}]
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(data, base_dir=tmp_path)


def test_trained_models_label_where_and_as_the_flow_labeller_labels() -> None:
    """A config whose labeller runs on a GPU in bfloat16 evaluates and re-projects with its
    trained models the same way (device, dtype, batch size, decoding); what it labels (its
    model, its label map) is not passed on."""
    from xproj.config import StageSpec
    from xproj.executor import Backend, DatasetState, Executor, ExtraStep, model_in_the_loop
    from xproj.flows import FLOWS
    from xproj.reported import Reported
    from xproj.types import LabelledSentence

    seen: list[tuple[str, Any]] = []

    class Recording(Backend):
        def map(
            self, title: str, slot: str, component: Any, work: list[tuple[str, dict[str, Any]]]
        ) -> dict[str, Reported[Any]]:
            seen.append((title, component))
            out = {n: [LabelledSentence(x.words) for x in c["sentences"]] for n, c in work}
            return {n: Reported(items) for n, items in out.items()}

        def whole(self, title: str, task: str, dataset: str, payload: dict[str, Any]) -> Any:
            raise AssertionError("nothing is trained here")

    how = {"device": "cuda", "dtype": "bfloat16", "batch_size": 256, "decoding": "viterbi"}
    labeller = StageSpec(backend="transformers", params={"model": "en", "label_map": {}, **how})
    flow = FLOWS["label-project"]
    d = DatasetState("xx", "xx", {}, frozenset({flow.goal}))  # the flow has nothing to do
    d.models["multi"] = "m"
    d.heldout["dev"] = [LabelledSentence(("Ida", "lacht"))]
    ex = Executor(
        flow,
        {"labeller": labeller},
        Recording(),
        extra=[ExtraStep("evaluate", "proj-multi", ("multi",))],
    )
    ex.run([d])
    assert seen == [
        ("evaluate proj-multi dev", StageSpec(backend="transformers", params={**how, "model": "m"}))
    ]
    assert d.evaluations["proj-multi"]["dev"] == [LabelledSentence(("Ida", "lacht"))]
    in_loop = model_in_the_loop(None, "m", how)
    extractors = in_loop.params["candidates"]["extractors"]
    assert extractors[1]["labeller"] == {"type": "transformers", **how, "model": "m"}
    assert in_loop.params["scorer"]["scorers"][1]["labeller"] == extractors[1]["labeller"]
    # a labeller given as an object (a Pipeline's) passes nothing on
    plain = Executor(flow, {"labeller": object()}, Recording())
    assert plain._trained("m") == StageSpec(backend="transformers", params={"model": "m"})


# unlabelled sentences of xx for self-training: the first occurs in its dev gold (in other
# case), the third line is empty; both are left out before the draw
UNLABELLED = ["BOB trifft CARL hier", "Ida singt", "", "Max schläft heute", "Anna ruft Bob"]


def _selftrain_config(tmp_path: Path, model: str, **step: Any) -> dict[str, Any]:
    _write_data(tmp_path)
    (tmp_path / "xx-mono.txt").write_text("\n".join(UNLABELLED) + "\n")
    data = _config(tmp_path, model)
    data["datasets"][0]["unlabelled"] = {"path": "xx-mono.txt", "sample": 2, "seed": 1}
    train = {**data["steps"][0], "label_dataset": False}
    # types: the tiny model may label no entity at all
    params = {"epochs": 1.0, "batch_size": 4, "max_length": 32, "types": ["PER"]}
    data["steps"] = [
        train,
        {"kind": "selftrain", "name": "st", "inputs": ["multi"], "pool": True, "params": params}
        | step,
        {"kind": "evaluate", "name": "proj-st", "inputs": ["st"]},
    ]
    return data


def test_selftrain_labels_unlabelled_sentences_and_trains_from_the_model(
    tmp_path: Path, tiny_model: str
) -> None:
    """The pooled model labels xx's unlabelled sentences (held-out and empty ones left out,
    two drawn); a new model trains on those labels, starting from the pooled model, and is
    evaluated and labels the datasets' target sentences as a train step's would."""
    from xproj.label.transformers import TransformersLabeller
    from xproj.types import Sentence

    data = _selftrain_config(tmp_path, tiny_model)
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    result = run(cfg, progress=Progress(enabled=False), plot=False)
    xx, yy = result.datasets
    assert xx.reports["read unlabelled"] == {
        "sentences": 5,
        "heldout_dropped": 1,
        "empty_dropped": 1,
        "not_sampled": 1,
        "used": 2,
    }
    assert "read unlabelled" not in yy.reports  # yy gives none: it adds nothing to the pool
    out = tmp_path / "out" / "_pooled"
    report = xx.reports["selftrain st"]
    assert report["unlabelled_sentences"] == 2 and report["dataset_sentences"] == 2
    assert yy.reports["selftrain st"]["unlabelled_sentences"] == 0
    assert report["pooled"] == ["xx", "yy"] and report["sentences"] == 2
    # it started from the teacher (train_labeller records the model it started from)
    info = json.loads((out / "st" / "xproj_train.json").read_text())
    assert info["model"] == str(out / "multi")
    assert xx.models["st"] == str(out / "st")
    # what it learnt from: the teacher's labels of the two sentences drawn (seed 1)
    usable = [UNLABELLED[i] for i in (1, 3, 4)]
    order = list(range(3))
    random.Random(1).shuffle(order)
    drawn = [usable[i] for i in sorted(order[:2])]
    teacher = TransformersLabeller(model=str(out / "multi"))
    labelled = teacher.label([Sentence(tuple(w.split())) for w in drawn])
    assert report["pseudo_entities"] == sum(len(s.spans) for s in labelled)
    assert "proj-st" in result.report.heldout["dev"].scores["xx"]
    # label_dataset: its labels of the translations are a method in the report
    assert result.report.methods == ("heuristic", "st")
    assert [p.target.words for p in yy.projections["st"]] == [tuple(y.split()) for y in YY]
    # a rerun takes the labels and the model from the cache
    again = run(cfg, progress=Progress(enabled=False), plot=False)
    assert again.summary.to_dict()["cache"]["writes"] == 0


def test_selftrain_min_score_leaves_low_scored_sentences_out() -> None:
    """A sentence with a span the model scored below min_score is left out, counted; a
    sentence without spans stays (the model found nothing in it)."""
    from xproj.executor import ExtraStep, _pseudo_labelled
    from xproj.types import LabelledSentence, Span

    labelled = [
        LabelledSentence(("Ida", "lacht"), (Span(0, 1, "PER", 0.95),)),
        LabelledSentence(("Bob", "und", "Max"), (Span(0, 1, "PER", 0.9), Span(2, 3, "PER", 0.4))),
        LabelledSentence(("es", "regnet")),
    ]
    step = ExtraStep("selftrain", "st", ("multi",), min_score=0.5)
    kept, counts = _pseudo_labelled(labelled, step, "xx")
    assert kept == [labelled[0], labelled[2]]
    assert counts == {
        "unlabelled_sentences": 3,
        "low_score_dropped": 1,
        "dataset_sentences": 2,
        "pseudo_entities": 1,
    }
    _, plain = _pseudo_labelled(labelled, ExtraStep("selftrain", "st", ("multi",)), "xx")
    assert plain == {"unlabelled_sentences": 3, "dataset_sentences": 3, "pseudo_entities": 3}
    # a span without a score cannot be filtered by score: an error, not a silent keep
    unscored = [labelled[0], LabelledSentence(("Ida",), (Span(0, 1, "PER"),))]
    with pytest.raises(ValueError, match=r"'st', dataset xx, unlabelled sentence 1: .*no score"):
        _pseudo_labelled(unscored, step, "xx")
    # without min_score it trains as labelled
    kept, _ = _pseudo_labelled(unscored, ExtraStep("selftrain", "st", ("multi",)), "xx")
    assert kept == unscored


def test_unlabelled_conll_words_with_empty_tokens_skipped(tmp_path: Path) -> None:
    """A CoNLL file's words serve as unlabelled sentences; a word line without a token is an
    error naming the line unless empty_tokens = "skip" (a warning naming it)."""
    from xproj._run_read import _read_unlabelled
    from xproj.config import UnlabelledFile
    from xproj.errors import InputError

    path = tmp_path / "train.txt"
    # the labels are not read: an I- tag after O is no error
    path.write_text("Ida B-PER\nlacht O\n\n O\nsie I-ORG\n\n")
    ref = UnlabelledFile(path=str(path), format="masakhaner")
    with pytest.raises(InputError, match=r"train\.txt:4: empty token"):
        _read_unlabelled(ref, path, "xx", {})
    skip = UnlabelledFile(path=str(path), format="masakhaner", empty_tokens="skip")
    with pytest.warns(UserWarning, match="at line"):
        got, counts = _read_unlabelled(skip, path, "xx", {})
    assert [s.words for s in got] == [("Ida", "lacht"), ("sie",)]
    assert got[0].lang == "xx" and counts["used"] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inputs": ["heuristic"]}, r"steps\[1\]\.inputs: a selftrain step has one earlier train"),
        ({"params": {"epoch": 1}}, r"steps\[1\]\.params: a selftrain step takes train_labeller"),
        ({"pool": False}, "dataset.s. yy give none: .*or pool = true"),
        ({"filter": "complete"}, r"steps\[1\]\.filter: only a train step filters"),
    ],
)
def test_bad_selftrain_steps(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    data = _selftrain_config(tmp_path, "m", **change)
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(data, base_dir=tmp_path)


def test_selftrain_needs_unlabelled_sentences(tmp_path: Path) -> None:
    data = _selftrain_config(tmp_path, "m")
    data["datasets"][0].pop("unlabelled")
    with pytest.raises(ConfigError, match="dataset.s. xx, yy give none: set datasets"):
        RunConfig.from_dict(data, base_dir=tmp_path)
