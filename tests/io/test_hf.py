"""``xproj.io.hf``: Hugging Face datasets in and out (small datasets built here, no download)."""

from __future__ import annotations

from typing import Any

import pytest

from xproj.errors import InputError
from xproj.types import LabelledSentence, ProjectedSpan, Projection

datasets = pytest.importorskip(
    "datasets", reason='needs the optional datasets package: pip install "xproj[datasets]"'
)

from xproj.io.hf import from_hf_dataset, iob2_label_names, to_hf_dataset  # noqa: E402

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _dataset(tokens: list[list[str]], tags: list[list[int]], names: list[str] = NAMES) -> Any:
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    return datasets.Dataset.from_dict({"tokens": tokens, "ner_tags": tags}, features=features)


def test_reads_tokens_and_classlabel_tags() -> None:
    ds = _dataset([["Anna", "Berg", "in", "Oslo"], []], [[1, 2, 0, 3], []])
    got = from_hf_dataset(ds, lang="de")
    assert got[0] == LabelledSentence.from_tags(
        ["Anna", "Berg", "in", "Oslo"], ["B-PER", "I-PER", "O", "B-LOC"], lang="de"
    )
    assert got[1].words == () and got[1].lang == "de"
    assert from_hf_dataset(ds, label_map={"LOC": "O"})[0].tags == ("B-PER", "I-PER", "O", "O")


def test_round_trip_keeps_words_tags_and_given_names() -> None:
    src = [
        LabelledSentence.from_tags(["Anna", "in", "Oslo"], ["B-PER", "O", "B-LOC"]),
        LabelledSentence(()),
        LabelledSentence.from_tags(["EU"], ["B-ORG"]),
    ]
    ds = to_hf_dataset(src)
    assert ds.features["ner_tags"].feature.names == iob2_label_names(src)
    assert ds.features["ner_tags"].feature.names[:3] == ["O", "B-LOC", "I-LOC"]
    assert ds.num_rows == 3 and ds[1] == {"tokens": [], "ner_tags": []}
    assert from_hf_dataset(ds) == src
    fixed = to_hf_dataset(src[:2], label_names=NAMES)
    assert fixed.features["ner_tags"].feature.names == NAMES
    assert fixed[0]["ner_tags"] == [1, 0, 3]


def test_projections_write_their_target() -> None:
    p = Projection.build(("Anna", "lacht"), [ProjectedSpan(0, 1, "PER", 0, 1.0, "x")], 1, "de")
    assert to_hf_dataset([p])[0] == {"tokens": ["Anna", "lacht"], "ner_tags": [1, 0]}


def test_tag_strings_plain_rows_and_other_schemes() -> None:
    rows = [{"words": ["a", "b"], "labels": ["I-X", "I-X"]}]
    got = from_hf_dataset(rows, tokens="words", tags="labels", scheme="iob1")
    assert got[0].tags == ("B-X", "I-X")
    ids = datasets.Dataset.from_dict({"tokens": [["a"]], "ner_tags": [[1]]})  # no ClassLabel
    assert from_hf_dataset(ids, label_names=["O", "B-X"])[0].tags == ("B-X",)


def test_bad_input_names_the_row_and_the_fix() -> None:
    with pytest.raises(InputError, match=r"sentence 1: row has no 'tokens' and 'ner_tags'"):
        from_hf_dataset([{"tokens": [], "ner_tags": []}, {"words": []}])
    no_names = datasets.Dataset.from_dict({"tokens": [["a"]], "ner_tags": [[1]]})
    with pytest.raises(InputError, match=r"sentence 0: tag id 1 but .* pass label_names="):
        from_hf_dataset(no_names)
    with pytest.raises(InputError, match=r"sentence 0: tag id 7 outside the 5 tag names"):
        from_hf_dataset([{"tokens": ["a"], "ner_tags": [7]}], label_names=NAMES)
    with pytest.raises(InputError, match=r"sentence 0: 2 tokens but 1 tags"):
        from_hf_dataset([{"tokens": ["a", "b"], "ner_tags": ["O"]}])
    with pytest.raises(InputError, match=r"sentence 0: tag 0 'I-PER' starts the sentence"):
        from_hf_dataset(_dataset([["a"]], [[2]]))
    with pytest.raises(InputError, match=r"pass one split, e\.g\. dataset\['train'\]"):
        from_hf_dataset(datasets.DatasetDict({"train": _dataset([], [])}))
    s = LabelledSentence.from_tags(["EU"], ["B-ORG"])
    with pytest.raises(InputError, match=r"sentence 0: tags \['B-ORG'\] are not among label_names"):
        to_hf_dataset([s], label_names=NAMES)
