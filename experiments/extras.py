"""Optional parts of the project: a clear message when one is not installed.

A sweep-only install (``pip install trade-talks``) has no Dask, no dashboard and no EMA
Workbench; asking for one of them names the extra that brings it.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


class MissingExtra(ImportError):
    """An optional package is not installed; the message names the extra to install."""


def has(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module.split(".")[0]) is not None


def check(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtra` naming ``extra`` if ``module`` is not installed, without
    importing it (for a module that another process will import)."""
    if not has(module):
        raise MissingExtra(
            f"{purpose} needs the optional package {module.split('.')[0]!r}: "
            f"pip install 'trade-talks[{extra}]'"
        )


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming ``extra``."""
    check(module, extra, purpose)
    return importlib.import_module(module)
