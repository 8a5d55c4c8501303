from __future__ import annotations

import io
from pathlib import Path

import pytest

from xproj.align.precomputed import PrecomputedAligner
from xproj.errors import InputError
from xproj.io.parallel import read_src_tgt
from xproj.io.pharaoh import read_pharaoh, read_pharaoh_links, write_pharaoh
from xproj.types import Alignment, Sentence


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "a.txt"
    p.write_text(text, encoding="utf-8")
    return p


def test_links_zero_and_one_based_with_empty_lines(tmp_path: Path) -> None:
    assert read_pharaoh_links(write(tmp_path, "0-0 1-2 2p1\n\n3-3\n")) == [
        [(0, 0), (1, 2)],
        [],
        [(3, 3)],
    ]
    assert read_pharaoh_links(write(tmp_path, "1-1 2-3\n"), one_based=True) == [[(0, 0), (1, 2)]]


def test_read_pharaoh_keeps_possible_links_apart(tmp_path: Path) -> None:
    p = write(tmp_path, "1-1 2p2 2p3 1-1 1p1\n2-1\n")
    a = read_pharaoh(p, [2, 2], [3, 1], one_based=True)
    assert a[0] == Alignment(2, 3, ((0, 0),), None, ((1, 1), (1, 2)))  # duplicates read once
    assert a[1].links == ((1, 0),) and a[1].possible == ()


def test_malformed_link_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "0-0\n0-1 1:2\n")
    with pytest.raises(InputError, match=r"a.txt:2: alignment token '1:2' is not of the form i-j"):
        read_pharaoh_links(p)
    with pytest.raises(InputError, match=r"a.txt:1: alignment token '-1-0'"):
        read_pharaoh_links(write(tmp_path, "-1-0\n"))


def test_index_zero_in_one_based_file_hints_zero_based(tmp_path: Path) -> None:
    p = write(tmp_path, "1-1\n0-2\n")
    with pytest.raises(InputError, match=r"a.txt:2: link '0-2' has index 0.*one_based=False"):
        read_pharaoh_links(p, one_based=True)
    with pytest.raises(InputError, match=r"a.txt:2: link '0-2' has index 0"):
        read_pharaoh(p, [2, 2], [2, 2], one_based=True)


def test_index_equal_to_length_in_zero_based_file_hints_one_based(tmp_path: Path) -> None:
    p = write(tmp_path, "0-0\n1-2 2-1\n")
    with pytest.raises(
        InputError, match=r"a.txt:2, sentence 1: link '1-2' lies outside.*one_based=True"
    ):
        read_pharaoh(p, [2, 2], [2, 2])
    with pytest.raises(InputError, match=r"a.txt:2, sentence 1: link '9-1'.*read as 1-based"):
        read_pharaoh(write(tmp_path, "1-1\n9-1\n"), [2, 2], [2, 2], one_based=True)


def test_line_count_must_match_the_sentence_pairs(tmp_path: Path) -> None:
    p = write(tmp_path, "0-0\n0-0\n\n")  # the blank third line is a pair without links
    assert len(read_pharaoh(p, [1, 1, 1], [1, 1, 1])) == 3
    with pytest.raises(InputError, match=r"a.txt has 3 lines but 2 sentence pairs were given"):
        read_pharaoh(p, [1, 1], [1, 1])
    with pytest.raises(InputError, match=r"2 source lengths but 1 target lengths"):
        read_pharaoh(p, [1, 1], [1])


def test_write_round_trip_both_bases(tmp_path: Path) -> None:
    aligns = [Alignment(3, 2, ((0, 0), (2, 1)), None, ((1, 1),)), Alignment(1, 1)]
    out = io.StringIO()
    write_pharaoh(out, aligns)
    assert out.getvalue() == "0-0 2-1 1p1\n\n"
    p = tmp_path / "one.txt"
    write_pharaoh(p, aligns, one_based=True)
    assert p.read_text() == "1-1 3-2 2p2\n\n"
    assert read_pharaoh(p, [3, 1], [2, 1], one_based=True) == aligns
    write_pharaoh(p, aligns, possible=False)
    assert p.read_text() == "0-0 2-1\n\n"


def test_precomputed_aligner_reads_through_read_pharaoh_links(tmp_path: Path) -> None:
    p = write(tmp_path, "1-2 2-1\n")
    aligner = PrecomputedAligner(path=p, one_based=True)
    out = aligner.align([Sentence(("a", "b"))], [Sentence(("B", "A"))])
    assert out[0].links == ((0, 1), (1, 0))


@pytest.mark.data
@pytest.mark.parametrize(
    ("pair", "n", "sure", "possible"),
    [
        ("enfr", 447, 4038, 13400),
        ("roen", 248, 6198, 0),
        ("jaen", 582, 13562, 0),
        ("zhen", 450, 11238, 178),
    ],
)
def test_gold_is_one_based_and_awesome_align_zero_based(
    shared_data: Path, pair: str, n: int, sure: int, possible: int
) -> None:
    root = shared_data / "alignment_gold"
    src, tgt = read_src_tgt(root / f"{pair}.src-tgt", whitespace_words="replace")
    src_lens, tgt_lens = [len(s) for s in src], [len(t) for t in tgt]
    gold = read_pharaoh(root / f"{pair}.gold", src_lens, tgt_lens, one_based=True)
    assert len(gold) == n
    assert sum(len(a.links) for a in gold) == sure
    assert sum(len(a.possible) for a in gold) == possible
    with pytest.raises(InputError, match=r"\.gold:1, sentence 0: .*pass one_based=True"):
        read_pharaoh(root / f"{pair}.gold", src_lens, tgt_lens)
    assert len(read_pharaoh(root / f"{pair}.awesome-align.out", src_lens, tgt_lens)) == n
    with pytest.raises(InputError, match=r"awesome-align.out:1: link .* has index 0"):
        read_pharaoh(root / f"{pair}.awesome-align.out", src_lens, tgt_lens, one_based=True)
