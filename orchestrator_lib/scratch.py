"""Private scratch space for what a load must write before the database sees
it: the UTF-8 copy of a Windows-1252 CSV, the CSV of an Excel sheet, the
tables read from a FHIR server. Those copies hold patient references in clear,
so they live in one folder per process, readable by its owner only (0700,
files 0600), removed when the work is done and, if the process was killed,
by the next load (a folder whose process is gone is a leftover).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "orchestrator-scratch-"


@contextmanager
def folder() -> Iterator[Path]:
    """A new private folder, removed on the way out (error or not)."""
    remove_leftovers()
    previous = os.umask(0o077)  # every file made in it is the owner's only
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    finally:
        os.umask(previous)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def new_file(work: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new private file in ``work``, open for writing: (descriptor, path)."""
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=work)  # mkstemp makes it 0600
    return handle, Path(name)


def remove_leftovers() -> list[Path]:
    """Remove the scratch folders of processes that no longer run (killed during a load)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = path.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)) and path.is_dir() and path.stat().st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
