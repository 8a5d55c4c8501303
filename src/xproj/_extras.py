"""Importing optional packages with an install hint (private).

Every optional dependency is imported where it is first needed, through :func:`import_extra`,
so that a missing one raises :class:`~xproj.errors.MissingExtraError` naming the
``pip install "xproj[...]"`` that fixes it.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from xproj.errors import MissingExtraError

__all__ = ["check_installed", "import_extra"]


def import_extra(package: str, extra: str, *, what: str) -> Any:
    """Import ``package``, or raise :class:`~xproj.errors.MissingExtraError` naming ``extra``.

    Parameters
    ----------
    package
        The module to import, e.g. ``"torch"``.
    extra
        The xproj extra that installs it (the error says ``pip install "xproj[extra]"``).
    what
        What needs it, for the error message (``"The NLLB translator"``).

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtraError
        If the import fails; it names the package that could not be imported (a dependency
        of ``package`` when that is what is missing).

    Examples
    --------
    >>> import_extra("json", "report", what="The report").dumps([1])
    '[1]'
    >>> import_extra("no_such_package", "transformers", what="The NLLB translator")
    Traceback (most recent call last):
    ...
    xproj.errors.MissingExtraError: The NLLB translator needs the Python package \
'no_such_package', which is not installed. Install it with: pip install "xproj[transformers]"
    """
    try:
        return importlib.import_module(package)
    except ImportError as e:
        raise MissingExtraError(e.name or package, extra, what=what) from e


def check_installed(packages: tuple[str, ...], extra: str, *, what: str) -> None:
    """Raise :class:`~xproj.errors.MissingExtraError` for the first of ``packages`` not
    installed, without importing any of them.

    Examples
    --------
    >>> check_installed(("json", "no_such_package"), "embedded", what="The encoder")
    Traceback (most recent call last):
    ...
    xproj.errors.MissingExtraError: The encoder needs the Python package 'no_such_package', \
which is not installed. Install it with: pip install "xproj[embedded]"
    """
    for package in packages:
        if importlib.util.find_spec(package) is None:
            raise MissingExtraError(package, extra, what=what)
