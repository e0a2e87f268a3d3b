"""Which detector modules run: the C extensions the build compiled with mypyc, or the sources.

The project's build hook (``hatch_build.py``) compiles the modules in :data:`COMPILED` with
mypyc next to their sources and writes ``_native.json`` with a SHA-256 of each source it
compiled. Python loads an extension before a ``.py`` of the same name, so a source edited
after the build (an editable install that was not rebuilt) would silently run the old code.
At the first import of one of these modules the process decides once, here:

- ``SIGNALROOM_PURE_PYTHON=1``: the sources (to debug, or to compare results);
- no compiled build (no C compiler when installing, or ``SIGNALROOM_BUILD_PURE``): the sources,
  as Python would load them anyway;
- a source that differs from the one compiled: the sources, with one warning naming the
  file and the command that rebuilds;
- otherwise the extensions.

Both give the same results (``tests/signals/test_native.py`` compares them line by line).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import importlib.machinery
    from collections.abc import Sequence
    from types import ModuleType

# Every command imports this package: what it needs beyond that is imported on use (hashlib,
# json, logging and importlib's helpers cost a CLI start about 15 ms).

#: The detector's per-utterance path, compiled by the build (the same list as hatch_build.py).
COMPILED = ("model", "phrases", "tokens", "rules", "fragments", "quantities", "lexicon", "detector")
PURE_ENV = "SIGNALROOM_PURE_PYTHON"
_HERE = Path(__file__).parent
_BUILD_INFO = _HERE / "_native.json"


@dataclass(frozen=True, slots=True)
class Choice:
    compiled: bool
    #: Why the sources run; empty when the extensions do.
    reason: str = ""
    #: The extensions are older than their sources (worth a warning: it is not a choice).
    stale: bool = False


def decide(folder: Path = _HERE, environ: dict[str, str] | None = None) -> Choice:
    """Whether the compiled modules in ``folder`` may run (see the module docstring)."""
    import hashlib
    import json

    env = os.environ if environ is None else environ
    if env.get(PURE_ENV, "").strip() not in ("", "0"):
        return Choice(False, f"{PURE_ENV} is set")
    try:
        info = json.loads((folder / _BUILD_INFO.name).read_text())
    except FileNotFoundError:
        return Choice(False, "the package was built without compiling the detector")
    except (OSError, ValueError) as exc:
        return Choice(False, f"{_BUILD_INFO.name} is unreadable ({exc})")
    if not info.get("compiled"):
        return Choice(False, f"not compiled at build time: {info.get('why') or 'no reason given'}")
    hashes = info.get("sources") or {}
    for name in COMPILED:
        source = folder / f"{name}.py"
        if hashlib.sha256(source.read_bytes()).hexdigest() != hashes.get(name):
            return Choice(
                False,
                f"{source.name} changed after the detector was compiled; rebuild with "
                "`uv sync` (or `pip install -e .`) to run it compiled",
                stale=True,
            )
    return Choice(True)


class _Chooser:
    """Sends the compiled modules' imports to their sources when :func:`decide` says so (a
    meta path finder: ``find_spec`` is all Python asks of one)."""

    def __init__(self) -> None:
        self.choice: Choice | None = None

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != __package__ or name not in COMPILED:
            return None
        if self.choice is None:
            self.choice = decide()
            if self.choice.stale:
                import logging

                logging.getLogger("signalroom.signals").warning(
                    "signal detector runs as pure Python: %s", self.choice.reason
                )
        if self.choice.compiled:
            return None  # the normal finders load the extension
        import importlib.util

        return importlib.util.spec_from_file_location(fullname, _HERE / f"{name}.py")


_CHOOSER = _Chooser()


def install() -> None:
    """Put the chooser first on ``sys.meta_path`` (idempotent; the package does it at import)."""
    if _CHOOSER not in sys.meta_path:
        sys.meta_path.insert(0, _CHOOSER)


def running_compiled() -> bool:
    """Whether the detector this process runs is the compiled one (imports it)."""
    from signalroom.signals import detector

    return not (detector.__file__ or "").endswith(".py")


def choice() -> Choice:
    """This process's decision (made when the first detector module loaded, else now)."""
    return _CHOOSER.choice if _CHOOSER.choice is not None else decide()


def describe() -> str:
    """One line for ``doctor`` and ``bench``: what runs and, when it is the sources, why."""
    if running_compiled():
        return "compiled (mypyc)"
    return f"pure Python ({choice().reason})"
