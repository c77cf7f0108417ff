"""Serve the managers' dashboard (``notebooks/tableau_de_bord.ipynb``) with Voilà.

Safe by default: bound to 127.0.0.1; any other address requires a token
(``--token`` or ``$ORCHESTRATOR_TOKEN``), and the command refuses to start
without one. Voilà only forwards widget messages from the browser to the
kernel, so a visitor cannot run code; it serves no file from disk here
(empty allow-list) and never shows tracebacks. A kernel is kept preheated so
the page appears at once.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from . import store
from .errors import RefusedError

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "tableau_de_bord.ipynb"
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def voila_config(host: str, port: int, token: str | None) -> dict:
    """The Voilà settings of the dashboard, as a traitlets config dict."""
    if not is_loopback(host) and not token:
        raise RefusedError("token_required", host=host)
    return {
        "Voila": {"ip": host, "port": port, "open_browser": False, "token": token or None,
                  "root_dir": str(NOTEBOOK.parent)},
        "VoilaConfiguration": {
            # Two kernels kept warm: two managers arriving together both get a ready page.
            "preheat_kernel": True, "default_pool_size": 2,
            "show_tracebacks": False, "strip_sources": True,
            "file_allowlist": [], "file_denylist": [".*"],
        },
    }


def serve(db=None, host: str = "127.0.0.1", port: int = 8866, token: str | None = None) -> None:
    """Start Voilà on the dashboard; returns when the server stops."""
    from traitlets.config import Config
    from voila.app import Voila

    token = token or os.environ.get("ORCHESTRATOR_TOKEN") or None
    config = Config(voila_config(host, port, token))
    # The kernels read the database path from the environment, like every tool here.
    os.environ["ORCHESTRATOR_DB"] = str(store.resolve_db(db).resolve())
    with store.reading(db):
        pass  # create or upgrade the database now, not in a visitor's kernel
    Voila.launch_instance(argv=[str(NOTEBOOK)], config=config)
