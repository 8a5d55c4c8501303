import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xproj import InputError, LabelledSentence, ParameterError, Pipeline, Sentence, Span
from xproj.align.base import Aligner
from xproj.align.precomputed import PrecomputedAligner
from xproj.config import ConfigError, ConllFile, RunConfig, StageSpec, TextFile
from xproj.executor import ExtraStep
from xproj.label.base import Labeller
from xproj.pipeline import PipelineResult
from xproj.progress import Progress
from xproj.project.base import Projector
from xproj.translate.base import Translator
from xproj.types import Alignment, ProjectedSpan, Projection


@dataclass(kw_only=True)
class CopyProjector(Projector):
    """Projects each entity onto the same word positions (a test double)."""

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        out = []
        for s, t in zip(sources, targets):
            spans = [
                ProjectedSpan(e.start, e.end, e.label, k, 1.0, "copy")
                for k, e in enumerate(s.spans)
                if e.end <= len(t.words)
            ]
            out.append(Projection.build(t.words, spans, len(s.spans), t.lang))
        return out


@dataclass(kw_only=True)
class UpperTranslator(Translator):
    def _translate(self, sentences: Sequence[Sentence], tgt_lang: str) -> list[Sentence]:
        return [Sentence(tuple(w.upper() for w in s.words), tgt_lang) for s in sentences]


@dataclass(kw_only=True)
class CapsLabeller(Labeller):
    """Labels every capitalised word as a one-word PER."""

    def _label(self, sentences: Sequence[Sentence]) -> list[LabelledSentence]:
        return [
            LabelledSentence(
                s.words,
                tuple(Span(i, i + 1, "PER") for i, w in enumerate(s.words) if w[0].isupper()),
                s.lang,
            )
            for s in sentences
        ]


@dataclass(kw_only=True)
class DiagonalAligner(Aligner):
    def _align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return [
            Alignment(len(s), len(t), tuple((i, i) for i in range(min(len(s), len(t)))))
            for s, t in zip(sources, targets)
        ]


SRC = [
    LabelledSentence.from_tags(["Anna", "lives", "in", "Oslo"], ["B-PER", "O", "O", "B-LOC"], "en"),
    LabelledSentence.from_tags(["hello"], ["O"], "en"),
]


def test_translate_train_with_all_stages() -> None:
    pipe = Pipeline(
        translator=UpperTranslator(), aligner=DiagonalAligner(), projector=CopyProjector()
    )
    r = pipe.translate_train(SRC, "xx")
    assert [p.tags for p in r.projections] == [("B-PER", "O", "O", "B-LOC"), ("O",)]
    assert r.targets[0].words == ("ANNA", "LIVES", "IN", "OSLO")
    assert r.counts() == {
        "sentences": 2,
        "entities_in": 2,
        "entities_projected": 2,
        "entities_unprojected": 0,
        "empty_targets": 0,
    }


def test_translate_test_with_precomputed_translations_and_alignments() -> None:
    targets = [Sentence(("anna", "bor", "i", "oslo"), "no"), Sentence((), "no")]
    translations = [Sentence(("Anna", "lives", "in", "Oslo"), "en"), Sentence(("Hi",), "en")]
    pipe = Pipeline(labeller=CapsLabeller(), projector=CopyProjector())
    r = pipe.translate_test(
        targets,
        translations=translations,
        alignments=[Alignment(4, 4, ((0, 0), (3, 3))), Alignment(1, 0)],
    )
    assert r.projections[0].tags == ("B-PER", "O", "O", "B-PER")
    # an empty target is no error: its entity comes out unprojected, and the sentence is kept
    assert r.projections[1].target.words == () and r.projections[1].unprojected == (0,)
    assert r.counts()["empty_targets"] == 1


def test_missing_stage_says_what_to_pass() -> None:
    pipe = Pipeline(projector=CopyProjector())
    with pytest.raises(ParameterError, match="no translator.*translations="):
        pipe.translate_train(SRC, "de")
    with pytest.raises(ParameterError, match="no aligner.*alignments="):
        pipe.translate_train(SRC, "de", translations=[s.sentence for s in SRC])


def test_mismatched_lengths_and_alignments_name_the_problem() -> None:
    pipe = Pipeline(aligner=DiagonalAligner(), projector=CopyProjector())
    with pytest.raises(InputError, match="sources has 2 items but translations has 1"):
        pipe.translate_train(SRC, "de", translations=[SRC[0].sentence])
    bad = PrecomputedAligner(links=[[(0, 9)], []])
    with pytest.raises(InputError, match="sentence 0.*link 0-9 lies outside"):
        Pipeline(aligner=bad, projector=CopyProjector()).translate_train(
            SRC, "de", translations=[s.sentence for s in SRC]
        )


def test_nested_params_reach_stages() -> None:
    pipe = Pipeline(aligner=PrecomputedAligner(links=[[]]), projector=CopyProjector())
    assert pipe.get_params()["aligner__one_based"] is False
    pipe.set_params(aligner__one_based=True)
    assert pipe.aligner is not None and pipe.aligner.get_params()["one_based"] is True
    with pytest.raises(ParameterError, match="'projector' parameter of Pipeline"):
        Pipeline(projector="greedy")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- steps after the flow


@dataclass(kw_only=True)
class FirstOnlyProjector(CopyProjector):
    """Projects only the first entity of each sentence (a test double)."""

    def _project(
        self,
        sources: Sequence[LabelledSentence],
        targets: Sequence[Sentence],
        alignments: Sequence[Alignment],
    ) -> list[Projection]:
        out = super()._project(sources, targets, alignments)
        return [Projection.build(p.target.words, p.projected[:1], p.n_source) for p in out]


def _step_pipeline(**kw: Any) -> Pipeline:
    return Pipeline(
        labeller=CapsLabeller(),
        aligner=DiagonalAligner(),
        projector={"copy": CopyProjector(), "first": FirstOnlyProjector()},
        **kw,
    )


TARGETS = [Sentence(("Anna", "met", "Bob"), "xx"), Sentence(("no", "Names"), "xx")]
ENGLISH = [Sentence(t.words, "en") for t in TARGETS]


def test_refine_and_vote_steps_run_in_memory() -> None:
    from xproj.backtranslate import BackTranslationRefiner

    refiner = BackTranslationRefiner(translator=UpperTranslator(), aligner=DiagonalAligner())
    pipe = _step_pipeline(
        steps=[
            ExtraStep("refine", "bt", ("first",), refiner),
            ExtraStep("vote", "two", ("copy", "first", "bt"), params={"min_votes": 2}),
            ExtraStep("vote", "any", ("first", "bt"), params={"min_votes": 1}),
        ]
    )
    r = pipe.translate_test(TARGETS, translations=ENGLISH)
    assert list(r.methods) == ["copy", "first", "bt", "two", "any"]
    assert r.projections == r.methods["copy"]
    assert [p.tags for p in r.methods["copy"]] == [("B-PER", "O", "B-PER"), ("O", "B-PER")]
    assert [p.tags for p in r.methods["first"]] == [("B-PER", "O", "O"), ("O", "B-PER")]
    # back-translated (upper-cased, linked word to word) the refiner finds every entity; fused
    # with the direct projection (union), it gives back what "first" left out
    assert [p.tags for p in r.methods["bt"]] == [p.tags for p in r.methods["copy"]]
    assert r.methods["bt"][0].projected[0].method == "backtranslation"
    assert r.reports["refine bt"]["sentences"] == 2 and r.reports["refine bt"]["entities"] == 3
    # Bob: copy and bt give it (2 votes); the second vote takes any route's spans
    assert [p.tags for p in r.methods["two"]] == [p.tags for p in r.methods["copy"]]
    assert [p.tags for p in r.methods["any"]] == [p.tags for p in r.methods["copy"]]
    assert r.methods["two"][0].projected[0].method == "two"
    three = _step_pipeline(steps=[ExtraStep("vote", "all", ("copy", "first"), params={})])
    assert [p.tags for p in three.translate_test(TARGETS, translations=ENGLISH).methods["all"]] == [
        ("B-PER", "O", "O"),
        ("O", "B-PER"),
    ]
    assert r.models == {}


def test_steps_are_checked_with_messages_that_say_what_to_do() -> None:
    vote = ExtraStep("vote", "v", ("copy",), params={"min_votes": 2})
    with pytest.raises(ParameterError, match=r"min_votes, an int in \[1, 1\]"):
        _step_pipeline(steps=[vote])
    bool_vote = ExtraStep("vote", "v", ("copy",), params={"min_votes": True})
    with pytest.raises(ParameterError, match=r"min_votes, an int in \[1, 1\]"):
        _step_pipeline(steps=[bool_vote])
    with pytest.raises(ParameterError, match="'nope' is no method before this step.*copy"):
        _step_pipeline(steps=[ExtraStep("vote", "v", ("copy", "nope"))])
    with pytest.raises(ParameterError, match="name the projector"):
        Pipeline(projector=CopyProjector(), steps=[ExtraStep("vote", "v", ("x",))])
    with pytest.raises(ParameterError, match="already a method"):
        _step_pipeline(steps=[ExtraStep("vote", "copy", ("copy",), params={"min_votes": 1})])
    with pytest.raises(ParameterError, match="a refine step reads one method and has a refiner"):
        _step_pipeline(steps=[ExtraStep("refine", "bt", ("copy",))])
    with pytest.raises(ParameterError, match=r"unknown parameters \['epoch'\]"):
        _step_pipeline(steps=[ExtraStep("train", "m", ("copy",), params={"epoch": 1})])
    with pytest.raises(ParameterError, match="not a usable name"):
        _step_pipeline(steps=[ExtraStep("train", "../m", ("copy",))])
    with pytest.raises(ParameterError, match=r"filter: 'full' is not one of none, complete"):
        _step_pipeline(steps=[ExtraStep("train", "m", ("copy",), filter="full")])
    with pytest.raises(ParameterError, match="only a train or selftrain step has min_score"):
        _step_pipeline(
            steps=[ExtraStep("vote", "v", ("copy",), params={"min_votes": 1}, min_score=0.5)]
        )
    with pytest.raises(ParameterError, match="only a train step has filter"):
        _step_pipeline(
            steps=[
                ExtraStep("train", "m", ("copy",)),
                ExtraStep("selftrain", "st", ("m",), filter="complete"),
            ]
        )
    with pytest.raises(ParameterError, match=r"selftrain step reads one earlier train step"):
        _step_pipeline(steps=[ExtraStep("selftrain", "st", ("copy",))])
    with pytest.raises(ParameterError, match=r"selftrain step reads one method .*\['epoch'\]"):
        _step_pipeline(
            steps=[
                ExtraStep("train", "m", ("copy",)),
                ExtraStep("selftrain", "st", ("m",), params={"epoch": 1}),
            ]
        )
    train_m = ExtraStep("train", "m", ("copy",))
    with pytest.raises(ParameterError, match=r"reproject step reads one earlier train step"):
        _step_pipeline(steps=[ExtraStep("reproject", "r2", ("copy",))])
    with pytest.raises(ParameterError, match="give the matching projector as a StageSpec"):
        _step_pipeline(steps=[train_m, ExtraStep("reproject", "r2", ("m",), CopyProjector())])
    with pytest.raises(ParameterError, match="'heuristic' is no matching projector"):
        heuristic = StageSpec(backend="heuristic")
        _step_pipeline(steps=[train_m, ExtraStep("reproject", "r2", ("m",), heuristic)])
    # what depends on the run: the flow, the model folder
    bt = ExtraStep("refine", "bt", ("copy",), StageSpec(backend="backtranslation"))
    with pytest.raises(ParameterError, match="refine works on translate-test"):
        _step_pipeline(steps=[bt]).translate_train(SRC, "xx", translations=ENGLISH)
    train = _step_pipeline(steps=[ExtraStep("train", "m", ("copy",))])
    with pytest.raises(ParameterError, match=r"pass model_dir= .*<model_dir>/m"):
        train.translate_test(TARGETS, translations=ENGLISH)
    selftrain = _step_pipeline(
        steps=[ExtraStep("train", "m", ("copy",)), ExtraStep("selftrain", "st", ("m",))]
    )
    with pytest.raises(ParameterError, match=r"'st' learns .*pass unlabelled="):
        selftrain.translate_test(TARGETS, translations=ENGLISH, model_dir="models")


# the tiny random teacher labels no entity: the types are given, as train_labeller asks then
STUDENT = {"epochs": 1.0, "batch_size": 4, "max_length": 64, "types": ["LOC", "ORG", "PER"]}


def test_selftrain_step_runs_in_memory_on_the_unlabelled_sentences(tmp_path: Path) -> None:
    """A Pipeline's selftrain step: the train step's model labels the run's unlabelled
    sentences and a second model, starting from it, learns from them; the run's own
    sentences are its method, as for a train step."""
    from _demo_train import demo_train_config
    from xproj.config import load_config
    from xproj.io.conll import read_conll
    from xproj.run import read_sentences

    cfg = load_config(demo_train_config(tmp_path))
    train = Pipeline.from_config(cfg).steps[0]
    pipe = Pipeline.from_config(cfg)
    pipe.set_params(steps=[train, ExtraStep("selftrain", "st", (train.name,), params=STUDENT)])
    d = cfg.datasets[0]
    assert isinstance(d.source, ConllFile) and isinstance(d.translations, TextFile)
    sources = read_conll(cfg.resolve(d.source.path), format=d.source.format, lang=cfg.src_lang)
    translations = read_sentences(d.translations, cfg.resolve(d.translations.path), d.lang)
    unlabelled = [Sentence(t.words, d.lang) for t in translations[:5]]
    models = tmp_path / "models"
    out = pipe.translate_train(
        sources, d.lang, translations=translations, model_dir=models, unlabelled=unlabelled
    )
    assert out.models == {train.name: str(models / train.name), "st": str(models / "st")}
    report = out.reports["selftrain st"]
    assert report["unlabelled_sentences"] == 5 and report["dataset_sentences"] == 5
    info = json.loads((models / "st" / "xproj_train.json").read_text())
    assert info["model"] == str(models / train.name)  # it started from the train step's model
    assert [p.target.words for p in out.methods["st"]] == [t.words for t in translations]
    # written back as a config, whose datasets then need unlabelled sentences
    row = {**d.model_dump(exclude_none=True), "unlabelled": {"path": d.translations.path}}
    table = pipe.to_config([row]).steps[1]
    assert (table.kind, table.name, table.inputs) == ("selftrain", "st", [train.name])


def test_a_reproject_step_is_written_back_with_its_projector() -> None:
    from xproj.pipeline import _step_table

    spec = StageSpec(backend="greedy", params={"n_proj": 2})
    table = _step_table(ExtraStep("reproject", "r2", ("m",), spec))
    assert table == {
        "kind": "reproject",
        "name": "r2",
        "inputs": ["m"],
        "projector": {"backend": "greedy", "params": {"n_proj": 2}},
    }


def _refine_vote_config(tmp_path: Path) -> RunConfig:
    """test_run's translate-test run on test doubles, with a refine and a vote step."""
    from _doubles import PLUGIN, TEST_STAGES

    (tmp_path / "doubles.py").write_text(PLUGIN)
    (tmp_path / "input.txt").write_text("Anna met Bob\nno names here\nthe End\n")
    refiner = {
        "backend": "backtranslation",
        "params": {"translator": {"type": "test-upper"}, "aligner": {"type": "test-diagonal"}},
    }
    stages = {**TEST_STAGES, "projectors": [{"backend": "heuristic"}, {"backend": "greedy"}]}
    return RunConfig.from_dict(
        {
            "flow": "translate-test",
            "plugins": ["doubles.py"],
            "stages": stages,
            "steps": [
                {"kind": "refine", "name": "bt", "inputs": ["greedy"], "refiner": refiner},
                {
                    "kind": "vote",
                    "name": "vote",
                    "inputs": ["heuristic", "greedy", "bt"],
                    "params": {"min_votes": 2},
                },
            ],
            "datasets": [{"name": "t", "lang": "xx", "input": "input.txt"}],
            "output": "out",
        },
        base_dir=tmp_path,
    )


def _same_stages(a: RunConfig, b: RunConfig) -> bool:
    """The same stages, projectors compared by the names they are reported under (a Pipeline
    writes its projectors' names, where a config may leave a backend's own name out)."""

    def named(c: RunConfig) -> list[tuple[str, str, dict[str, Any]]]:
        return [(p.display_name, p.backend, p.params) for p in c.stages.projectors]

    rest = [c.stages.model_dump(exclude={"projectors"}) for c in (a, b)]
    return named(a) == named(b) and rest[0] == rest[1]


def _same_methods(memory: PipelineResult, dataset: Any) -> None:
    assert list(memory.methods) == list(dataset.projections)
    for m, projections in memory.methods.items():
        assert [p.to_dict() for p in projections] == [p.to_dict() for p in dataset.projections[m]]


def test_refine_and_vote_config_gives_what_xproj_run_gives(tmp_path: Path) -> None:
    from xproj.run import read_sentences, run

    cfg = _refine_vote_config(tmp_path)
    ds = run(cfg, progress=Progress(enabled=False), plot=False).datasets[0]
    pipe = Pipeline.from_config(cfg)
    assert isinstance(pipe.projector, dict) and list(pipe.projector) == ["heuristic", "greedy"]
    d = cfg.datasets[0]
    assert isinstance(d.input, TextFile)
    memory = pipe.translate_test(read_sentences(d.input, cfg.resolve(d.input.path), d.lang))
    _same_methods(memory, ds)
    assert memory.reports == ds.reports
    assert memory.reports["refine bt"]["sentences"] == 3
    assert memory.projections == memory.methods["heuristic"]
    # config -> Pipeline -> config: the same stages and steps
    plugins = [str(tmp_path / "doubles.py")]  # the config is built relative to the cwd
    again = pipe.to_config(cfg.datasets, flow="translate-test", plugins=plugins)
    assert _same_stages(again, cfg) and again.steps == cfg.steps
    # a refiner given as its spec runs the same
    spec = cfg.steps[0].refiner
    assert spec is not None
    steps = [ExtraStep("refine", "bt", ("greedy",), spec), *pipe.steps[1:]]
    by_spec = Pipeline.from_config(cfg).set_params(steps=steps)
    assert isinstance(by_spec, Pipeline)
    _same_methods(by_spec.translate_test(memory.targets), ds)
    # one projector of the config: the vote reads the others, so it cannot be left out quietly
    with pytest.raises(ConfigError, match=r"steps\[1\] \('vote'\) reads 'heuristic'.*None"):
        Pipeline.from_config(cfg, projector="greedy")


def test_train_config_gives_what_xproj_run_gives(tmp_path: Path) -> None:
    from _demo_train import demo_train_config
    from xproj.config import load_config
    from xproj.io.conll import read_conll
    from xproj.run import read_sentences, run

    cfg = load_config(demo_train_config(tmp_path))
    ds = run(cfg, output=tmp_path / "run", progress=Progress(enabled=False), plot=False).datasets[0]
    pipe = Pipeline.from_config(cfg)
    assert [s.kind for s in pipe.steps] == ["train"]
    d = cfg.datasets[0]
    assert isinstance(d.source, ConllFile) and isinstance(d.translations, TextFile)
    sources = read_conll(cfg.resolve(d.source.path), format=d.source.format, lang=cfg.src_lang)
    translations = read_sentences(d.translations, cfg.resolve(d.translations.path), d.lang)
    memory = pipe.translate_train(
        sources, d.lang, translations=translations, model_dir=tmp_path / "models"
    )
    _same_methods(memory, ds)
    assert memory.models == {"model-de": str(tmp_path / "models" / "model-de")}
    assert (tmp_path / "models" / "model-de" / "config.json").is_file()
    trained = memory.reports["train model-de"]
    assert trained == ds.reports["train model-de"] and trained["sentences"] == 12
    again = pipe.to_config(cfg.datasets, runner=cfg.runner, output=str(cfg.output_dir))
    assert _same_stages(again, cfg) and again.steps == cfg.steps
