"""A per-user disk cache of the default detector's compiled tables.

Building the tables from the bundled vocabulary (about 40,000 phrases, most from the NAICS
taxonomy) costs a few hundred milliseconds, which a one-line ``signalroom detect`` or a
worker's prewarm would pay at every start. The compiled :class:`Rules` and the
:class:`Vocabulary` are pickled (standard library) once and loaded from then on.

The key is a SHA-256 over everything the tables are built from: the bundled vocabulary
files, the source of the signals modules, the Python version and whether the modules run
compiled (their pickles differ), so an edit or an upgrade makes a new entry and a stale one is
never read. Unpickling runs code, so a file is loaded only when the current user owns it and
nobody else can write to it or its folder. Any
failure to read or write the cache falls back to building the tables: the cache can make a
start faster, never change a result or fail one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signalroom.signals.rules import Rules
    from signalroom.signals.vocabulary import Vocabulary

#: Bumped when the pickled layout changes in a way the source hash would not show.
_FORMAT = b"signalroom-detector-cache-1"


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/signalroom`` or ``~/.cache/signalroom``; None when there is no home."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "signalroom"
    try:
        return Path.home() / ".cache" / "signalroom"
    except RuntimeError:  # no HOME and no passwd entry
        return None


def key(bundled: tuple[str, ...], *, compiled: bool) -> str:
    """The entry's name for the bundled files, this code (``compiled`` or not) and this
    Python."""
    digest = hashlib.sha256(_FORMAT)
    digest.update(sys.version.encode())
    digest.update(b"compiled" if compiled else b"source")
    package = resources.files("signalroom.signals")
    for name in bundled:
        digest.update(name.encode())
        digest.update((package / "data" / name).read_bytes())
    here = Path(__file__).parent
    for source in sorted(here.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    digest.update((here.parent / "industries.py").read_bytes())
    return digest.hexdigest()[:32]


def _trusted(path: Path) -> bool:
    """Owned by us and writable by nobody else (the file and its folder)."""
    for item in (path, path.parent):
        info = item.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


def load(entry: str) -> tuple[Vocabulary, Rules] | None:
    """The cached vocabulary and tables under ``entry`` (see :func:`key`), or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        path = folder / f"detector-{entry}.pickle"
        if not path.is_file() or not _trusted(path):
            return None
        with path.open("rb") as handle:
            vocabulary, rules = pickle.load(handle)  # noqa: S301 (own file, checked above)
    except Exception:  # a damaged or foreign entry: rebuild and overwrite it
        return None
    return vocabulary, rules


def store(entry: str, vocabulary: Vocabulary, rules: Rules) -> None:
    """Write the entry atomically (a reader sees the whole file or none); errors are ignored."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"detector-{entry}.pickle"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".detector-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((vocabulary, rules), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in folder.glob("detector-*.pickle"):  # entries of earlier versions
            if old != path:
                old.unlink(missing_ok=True)
    except Exception:  # read-only or full disk: the next start builds the tables again
        return
