"""The Ray runner: same outputs as the in-process runner, dead workers retried, cache shared.

A local Ray instance (2 CPUs, no dashboard) is started once for the module. The aligner is a
test double (imported by each actor from the config's plugin file) so the model is not the
point; the projectors are the real ones.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xproj.config import RunConfig
from xproj.errors import InputError
from xproj.progress import Progress
from xproj.run import run

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"

PLUGIN = '''
import os
from dataclasses import dataclass

import xproj
from xproj.align.base import Aligner
from xproj.errors import InputError
from xproj.types import Alignment


@dataclass(kw_only=True)
class ScoredDiagonalAligner(Aligner):
    """Links word i to i and i+1 with deterministic float scores. With `crash_marker`, the
    first call in any process kills that process (os._exit) after creating the marker file,
    like a worker lost to a segfault or the OOM killer."""

    crash_marker: str = ""
    fail_on: str = ""

    def _align(self, sources, targets):
        for k, s in enumerate(sources):
            if self.fail_on in s.words:
                raise InputError(f"cannot align {self.fail_on!r}", sentence=k)
        if self.crash_marker and not os.path.exists(self.crash_marker):
            open(self.crash_marker, "w").close()
            os._exit(1)
        out = []
        for s, t in zip(sources, targets):
            links, scores = [], []
            for i in range(len(s)):
                for j in (i, i + 1):
                    if j < len(t):
                        links.append((i, j))
                        scores.append(1.0 / (1 + abs(i - j) + 0.1 * (i % 3)))
            out.append(Alignment(len(s), len(t), tuple(links), tuple(scores)))
        return out


if "ray-diagonal" not in xproj.aligners.names():
    xproj.aligners.register("ray-diagonal", ScoredDiagonalAligner)
'''


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    gc.collect()  # drop the tests' last Ray object references while Ray is still up
    ray.shutdown()


def _config(
    tmp_path: Path, kind: str, projectors: tuple[str, ...] = ("heuristic", "ilp"), **aligner: Any
) -> RunConfig:
    (tmp_path / "doubles.py").write_text(PLUGIN)
    return RunConfig.from_dict(
        {
            "plugins": ["doubles.py"],
            "stages": {
                "aligner": {"backend": "ray-diagonal", "params": aligner},
                "projectors": [{"backend": p} for p in projectors],
            },
            "datasets": [
                {
                    "name": name,
                    "lang": "de",
                    "source": str(DATA / "demo.en.conll"),
                    "translations": str(DATA / "demo.de.txt"),
                    "gold": str(DATA / "demo.de.gold.conll"),
                    "limit": limit,
                }
                for name, limit in (("demo-a", 12), ("demo-b", 7))
            ],
            "output": f"out-{kind}",
            "runner": {
                "kind": kind,
                "chunk_size": 3,
                "max_retries": 2,
                "stages": {"aligner": {"workers": 2, "batch_size": 2}},
            },
        },
        base_dir=tmp_path,
    )


def _outputs(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "summary.json" and "cache" not in p.parts
    }


def test_ray_runner_matches_local_runner_and_resumes_from_cache(
    local_ray: Any, tmp_path: Path
) -> None:
    local = run(_config(tmp_path, "local"), progress=Progress(enabled=False), plot=False)
    on_ray = run(_config(tmp_path, "ray"), progress=Progress(enabled=False), plot=False)
    assert on_ray.summary.runner == "ray"
    local_files, ray_files = _outputs(local.output_dir), _outputs(on_ray.output_dir)
    assert "demo-a/ilp.conll" in ray_files and "demo-b/alignments.pharaoh" in ray_files
    assert ray_files == local_files
    # the cache entries are the same bytes: the two runners compute the same chunks
    local_cache = sorted(p.relative_to(local.output_dir) for p in local.output_dir.rglob("*.entry"))
    ray_cache = sorted(p.relative_to(on_ray.output_dir) for p in on_ray.output_dir.rglob("*.entry"))
    # demo-b's first two chunks are demo-a's: content-addressed, they are stored once
    assert local_cache == ray_cache and len(ray_cache) == 3 * (4 + 1)
    for rel in ray_cache:
        assert (local.output_dir / rel).read_bytes() == (on_ray.output_dir / rel).read_bytes()
    # run again on Ray: every chunk comes from the cache
    again = run(_config(tmp_path, "ray"), progress=Progress(enabled=False), plot=False)
    assert again.summary.cache is not None and again.summary.cache["hits"] == 3 * (4 + 3)
    assert again.summary.cache["writes"] == 0


def test_a_dead_worker_is_retried_and_the_output_is_complete(
    local_ray: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "crashed"
    one = ("greedy",)
    reference = run(_config(tmp_path, "local", one), progress=Progress(enabled=False), plot=False)
    cfg = _config(tmp_path, "ray", one, crash_marker=str(marker))
    result = run(cfg, progress=Progress(enabled=False), plot=False)
    assert marker.exists()  # a worker did die
    assert _outputs(result.output_dir) == _outputs(reference.output_dir)
    summary = json.loads((result.output_dir / "summary.json").read_text())
    assert [d["sentences"] for d in summary["datasets"]] == [12, 7]
    # the steps' reports travel back from the workers: the same as in-process
    assert [d["reports"] for d in summary["datasets"]] == [d.reports for d in reference.datasets]
    assert summary["datasets"][0]["reports"]["project greedy"]["solver"]["sentences"] == 12


def test_gpu_request_on_a_cluster_without_gpus_says_so(local_ray: Any, tmp_path: Path) -> None:
    data = _config(tmp_path, "ray").to_dict()
    data["runner"]["stages"]["aligner"]["num_gpus"] = 1
    cfg = RunConfig.from_dict(data, base_dir=tmp_path)
    with pytest.raises(RuntimeError, match=r"runner\.stages\.aligner\.num_gpus = 1.0, but the Ray"):
        run(cfg, progress=Progress(enabled=False), plot=False)


def test_a_backend_error_on_a_worker_reaches_the_driver_with_its_location(
    local_ray: Any, tmp_path: Path
) -> None:
    # "Munich" is in sentence 2 of the demo: sentence 2 of chunk 0 (chunks of 3)
    cfg = _config(tmp_path, "ray", ("heuristic",), fail_on="Munich")
    with pytest.raises(InputError) as e:
        run(cfg, progress=Progress(enabled=False), plot=False)
    assert str(e.value) == "sentence 2: align, dataset demo-a: cannot align 'Munich'"
    # no Ray Data worker thread outlives the failed run: one still calling into Ray after the
    # caller's ray.shutdown() would end the process (exit 1, no traceback)
    assert [t.name for t in threading.enumerate() if t.name.startswith("iter_threaded")] == []


def test_a_flow_with_a_train_step_gives_the_same_outputs_on_ray(
    local_ray: Any, tmp_path: Path
) -> None:
    from _demo_train import demo_train_config
    from xproj.config import load_config

    local_cfg = load_config(demo_train_config(tmp_path, "local.toml", kind="local"))
    ray_cfg = load_config(demo_train_config(tmp_path, "ray.toml", kind="ray"))
    import torch

    # Ray runs the train task with one CPU, so one torch thread: train in-process with one too,
    # since sums split over another number of threads round differently (weights would differ
    # in their last bits, which is not what this test is about)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = run(
            local_cfg, output=tmp_path / "out-local", progress=Progress(enabled=False), plot=False
        )
    finally:
        torch.set_num_threads(threads)
    on_ray = run(ray_cfg, output=tmp_path / "out-ray", progress=Progress(enabled=False), plot=False)
    assert on_ray.summary.runner == "ray"
    # the model folder's info file holds the training time, its cache stamp the key of a
    # payload that names the output folder; everything else must be equal
    skip = {"demo-de/model-de/xproj_train.json", "demo-de/model-de/xproj_cache_key.txt"}
    local_files = {k: v for k, v in _outputs(local.output_dir).items() if k not in skip}
    ray_files = {k: v for k, v in _outputs(on_ray.output_dir).items() if k not in skip}
    assert (
        "demo-de/model-de/model.safetensors" in ray_files and "demo-de/model-de.conll" in ray_files
    )
    assert ray_files.keys() == local_files.keys()
    for name, data in local_files.items():
        assert ray_files[name] == data, name
    assert [d.reports for d in on_ray.datasets] == [d.reports for d in local.datasets]
