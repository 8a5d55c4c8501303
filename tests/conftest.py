"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# Shared test helpers (``_tiny.py``) import as top-level modules; pytest's importlib import
# mode does not put the tests directory on sys.path itself.
TESTS_DIR = str(Path(__file__).resolve().parent)
if TESTS_DIR not in sys.path:
    sys.path.append(TESTS_DIR)
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Property tests check results, not speed: no per-example deadline and no "too slow" health
# check, which fail at random on a loaded CI machine; a failure prints its reproduction blob.
settings.register_profile(
    "xproj", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("xproj")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only benchmark data at ``../shared/data``; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"benchmark data not found at {SHARED_DATA} (expected ../shared/data next to the "
            "repository; see its README)"
        )
    return SHARED_DATA
