"""Files the package ships beside its code, found through ``importlib.resources``
whether it is installed from a wheel or from a checkout (``pip install -e``).

The SQL and migrations live in the package; the notebooks live in the
project's ``notebooks/`` folder, where analysts open them, and are shipped as the
``orchestrator_lib.notebooks`` package (``package-dir`` in ``pyproject.toml``).
Papermill, Voilà and DuckDB read files by path, so the package must be installed
as files (every pip install is), not run from a zip.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(package: str, *parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``shipped("orchestrator_lib", "queries")``."""
    return Path(str(files(package).joinpath(*parts)))


def notebook(name: str) -> Path:
    """One of the project's notebooks, e.g. ``notebook("02_audit_remuneration.ipynb")``."""
    return shipped("orchestrator_lib.notebooks", name)
