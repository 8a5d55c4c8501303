"""Runners execute a run's stages: in this process (:class:`LocalRunner`, the default) or on a
Ray cluster (:class:`~xproj.runners.ray.RayRunner`, imported only when asked for)."""

from __future__ import annotations

from xproj.config import RunnerConfig
from xproj.runners.base import Runner, StageJob, WorkerSpec
from xproj.runners.local import LocalRunner

__all__ = ["LocalRunner", "Runner", "StageJob", "WorkerSpec", "make_runner"]


def make_runner(config: RunnerConfig) -> Runner:
    """The runner ``config.kind`` names (``local`` or ``ray``)."""
    if config.kind == "ray":
        from xproj.runners.ray import RayRunner

        return RayRunner(config)
    return LocalRunner()
