"""xproj.cache: content-addressed keys, atomic writes, entries never trusted blindly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xproj.cache import StageCache, canonical_json, stage_fingerprint

PAYLOAD = {"sources": [{"words": ["a", "b"], "lang": "en"}], "targets": [{"words": ["x"]}]}
VALUE = {"items": [{"src_len": 2, "tgt_len": 1, "links": [[0, 0]], "scores": [0.1 + 0.2]}]}


def test_round_trip_and_stats(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    key = cache.key("aligner", "fp", PAYLOAD)
    assert cache.get("aligner", key) is None
    assert cache.put("aligner", key, VALUE)
    assert cache.get("aligner", key) == VALUE  # floats come back exactly
    assert ("aligner", key) in cache
    assert cache.path("aligner", key) == tmp_path / "aligner" / key[:2] / f"{key}.entry"
    assert cache.stats.to_dict() == {
        "hits": 1,
        "misses": 1,
        "writes": 1,
        "discarded": 0,
        "failed_writes": 0,
    }


def test_keys_depend_on_stage_fingerprint_and_inputs_only() -> None:
    k = StageCache.key("aligner", "fp", PAYLOAD)
    reordered = {"targets": PAYLOAD["targets"], "sources": PAYLOAD["sources"]}
    assert StageCache.key("aligner", "fp", reordered) == k
    assert StageCache.key("projector", "fp", PAYLOAD) != k
    assert StageCache.key("aligner", "fp2", PAYLOAD) != k
    changed = {**PAYLOAD, "targets": [{"words": ["y"]}]}
    assert StageCache.key("aligner", "fp", changed) != k


def test_fingerprints_change_with_parameters() -> None:
    a = stage_fingerprint("simalign", {"layer": 7, "method": "itermax"}, batch_size=None)
    assert a == stage_fingerprint("simalign", {"method": "itermax", "layer": 7}, batch_size=None)
    assert a != stage_fingerprint("simalign", {"layer": 8, "method": "itermax"}, batch_size=None)
    assert a != stage_fingerprint("simalign", {"layer": 7, "method": "itermax"}, batch_size=8)
    assert canonical_json({"b": [1.0], "a": "é"}) == '{"a":"é","b":[1.0]}'


def _stored(tmp_path: Path) -> tuple[StageCache, str, Path]:
    cache = StageCache(tmp_path)
    key = cache.key("aligner", "fp", PAYLOAD)
    cache.put("aligner", key, VALUE)
    return cache, key, cache.path("aligner", key)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) - 5],  # truncated body
        lambda raw: raw[: raw.index(b"\n") - 3],  # truncated header
        lambda raw: raw[:-2] + bytes([raw[-2] ^ 0x20]) + raw[-1:],  # flipped bit
        lambda raw: b"",  # empty file
        lambda raw: b"garbage without a newline",
        lambda raw: raw.replace(b"XPROJ-CACHE 1", b"XPROJ-CACHE 0", 1),  # other version
    ],
    ids=["truncated", "torn-header", "bitflip", "empty", "garbage", "version"],
)
def test_damaged_entries_are_discarded(tmp_path: Path, damage: object) -> None:
    cache, key, path = _stored(tmp_path)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert cache.get("aligner", key) is None
    assert not path.exists()
    assert cache.stats.discarded == 1
    assert cache.put("aligner", key, VALUE)
    assert cache.get("aligner", key) == VALUE


def test_an_entry_moved_under_another_key_is_not_trusted(tmp_path: Path) -> None:
    cache, _, path = _stored(tmp_path)
    other = cache.key("aligner", "fp", {"other": 1})
    target = cache.path("aligner", other)
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    assert cache.get("aligner", other) is None
    assert cache.stats.discarded == 1


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace"])
def test_a_failed_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    cache = StageCache(tmp_path)
    key = cache.key("aligner", "fp", PAYLOAD)
    real_write = os.write

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    if fail_at == "write":
        # the first write gets half the bytes onto the disk, the next one fails
        state = {"n": 0}

        def partial(fd: int, data: bytes) -> int:
            state["n"] += 1
            if state["n"] > 1:
                full()
            return real_write(fd, bytes(data[: len(data) // 2]))

        monkeypatch.setattr(os, "write", partial)
    else:
        monkeypatch.setattr(os, fail_at, full)
    assert cache.put("aligner", key, VALUE) is False
    monkeypatch.undo()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert cache.stats.failed_writes == 1 and cache.stats.writes == 0
    assert cache.get("aligner", key) is None


def test_a_writer_killed_mid_write_leaves_no_entry(tmp_path: Path) -> None:
    """A process killed between writing its temporary file and renaming it leaves only the
    temporary file; readers never see it, and the next run removes it."""
    code = f"""
import os, sys
from xproj.cache import StageCache
cache = StageCache({str(tmp_path)!r})
real_replace = os.replace
def die(*a):
    os.kill(os.getpid(), 9)
os.replace = die
cache.put("aligner", cache.key("aligner", "fp", {{"x": 1}}), {{"items": [1, 2, 3]}})
"""
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == -9
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].name.endswith(".tmp")
    cache = StageCache(tmp_path)
    assert cache.get("aligner", cache.key("aligner", "fp", {"x": 1})) is None
    assert cache.remove_stale_tmp() == 1
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_temporary_files_of_running_writers_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "aligner" / "ab"
    folder.mkdir(parents=True)
    mine = folder / f".abcd.{os.getpid()}.12345678.tmp"
    mine.write_bytes(b"x")
    assert StageCache(tmp_path).remove_stale_tmp() == 0
    assert mine.exists()


def test_disabled_cache_stores_nothing(tmp_path: Path) -> None:
    cache = StageCache(None)
    assert not cache.enabled
    assert cache.put("aligner", "k", VALUE) is False
    assert cache.get("aligner", "k") is None
    assert cache.stats.misses == 1


def test_fingerprint_changes_when_a_local_model_folder_changes(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "weights.bin").write_bytes(b"v1")
    params = {"model": str(model), "layer": 7}
    first = stage_fingerprint("simalign", params)
    assert stage_fingerprint("simalign", params) == first
    # retrained into the same folder: other bytes, other size
    (model / "weights.bin").write_bytes(b"v2-longer")
    second = stage_fingerprint("simalign", params)
    assert second != first
    # same size, newer modification time
    (model / "weights.bin").write_bytes(b"v3-longer")
    os.utime(model / "weights.bin", ns=(1, 1))
    assert stage_fingerprint("simalign", params) not in (first, second)
    # nested (a wrapped labeller's model), and a single file
    single = tmp_path / "model.bin"
    single.write_text("x = 1")
    nested = {"labeller": {"model": str(single)}, "min_words": 2}
    a = stage_fingerprint("p", nested)
    single.write_text("x = 22")
    assert stage_fingerprint("p", nested) != a
    # other path parameters may be files a backend writes to: taken as written
    log = tmp_path / "calls.log"
    log.write_text("1")
    b = stage_fingerprint("p", {"log": str(log)})
    log.write_text("1 2")
    assert stage_fingerprint("p", {"log": str(log)}) == b
    assert stage_fingerprint("s", {"model": "no/such/model"}) == stage_fingerprint(
        "s", {"model": "no/such/model"}
    )
