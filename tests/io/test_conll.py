from __future__ import annotations

import io
from pathlib import Path

import pytest

from xproj.errors import InputError
from xproj.io.conll import ConllFormat, iter_conll, read_conll, write_conll
from xproj.types import LabelledSentence, ProjectedSpan, Projection, Span


def write(tmp_path: Path, text: str, name: str = "f.conll", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def spans(s: LabelledSentence) -> list[tuple[int, int, str]]:
    return [(x.start, x.end, x.label) for x in s.spans]


# --- formats -------------------------------------------------------------------------------


def test_tab_format_blank_line_runs_make_no_empty_sentences(tmp_path: Path) -> None:
    text = "\n\nAngela\tB-PER\nMerkel\tI-PER\n\n\n \t \nParis\tB-LOC\n.\tO\n\n\n"
    sents = read_conll(write(tmp_path, text), format="tab")
    assert [s.words for s in sents] == [("Angela", "Merkel"), ("Paris", ".")]
    assert [spans(s) for s in sents] == [[(0, 2, "PER")], [(0, 1, "LOC")]]
    assert sents[0].lang is None


def test_space_and_masakhaner_formats(tmp_path: Path) -> None:
    text = "Emir B-PER\nSanusi I-PER\nya O\n\nKano B-LOC\n"
    for fmt in ("space", "masakhaner", ConllFormat.AUTO):
        sents = read_conll(write(tmp_path, text), format=fmt, lang="hau")
        assert [spans(s) for s in sents] == [[(0, 2, "PER")], [(0, 1, "LOC")]]
        assert {s.lang for s in sents} == {"hau"}


def test_conll2003_docstart_lines_are_not_sentences(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
        "-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n"
        "-DOCSTART- -X- -X- O\nBRUSSELS NNP B-NP B-LOC\n"
    )
    for fmt in ("conll2003", "auto"):
        sents = read_conll(write(tmp_path, text), format=fmt)
        assert [s.words for s in sents] == [
            ("EU", "rejects"),
            ("Peter", "Blackburn"),
            ("BRUSSELS",),
        ]
        assert sents[1].tags == ("B-PER", "I-PER")


def test_auto_sniffs_tab_with_spaces_in_no_column(tmp_path: Path) -> None:
    sents = read_conll(write(tmp_path, "a\tNN\tO\nb\tNN\tB-X\n"))  # 3 tab columns
    assert [spans(s) for s in sents] == [[(1, 2, "X")]]
    with pytest.raises(InputError, match=r"f.conll:2: expected 3 tab-separated columns"):
        read_conll(write(tmp_path, "a\tNN\tO\nb\tB-X\n"))


def test_panx_lang_prefix_detected_and_stripped(tmp_path: Path) -> None:
    text = "es:Madrid\tB-LOC\nes:es\tO\n\nes:Ana\tB-PER\n"
    sents = read_conll(write(tmp_path, text), format="panx")
    assert [s.words for s in sents] == [("Madrid", "es"), ("Ana",)]
    assert {s.lang for s in sents} == {"es"}
    kept = read_conll(write(tmp_path, text), format="panx", lang_prefix="keep")
    assert kept[0].words == ("es:Madrid", "es:es") and kept[0].lang is None


def test_panx_without_prefix_is_read_unchanged(tmp_path: Path) -> None:
    text = "5:21\tO\nMadrid\tB-LOC\n"
    sents = read_conll(write(tmp_path, text), format="panx", lang="es")
    assert sents[0].words == ("5:21", "Madrid") and sents[0].lang == "es"
    with pytest.raises(InputError, match=r"f.conll:1: lang_prefix='strip' but the tokens"):
        read_conll(write(tmp_path, text), format="panx", lang_prefix="strip")


def test_panx_prefix_errors_name_the_line(tmp_path: Path) -> None:
    text = "es:Madrid\tB-LOC\n\nes:Ana\tB-PER\nBotella\tI-PER\n"
    with pytest.raises(InputError, match=r"f.conll:4: token 'Botella' lacks the language prefix"):
        read_conll(write(tmp_path, text), format="panx")
    with pytest.raises(InputError, match=r"f.conll:1: .*prefix 'es:' but lang='de'"):
        read_conll(write(tmp_path, "es:Madrid\tB-LOC\n"), format="panx", lang="de")


def test_other_tag_schemes_come_out_as_iob2(tmp_path: Path) -> None:
    bioes = "Angela B-PER\nMerkel E-PER\nin O\nParis S-LOC\n"
    assert read_conll(write(tmp_path, bioes), scheme="bioes")[0].tags == (
        "B-PER",
        "I-PER",
        "O",
        "B-LOC",
    )
    iob1 = "U.N. I-ORG\nofficial O\nEkeus I-PER\nheads O\n"
    assert read_conll(write(tmp_path, iob1), scheme="iob1")[0].tags == (
        "B-ORG",
        "O",
        "B-PER",
        "O",
    )


def test_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    p = tmp_path / "bom.conll"
    p.write_bytes("\ufeffParis\tB-LOC\r\n\r\nRoma\tB-LOC\r\n".encode())
    assert [s.words for s in read_conll(p)] == [("Paris",), ("Roma",)]


def test_label_map_on_reading(tmp_path: Path) -> None:
    text = "EU B-ORG\nGerman B-MISC\ncall O\nMonday B-DATE\n"
    s = read_conll(write(tmp_path, text), label_map={"MISC": "O", "DATE": None})[0]
    assert spans(s) == [(0, 1, "ORG")]
    with pytest.raises(InputError, match=r"f.conll:1, sentence 0: entity 0 has label 'ORG'"):
        read_conll(write(tmp_path, text), label_map={"MISC": "O"}, unknown_labels="error")


def test_streams_and_iter_conll_are_lazy() -> None:
    stream = io.StringIO("a O\n\nb B-X\n\nc d e f g\n")
    it = iter_conll(stream, format="space")
    assert next(it).words == ("a",)
    assert next(it).words == ("b",)
    with pytest.raises(InputError, match=r"<stream>:5: expected 2 whitespace-separated columns"):
        next(it)


# --- bad input -----------------------------------------------------------------------------


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "Angela\tB-PER\nMerkel I-PER\n")
    with pytest.raises(InputError, match=r"f.conll:2: expected 2 tab-separated columns.*got 1"):
        read_conll(p, format="tab")
    p = write(tmp_path, "EU NNP B-NP B-ORG\nrejects VBZ O\n")
    with pytest.raises(InputError, match=r"f.conll:2: expected 4 whitespace-separated columns"):
        read_conll(p, format="conll2003")


def test_empty_token_is_an_error_or_skipped_with_a_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "a O\nb O\n O\nc B-X\n")
    with pytest.raises(InputError, match=r"f.conll:3: empty token in ' O'.*empty_tokens='skip'"):
        read_conll(p, format="space")
    with pytest.warns(UserWarning, match=r"skipped 1 word line\(s\).*at line\(s\) 3"):
        sents = read_conll(p, format="space", empty_tokens="skip")
    assert sents[0].words == ("a", "b", "c") and spans(sents[0]) == [(2, 3, "X")]
    with pytest.raises(InputError, match=r"f.conll:2: empty token"):
        read_conll(write(tmp_path, "a\tO\n\tO\n"), format="tab")


def test_bad_tag_names_its_line_and_repair_fixes_it(tmp_path: Path) -> None:
    p = write(tmp_path, "x O\n\nFrance B-LOC\nLigue O\n1 I-ORG\n")
    with pytest.raises(InputError, match=r"f.conll:5, sentence 1: tag 2 'I-ORG' follows 'O'"):
        read_conll(p)
    s = read_conll(p, repair="fix")[1]
    assert spans(s) == [(0, 1, "LOC"), (2, 3, "ORG")]
    with pytest.raises(InputError, match=r"f.conll:1, sentence 0: tag 0 'LOC' is not a IOB2 tag"):
        read_conll(write(tmp_path, "Paris LOC\n"))


def test_token_with_inner_whitespace_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "New\tB-LOC\nYork\u00a0City\tI-LOC\n")
    msg = r"f.conll:2, sentence 0: token 'York\\xa0City' contains whitespace \(U\+00A0\)"
    with pytest.raises(InputError, match=msg):
        read_conll(p, format="tab")


def test_unknown_format_and_unreadable_files(tmp_path: Path) -> None:
    p = write(tmp_path, "a O\n")
    with pytest.raises(InputError, match=r"unknown CoNLL format 'csv'.*'auto', 'tab', 'space'"):
        read_conll(p, format="csv")
    with pytest.raises(InputError, match="no such file"):
        read_conll(tmp_path / "missing.conll")
    latin = write(tmp_path, "a O\nb O\nCaf\u00e9 O\n", encoding="latin-1")
    with pytest.raises(InputError, match=r"f.conll:3: the file is not valid utf-8"):
        read_conll(latin)
    assert read_conll(latin, encoding="latin-1")[0].words[2] == "Caf\u00e9"


# --- writing -------------------------------------------------------------------------------


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    sents = [
        LabelledSentence(("Angela", "Merkel", "visitó", "París"), (Span(0, 2, "PER"),), "es"),
        LabelledSentence(("Hola",), ()),
    ]
    p = tmp_path / "out.conll"
    summary = write_conll(p, sents)
    assert summary.written == 2 and summary.skipped == ()
    assert p.read_text(encoding="utf-8").splitlines()[:2] == ["Angela\tB-PER", "Merkel\tI-PER"]
    back = read_conll(p, lang="es")
    assert [(s.words, s.spans) for s in back] == [(s.words, s.spans) for s in sents]
    write_conll(p, sents, sep=" ")
    assert read_conll(p, format="space")[0].spans == sents[0].spans


def test_write_projections_and_empty_sentences() -> None:
    proj = Projection.build(("Merkel", "kam"), [ProjectedSpan(0, 1, "PER", source=0)], 1)
    empty = Projection.build((), [], 2)  # an empty translation: both entities unprojected
    out = io.StringIO()
    with pytest.raises(InputError, match=r"sentence 1: the sentence has no words.*empty='skip'"):
        write_conll(out, [proj, empty])
    out = io.StringIO()
    summary = write_conll(out, [proj, empty, proj], empty="skip")
    assert summary.written == 2 and summary.skipped == (1,)
    assert out.getvalue() == "Merkel\tB-PER\nkam\tO\n\nMerkel\tB-PER\nkam\tO\n\n"
    with pytest.raises(InputError, match="sep must be a tab or a single space"):
        write_conll(io.StringIO(), [proj], sep=",")


# --- the real benchmark files --------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize("lang", ["en", "de", "es", "it"])
def test_europarl_ner_has_799_sentences_per_language(shared_data: Path, lang: str) -> None:
    sents = read_conll(shared_data / "europarl_ner" / f"{lang}-europarl.test.conll02", format="tab")
    assert len(sents) == 799
    assert {label for s in sents for label in (x.label for x in s.spans)} == {
        "PER",
        "LOC",
        "ORG",
        "MISC",
    }


@pytest.mark.data
def test_conll2003_counts(shared_data: Path) -> None:
    counts = {}
    for split in ("train", "valid", "test"):
        sents = read_conll(shared_data / "conll2003_en" / f"{split}.txt", format="conll2003")
        counts[split] = (len(sents), sum(len(s) for s in sents))
    # the published CoNLL-2003 English sentence and token counts
    assert counts == {
        "train": (14041, 203621),
        "valid": (3250, 51362),
        "test": (3453, 46435),
    }


@pytest.mark.data
def test_masakhaner_reads_and_its_invalid_sequences_are_reported(shared_data: Path) -> None:
    root = shared_data / "masakhaner2"
    assert len(read_conll(root / "hau" / "dev.txt", format="masakhaner", lang="hau")) == 816
    assert len(read_conll(root / "ibo" / "test.txt", format="masakhaner")) == 2181
    with pytest.raises(InputError, match=r"hau/test.txt:12293, sentence 442: tag 2 'I-ORG'"):
        read_conll(root / "hau" / "test.txt", format="masakhaner")
    assert len(read_conll(root / "hau" / "test.txt", format="masakhaner", repair="fix")) == 1633
    with pytest.raises(InputError, match=r"xho/train.txt:44520: empty token"):
        read_conll(root / "xho" / "train.txt", format="masakhaner", repair="fix")


@pytest.mark.data
def test_panx_dev_files_carry_no_lang_prefix(shared_data: Path) -> None:
    sents = read_conll(shared_data / "wikiann_panx_dev" / "dev-es.tsv", format="panx")
    assert len(sents) == 10000
    assert all(s.lang is None for s in sents)  # no prefix detected
    assert sents[0].words[:3] == ("'", "''", "México")
    zh = read_conll(shared_data / "wikiann_panx_dev" / "dev-zh.tsv", format="panx", repair="fix")
    assert len(zh) == 10000
