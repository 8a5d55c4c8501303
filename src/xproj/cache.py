"""An on-disk, content-addressed cache of stage outputs, written so that a killed run resumes.

Each entry holds one chunk of one stage's output. Its key is a SHA-256 of the stage, the
backend's configuration (:func:`stage_fingerprint`) and the chunk's inputs, so a changed
parameter misses only the entries of the stages it affects: changing a projector parameter reuses
the cached alignments, changing the aligner recomputes alignments and projections.

Entries are written atomically: to a temporary file in the same folder, flushed and
``fsync``-ed, then renamed over the final name with :func:`os.replace` (and the folder synced).
A reader therefore sees a complete entry or none. Each entry starts with a header line holding a
magic string, the format version, its key, its body's length and the body's SHA-256; an entry
whose header, length or checksum does not match (a truncated file, a bit flip, a foreign file) is
deleted and recomputed, never trusted. A write that fails (a full disk) leaves no entry and the
run continues without caching that chunk.

Examples
--------
>>> import tempfile
>>> cache = StageCache(tempfile.mkdtemp())
>>> key = cache.key("aligner", "cfg-hash", {"sources": [["a"]], "targets": [["b"]]})
>>> cache.get("aligner", key) is None
True
>>> cache.put("aligner", key, {"items": [[0, 0]]})
True
>>> cache.get("aligner", key)
{'items': [[0, 0]]}
>>> cache.stats.hits, cache.stats.misses, cache.stats.writes
(1, 1, 1)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CacheStats", "StageCache", "canonical_json", "stage_fingerprint"]

log = logging.getLogger("xproj.cache")

MAGIC = "XPROJ-CACHE"
#: Bumped when the entry layout or the meaning of a stage's payload changes.
FORMAT_VERSION = 1


def canonical_json(obj: Any) -> str:
    """``obj`` as JSON with sorted keys and no spaces: equal data gives equal text.

    >>> canonical_json({"b": 1, "a": [1.5, "é"]})
    '{"a":[1.5,"é"],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stage_fingerprint(backend: str, params: dict[str, Any], **extra: Any) -> str:
    """A hash of a stage's configuration: backend name, full parameters and run settings.

    ``params`` should be *all* constructor parameters (defaults included), so a new default in
    a later version does not reuse entries computed under the old one. A ``model`` parameter
    (at any nesting depth) that names an existing local file or folder (a model saved with
    ``save_pretrained``, a spaCy pipeline folder) also contributes the size and modification time
    of every file under it, so a model retrained into the same folder does not reuse entries
    computed with the old one. Other path parameters are taken as written: they may name files a
    backend writes to.
    """
    from xproj import __version__

    blob = canonical_json(
        {
            "backend": backend,
            "params": params,
            "extra": extra,
            "xproj": __version__,
            "local_files": _local_file_signatures(params),
        }
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


#: At most this many files of one local folder are looked at (a model folder holds a handful).
_MAX_SIGNED_FILES = 10_000


def _local_file_signatures(params: Any) -> dict[str, list[list[Any]]]:
    """``{path: [[relative file, size, mtime_ns], ...]}`` for each ``model`` value in
    ``params`` (nested in dicts and lists) that names an existing file or folder."""
    found: dict[str, list[list[Any]]] = {}
    todo: list[Any] = [params]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            for name, item in value.items():
                if name == "model" and isinstance(item, str) and item and item not in found:
                    signature = _signature(Path(item).expanduser())
                    if signature is not None:
                        found[item] = signature
                else:
                    todo.append(item)
        elif isinstance(value, (list, tuple)):
            todo.extend(value)
    return found


def _signature(path: Path) -> list[list[Any]] | None:
    files: list[list[Any]] = []
    try:
        if path.is_file():
            st = path.stat()
            return [[path.name, st.st_size, st.st_mtime_ns]]
        if not path.is_dir():
            return None
        for f in sorted(path.rglob("*")):
            if len(files) >= _MAX_SIGNED_FILES:
                break
            if f.is_file():
                st = f.stat()
                files.append([f.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns])
    except OSError:  # unreadable: the backend says so when it loads the model
        return None
    return files


@dataclass
class CacheStats:
    """What a :class:`StageCache` did: entries found, missed, written, discarded as corrupt,
    and writes that failed."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    discarded: int = 0
    failed_writes: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "writes": self.writes,
            "discarded": self.discarded,
            "failed_writes": self.failed_writes,
        }


class StageCache:
    """Stage outputs stored as ``<root>/<stage>/<key[:2]>/<key>.entry``.

    Parameters
    ----------
    root
        The cache folder (created on first write); None disables caching: :meth:`get` always
        misses and :meth:`put` stores nothing.
    """

    def __init__(self, root: str | Path | None) -> None:
        self.root = None if root is None else Path(root)
        self.stats = CacheStats()

    def __repr__(self) -> str:
        return f"StageCache({str(self.root) if self.root else None!r})"

    @property
    def enabled(self) -> bool:
        return self.root is not None

    @staticmethod
    def key(stage: str, fingerprint: str, inputs: Any) -> str:
        """The entry key of one chunk: a SHA-256 of the stage, its fingerprint and inputs."""
        h = hashlib.sha256()
        h.update(f"{MAGIC} {FORMAT_VERSION} {stage} {fingerprint}\n".encode())
        h.update(canonical_json(inputs).encode("utf-8"))
        return h.hexdigest()

    def path(self, stage: str, key: str) -> Path:
        """Where the entry ``key`` of ``stage`` lives."""
        if self.root is None:
            raise RuntimeError("this cache is disabled (root=None)")
        return self.root / stage / key[:2] / f"{key}.entry"

    # ------------------------------------------------------------------ read

    def get(self, stage: str, key: str) -> Any | None:
        """The stored value, or None when absent; a corrupt entry is deleted and reported."""
        if self.root is None:
            self.stats.misses += 1
            return None
        p = self.path(stage, key)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            self.stats.misses += 1
            return None
        except OSError as e:
            log.warning("cache entry %s unreadable (%s); recomputing it", p, e)
            self.stats.misses += 1
            return None
        value, problem = _decode(raw, key)
        if problem is not None:
            log.warning("discarding corrupt cache entry %s: %s", p, problem)
            with contextlib.suppress(OSError):
                p.unlink()
            self.stats.discarded += 1
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return value

    def __contains__(self, item: tuple[str, str]) -> bool:
        stage, key = item
        return self.root is not None and self.path(stage, key).is_file()

    # ------------------------------------------------------------------ write

    def put(self, stage: str, key: str, value: Any) -> bool:
        """Store ``value`` (JSON-ready) atomically; return whether it was stored.

        A failed write (no space, no permission) is logged, leaves neither the entry nor a
        temporary file, and returns False: the run goes on, only that chunk is not cached.
        """
        if self.root is None:
            return False
        final = self.path(stage, key)
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        header = (
            f"{MAGIC} {FORMAT_VERSION} {key} {len(body)} {hashlib.sha256(body).hexdigest()}\n"
        ).encode("ascii")
        tmp = final.with_name(f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                _write_all(fd, header + body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            log.warning("could not write cache entry %s (%s); continuing without it", final, e)
            self.stats.failed_writes += 1
            return False
        self.stats.writes += 1
        return True

    def remove_stale_tmp(self) -> int:
        """Delete temporary files left by writers that are no longer running; return how many."""
        if self.root is None or not self.root.is_dir():
            return 0
        removed = 0
        for tmp in self.root.glob("*/*/.*.tmp"):
            parts = tmp.name.split(".")
            try:
                pid = int(parts[2])
            except (IndexError, ValueError):
                continue
            if _alive(pid):
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
        return removed


def _decode(raw: bytes, key: str) -> tuple[Any, str | None]:
    nl = raw.find(b"\n")
    if nl < 0:
        return None, "no header line (truncated?)"
    try:
        magic, version, entry_key, length, digest = raw[:nl].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        return None, "malformed header"
    if magic != MAGIC:
        return None, "not an xproj cache entry"
    if version != str(FORMAT_VERSION):
        return None, f"format version {version}, expected {FORMAT_VERSION}"
    if entry_key != key:
        return None, "the entry is for another key"
    body = raw[nl + 1 :]
    if not length.isdigit() or int(length) != len(body):
        return None, f"body is {len(body)} bytes, header says {length} (truncated?)"
    if hashlib.sha256(body).hexdigest() != digest:
        return None, "checksum mismatch"
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"body is not JSON: {e}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
