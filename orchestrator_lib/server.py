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
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

from . import store
from .errors import InputError, RefusedError
from .resources import notebook

NOTEBOOK = notebook("tableau_de_bord.ipynb")
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
# A page left open and unused frees its kernel (~230 MB) after this; $ORCHESTRATOR_KERNEL_IDLE_SECONDS changes it.
IDLE_KERNEL_SECONDS = 15 * 60
# A page whose websocket closed and did not come back (a tab closed without the page's
# shutdown request reaching us: a crash, a lost network, a browser that drops the
# beacon) frees its kernel after this; $ORCHESTRATOR_KERNEL_GRACE_SECONDS changes it.
# Long enough for the page's own reconnection after a short network loss; a page that
# comes back later is reloaded, and the wizard's draft is in the database.
ORPHAN_KERNEL_SECONDS = 30
REFILL_DELAY_SECONDS = 5  # Voilà's default is 1: overview visible 1.83 s → 1.30 s (median of 5, bench/dashboard.py)
# Kernels kept warm (~230 MB each): two managers arriving together both get a ready page.
# $ORCHESTRATOR_KERNEL_POOL changes it (more for a busy group, 1 on a small machine).
KERNEL_POOL = 2


def setting(name: str, default: float, least: float, whole: bool = False) -> float:
    """A number of the server's environment (``$name``), or ``default``; a value that is not a
    (``whole``: an int) number of at least ``least`` is refused, naming the variable and the value."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number >= least and (number.is_integer() or not whole)):
        if whole:
            raise InputError("bad_server_setting_whole", name=name, value=value, least=least)
        raise InputError("bad_server_setting", name=name, value=value, least=least)
    return int(number) if whole else number


def allowed_hosts(host: str) -> list[str] | None:
    """The names the server answers to (its ``Host`` header), or None when any
    is answered: a page of another site that renames itself to this machine's
    address (DNS rebinding) is refused. Loopback answers to its own names; a
    named host to that name; a bare non-loopback IP cannot be checked by name
    and is served only with a token."""
    if is_loopback(host):
        return sorted(LOOPBACK_NAMES)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return [host]
    return None


def voila_config(host: str, port: int, token: str | None) -> dict:
    """The Voilà settings of the dashboard, as a traitlets config dict."""
    if not is_loopback(host) and not token:
        raise RefusedError("token_required", host=host)
    names = allowed_hosts(host)
    idle = setting("ORCHESTRATOR_KERNEL_IDLE_SECONDS", IDLE_KERNEL_SECONDS, least=1, whole=True)
    setting("ORCHESTRATOR_KERNEL_GRACE_SECONDS", ORPHAN_KERNEL_SECONDS, least=0)  # read at each close: checked now
    # jupyter_server's own Host check (loopback addresses, then these names);
    # Voilà turns it off unless its tornado settings say otherwise.
    host_check = {"allow_remote_access": False, "local_hostnames": names} if names else {}
    return {
        "Voila": {
            "ip": host,
            "port": port,
            "open_browser": False,
            "token": token or None,
            "root_dir": str(NOTEBOOK.parent),
            "tornado_settings": host_check,
        },
        "VoilaConfiguration": {
            "preheat_kernel": True,
            "default_pool_size": setting("ORCHESTRATOR_KERNEL_POOL", KERNEL_POOL, least=1, whole=True),
            "show_tracebacks": False,
            "strip_sources": True,
            "file_allowlist": [],
            "file_denylist": [".*"],
            "template": "orchestrator",  # lab without its CDN links: the page loads nothing from outside
        },
        # The kernel taken by a visit is replaced only once its page is drawn: a new kernel
        # running the notebook takes a core for seconds, which the visitor's page needs.
        "VoilaKernelManager": {"fill_delay": setting("ORCHESTRATOR_REFILL_DELAY", REFILL_DELAY_SECONDS, least=0)},
        # Kernels of pages left idle are shut down (Voilà never culls its warm pool).
        "MappingKernelManager": {
            "cull_idle_timeout": idle,
            "cull_interval": max(1, min(60, idle // 2)),
            "cull_connected": True,
            "cull_busy": False,
        },
    }


def _dashboard_app(names: list[str] | None):
    """Voilà with two of its handlers made safe (each documented in docs/security.md)."""
    import tornado.ioloop
    import tornado.web
    from voila.app import Voila
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    class KernelWebsocket(VoilaKernelWebsocketHandler):
        """Only the v1 kernel protocol the page speaks. Voilà 0.5.13 reads every
        binary message as v1; a socket opened without the subprotocol (a plain
        ``new WebSocket(url)``) made it build a list of ~10^17 offsets."""

        async def get(self, *args, **kwargs):
            offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
            if KERNEL_PROTOCOL not in offered:
                raise tornado.web.HTTPError(400, "kernel websocket without the v1 subprotocol")
            return await super().get(*args, **kwargs)

        def on_close(self):
            super().on_close()
            grace = setting("ORCHESTRATOR_KERNEL_GRACE_SECONDS", ORPHAN_KERNEL_SECONDS, least=0)
            tornado.ioloop.IOLoop.current().call_later(grace, self._shut_down_if_orphan, self.kernel_id)

        async def _shut_down_if_orphan(self, kernel_id: str) -> None:
            """Voilà gives each visit its own kernel: one no page is connected to any more is
            never used again. (The warm pool's kernels were never connected: not touched.)"""
            manager = self.kernel_manager
            if kernel_id in manager and not manager.kernel_model(kernel_id)["connections"]:
                self.log.info("Kernel %s: its page is gone; shut down", kernel_id)
                await manager.shutdown_kernel(kernel_id)

    class ShutdownOnClose(VoilaShutdownKernelHandler):
        """The page's ``beforeunload`` asks for its kernel's shutdown without an
        XSRF token; a request from the page itself is accepted, one from
        another origin refused (in place of the XSRF check)."""

        def check_xsrf_cookie(self):
            if not same_origin(self.request.headers.get("Origin"), self.request.host):
                raise tornado.web.HTTPError(403, "kernel shutdown from another origin")

    replaced = {VoilaKernelWebsocketHandler: KernelWebsocket, VoilaShutdownKernelHandler: ShutdownOnClose}

    def host_checked(handler_class):
        """The handler, answering only to the allowed Host names: jupyter_server's
        own handlers check it, tornado's static files would not."""

        class Checked(handler_class):  # type: ignore[valid-type,misc]  # the base is chosen at run time
            def prepare(self):
                if names is not None and not host_allowed(self.request.host, names):
                    raise tornado.web.HTTPError(403, "unexpected Host")
                return super().prepare()

        Checked.__name__ = handler_class.__name__
        return Checked

    class DashboardVoila(Voila):
        def init_handlers(self):
            return [
                (rule[0], host_checked(replaced.get(rule[1], rule[1])), *rule[2:]) for rule in super().init_handlers()
            ]

    return DashboardVoila


def host_allowed(host_header: str, names: list[str]) -> bool:
    """jupyter_server's rule: a loopback address, or one of ``names`` (the port aside)."""
    host = re.sub(r":\d+$", "", host_header.strip())
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in {name.lower() for name in names}


def same_origin(origin: str | None, host: str) -> bool:
    """Whether ``origin`` (an Origin header) is this server as named by ``host`` (its Host header)."""
    from urllib.parse import urlsplit

    return bool(origin) and urlsplit(origin).netloc.lower() == host.lower()


def serve(db=None, host: str = "127.0.0.1", port: int = 8866, token: str | None = None, group: bool = False) -> None:
    """Start Voilà on the dashboard; returns when the server stops."""
    from traitlets.config import Config

    token = token or os.environ.get("ORCHESTRATOR_TOKEN") or None
    config = Config(voila_config(host, port, token))
    # The kernels read the database and the clinic from the environment, like every tool here.
    where = store.resolve_db(db).absolute()
    os.environ["ORCHESTRATOR_DB"], os.environ["ORCHESTRATOR_CLINIC"] = where.target, where.clinic
    # The group's tab shows every clinic's figures: only on a dashboard started for the group.
    os.environ["ORCHESTRATOR_GROUP_VIEW"] = "1" if group else ""
    with store.reading(where):
        pass  # refuse a missing database and upgrade an old one now, not in a visitor's kernel
    templates = _offline_template()
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(templates), os.environ.get("JUPYTER_PATH")]))
    try:
        _dashboard_app(allowed_hosts(host)).launch_instance(argv=[str(NOTEBOOK)], config=config)
    finally:
        shutil.rmtree(templates, ignore_errors=True)


def _offline_template() -> Path:
    """Voilà's ``lab`` page template as the installed Voilà has it, without the
    two Font Awesome links to a CDN (a floating version loaded from outside):
    ``orchestrator`` in a folder of Jupyter's data path, made for this server."""
    from jupyter_core.paths import jupyter_path

    lab = next(
        Path(folder) / "lab"
        for folder in jupyter_path("voila", "templates")
        if (Path(folder) / "lab" / "index.html.j2").is_file()
    )
    root = Path(tempfile.mkdtemp(prefix="orchestrator-voila-"))
    target = root / "voila" / "templates" / "orchestrator"
    shutil.copytree(lab, target)
    index = target / "index.html.j2"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    index.write_text("".join(line for line in lines if "cdn.jsdelivr.net" not in line), encoding="utf-8")
    (target / "conf.json").write_text('{"base_template": "lab"}', encoding="utf-8")  # lab's parents, as lab has
    return root
