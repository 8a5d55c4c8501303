"""The in-process runner (the default): every chunk in this process, one backend per stage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xproj.runners.base import Runner, StageJob, WorkerSpec, run_chunk_or_error

__all__ = ["LocalRunner"]


class LocalRunner(Runner):
    """Runs chunks one after another in this process.

    Each backend is built once per run and reused by every job with the same
    :class:`~xproj.runners.base.WorkerSpec`, so a model loads once even when several datasets
    go through the stage.
    """

    kind = "local"

    def __init__(self) -> None:
        self._components: dict[str, Any] = {}

    def component(self, spec: WorkerSpec) -> Any:
        """The backend of ``spec``, built on first use."""
        key = _spec_key(spec)
        if key not in self._components:
            self._components[key] = spec.build()
        return self._components[key]

    def _compute(self, job: StageJob, indices: list[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        component = self.component(job.spec)
        for i in indices:
            yield (
                i,
                run_chunk_or_error(component, job.spec.slot, job.payloads[i], job.spec.batch_size),
            )

    def close(self) -> None:
        self._components.clear()


def _spec_key(spec: WorkerSpec) -> str:
    from xproj.cache import canonical_json

    return canonical_json(
        [spec.slot, spec.backend, spec.params, spec.batch_size, list(spec.plugins), spec.base_dir]
    )
