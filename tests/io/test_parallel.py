from __future__ import annotations

import io
from pathlib import Path

import pytest

from xproj.errors import InputError
from xproj.io.parallel import read_parallel_text, read_src_tgt, read_text, write_src_tgt
from xproj.text import split_whitespace
from xproj.types import Sentence


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8", newline="")
    return p


def test_parallel_text_is_split_into_words_and_keeps_empty_lines(tmp_path: Path) -> None:
    src = write(tmp_path, "a.en", "Mr. Smith's car.\n\nHello, world!\n")
    tgt = write(tmp_path, "a.de", "Herr Smiths Auto.\r\nLeer?\r\nHallo, Welt!\r\n")
    sources, targets = read_parallel_text(src, tgt, src_lang="en", tgt_lang="de")
    assert [s.words for s in sources] == [
        ("Mr.", "Smith", "'s", "car", "."),
        (),
        ("Hello", ",", "world", "!"),
    ]
    assert targets[1].words == ("Leer", "?") and targets[0].lang == "de"


def test_only_newlines_end_lines(tmp_path: Path) -> None:
    # U+2028 and U+0085 are line breaks to str.splitlines but not in line-aligned files
    p = write(tmp_path, "x.txt", "one\u2028two\nthree\x85four\n")
    assert [s.words for s in read_text(p, splitter=split_whitespace)] == [
        ("one", "two"),
        ("three", "four"),
    ]


def test_mismatched_line_counts_name_both_files(tmp_path: Path) -> None:
    src = write(tmp_path, "a.en", "a\nb\nc\n")
    tgt = write(tmp_path, "a.de", "a\nb\n")
    with pytest.raises(InputError, match=r"a.en has 3 lines but .*a.de has 2"):
        read_parallel_text(src, tgt)


def test_a_splitter_that_returns_bad_words_is_reported(tmp_path: Path) -> None:
    p = write(tmp_path, "x.txt", "fine\nbad line\n")
    with pytest.raises(InputError, match=r"x.txt:2: the word splitter returned a bad word"):
        read_text(p, splitter=lambda line: [line])


def test_src_tgt_reading_and_errors(tmp_path: Path) -> None:
    p = write(tmp_path, "p.src-tgt", "2 .   ||| 2 .  \nla maison ||| the house\n")
    sources, targets = read_src_tgt(p, src_lang="fr", tgt_lang="en")
    assert [s.words for s in sources] == [("2", "."), ("la", "maison")]
    assert [t.words for t in targets] == [("2", "."), ("the", "house")]
    with pytest.raises(InputError, match=r"p.src-tgt:2: expected .*found 2 '\|\|\|' separators"):
        read_src_tgt(write(tmp_path, "p.src-tgt", "a ||| b\na ||| b ||| c\n"))
    with pytest.raises(InputError, match=r"p.src-tgt:1: expected .*found 0"):
        read_src_tgt(write(tmp_path, "p.src-tgt", "no separator\n"))


def test_src_tgt_tokens_with_unicode_spaces(tmp_path: Path) -> None:
    p = write(tmp_path, "p.src-tgt", "京都 \u3000 府 ||| Kyoto Prefecture\n")
    with pytest.raises(InputError, match=r"p.src-tgt:1: word 1 '\\u3000' contains whitespace"):
        read_src_tgt(p)
    sources, _ = read_src_tgt(p, whitespace_words="replace")
    assert sources[0].words == ("京都", "_", "府")  # indices stay as in the file


def test_write_src_tgt_round_trip() -> None:
    src = [Sentence(("la", "maison")), Sentence(())]
    tgt = [Sentence(("the", "house")), Sentence(("x",))]
    out = io.StringIO()
    write_src_tgt(out, src, tgt)
    assert out.getvalue() == "la maison ||| the house\n ||| x\n"
    back_src, back_tgt = read_src_tgt(io.StringIO(out.getvalue()))
    assert back_src == src and back_tgt == tgt
    with pytest.raises(InputError, match=r"2 source sentences but 1 target"):
        write_src_tgt(io.StringIO(), src, tgt[:1])
    with pytest.raises(InputError, match=r"sentence 0: a word contains '\|\|\|'"):
        write_src_tgt(io.StringIO(), [Sentence(("a|||b",))], [Sentence(("c",))])


@pytest.mark.data
def test_mafand_and_alignment_gold_line_counts(shared_data: Path) -> None:
    root = shared_data / "parallel" / "mafand_mt" / "en-hau"
    src, tgt = read_parallel_text(root / "dev.en", root / "dev.hau", splitter=split_whitespace)
    assert len(src) == len(tgt) == 1300
    gold = shared_data / "alignment_gold"
    counts = {
        pair: len(read_src_tgt(gold / f"{pair}.src-tgt", whitespace_words="replace")[0])
        for pair in ("enfr", "roen", "jaen", "zhen")
    }
    assert counts == {"enfr": 447, "roen": 248, "jaen": 582, "zhen": 450}
    with pytest.raises(InputError, match=r"jaen.src-tgt:351: word 7 '\\u3000'"):
        read_src_tgt(gold / "jaen.src-tgt")
