"""Scale-out on Ray: each stage as a Ray Data ``map_batches`` over chunks, on a pool of actors.

The chunks a stage still needs (those not in the cache) become a Ray Dataset of one row per chunk
(its index and its JSON-encoded input). ``map_batches`` runs them on an
:class:`~ray.data.ActorPoolStrategy` pool of ``workers`` actors: each actor builds the stage's
backend once in its constructor (so a model is loaded once per actor and stays on its device) and
computes one chunk per call with the same :func:`~xproj.runners.base.run_chunk` the local runner
uses, so outputs are identical. GPUs and CPUs per actor and the batch size come from
``[runner.stages.<stage>]``. Results stream back to the driver, which writes each one to the
cache as it arrives, so a killed Ray run resumes like a local one.

A dead actor (a crash, a lost node) is restarted and its chunk retried, up to
``runner.max_retries`` times (Ray's ``max_restarts`` / ``max_task_retries``); an exception raised
by the backend itself (bad input) is not retried and fails the run with its message.

Ray is imported only here, only when this runner is used (``pip install "xproj[ray]"``). With no
``address`` it joins the cluster named by ``RAY_ADDRESS`` or starts a local instance.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

from xproj.config import RunnerConfig
from xproj.errors import MissingExtraError, XprojError
from xproj.runners.base import Runner, StageJob, WorkerSpec, run_chunk_or_error

__all__ = ["RayRunner", "import_ray"]

log = logging.getLogger("xproj.runners.ray")


def import_ray() -> Any:
    """Import ray and ray.data, or raise :class:`MissingExtraError` naming the extra."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingExtraError("ray[data]", "ray", what="The Ray runner") from None
    return ray


class _ChunkWorker:
    """A Ray Data actor: builds the backend once, then computes one chunk per row."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.component = spec.build()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        results = []
        for payload in batch["payload"]:
            result = run_chunk_or_error(
                self.component, self.spec.slot, json.loads(payload), self.spec.batch_size
            )
            results.append(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
        return {"index": batch["index"], "result": results}


class RayRunner(Runner):
    """Runs each stage's chunks on a Ray actor pool through Ray Data.

    Parameters
    ----------
    config
        The ``[runner]`` table: ``address``, ``num_cpus`` (of a local instance),
        ``max_retries`` and the per-stage ``workers`` / ``num_gpus`` / ``num_cpus`` /
        ``batch_size``.
    """

    kind = "ray"

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self._ray = import_ray()
        self._started = False

    def _connect(self) -> Any:
        ray = self._ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True}
            address = self.config.address or os.environ.get("RAY_ADDRESS")
            if address:
                kwargs["address"] = address
            elif self.config.num_cpus is not None:
                kwargs["num_cpus"] = self.config.num_cpus
            log.info("starting Ray (%s)", address or "local instance")
            ray.init(**kwargs)
            self._started = True
        ctx = ray.data.DataContext.get_current()
        ray_data_log = logging.getLogger("ray.data")
        ray_data_log.setLevel(logging.ERROR)  # Ray Data warns that its bars are off
        ctx.enable_progress_bars = False  # xproj's own progress shows the stage
        ctx.print_on_execution_start = False
        ray_data_log.setLevel(logging.WARNING)
        return ray

    def _check_resources(self, stage: str, workers: int, num_gpus: float) -> None:
        ray = self._ray
        total = ray.cluster_resources().get("GPU", 0)
        if num_gpus > 0 and total < num_gpus:
            raise RuntimeError(
                f"runner.stages.{stage}.num_gpus = {num_gpus}, but the Ray cluster has "
                f"{total:g} GPU(s); set num_gpus = 0 or join a cluster with GPUs"
            )

    def _compute(self, job: StageJob, indices: list[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        ray = self._connect()
        slot = job.spec.slot
        res = self.config.resources(slot)
        self._check_resources(slot, res.workers, res.num_gpus)
        rows = [
            {"index": i, "payload": json.dumps(job.payloads[i], separators=(",", ":"))}
            for i in indices
        ]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows))
        retries = self.config.max_retries
        with warnings.catch_warnings():
            # Ray Data takes the actor fault-tolerance options as extra keyword arguments
            # (it warns they will get named parameters); they bound the restarts and retries.
            warnings.simplefilter("ignore")
            ds = ds.map_batches(
                _ChunkWorker,
                fn_constructor_kwargs={"spec": job.spec},
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=res.workers),
                num_cpus=res.num_cpus,
                num_gpus=res.num_gpus,
                max_restarts=retries,
                max_task_retries=retries,
            )
        # Results are small JSON strings: nothing to gain from prefetching, whose worker threads
        # ("iter_threaded") outlive an interrupted iteration and go on calling into Ray; one that
        # does so after ray.shutdown() ends the whole process with exit code 1.
        batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0))
        try:
            for batch in batches:
                for index, result in zip(batch["index"], batch["result"]):
                    yield int(index), json.loads(str(result))
        except Exception as e:
            # e.g. an actor that cannot build its backend (a package missing on a node): show
            # the xproj error Ray wraps, not Ray's traceback
            original = _xproj_cause(e)
            if original is None:
                raise
            raise original from None
        finally:
            # stop the execution now (actors, executor thread), not when the iterator is
            # garbage-collected: the caller may shut Ray down right after this returns or raises
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def run_whole(self, task: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run a whole-dataset task as one Ray task with ``[runner.stages.<task>]``'s
        ``num_cpus`` and ``num_gpus`` (a GPU for ``train``, say), retried like an actor."""
        ray = self._connect()
        res = self.config.resources(task)
        self._check_resources(task, 1, res.num_gpus)
        remote = ray.remote(
            num_cpus=res.num_cpus, num_gpus=res.num_gpus, max_retries=self.config.max_retries
        )(_whole_task)
        try:
            return ray.get(remote.remote(task, payload))  # type: ignore[no-any-return]
        except Exception as e:
            original = _xproj_cause(e)
            if original is None:
                raise
            raise original from None

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False


def _whole_task(task: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The body of a whole-dataset Ray task (module level, so workers can import it)."""
    from xproj.executor import WHOLE_TASKS

    return WHOLE_TASKS[task](payload)


def _xproj_cause(err: BaseException) -> XprojError | None:
    """The first xproj error in ``err``'s chain of causes (Ray wraps worker exceptions)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, XprojError):
            return e
        cause = getattr(e, "cause", None)
        todo += [e.__cause__, e.__context__, cause if isinstance(cause, BaseException) else None]
    return None
