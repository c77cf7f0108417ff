"""The dashboard server under attack from a web page the manager visits (all
on loopback): a foreign Host is refused (DNS rebinding), a cross-origin or
legacy-framed kernel websocket is refused, a page's kernel is shut down when it
closes but never by another origin, and the page loads nothing from outside."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re

import pytest
import requests
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from orchestrator_lib.errors import InputError
from orchestrator_lib.server import KERNEL_PROTOCOL, allowed_hosts, voila_config

from browser_fixtures import KERNEL_POOL

pytestmark = pytest.mark.slow  # real processes, servers or notebooks: left out of make test-fast


@pytest.fixture(scope="module")
def server(dashboard):
    return dashboard  # the session's dashboard: one server start less


@pytest.fixture(scope="module")
def first_page(server) -> requests.Response:
    """One page view (each view takes a warm kernel: the tests make few)."""
    return page(server)


@pytest.fixture(scope="module")
def kernel(first_page) -> str:
    return kernel_of(first_page)


def page(server, host: str | None = None) -> requests.Response:
    headers = {"Host": host} if host else {}
    return requests.get(server.url, headers=headers, timeout=60)


def kernel_of(response: requests.Response) -> str:
    return re.search(r'kernelId": "([0-9a-f-]{36})"', response.text).group(1)


def ws(server, kernel_id: str, *, protocols=(KERNEL_PROTOCOL,), origin: str | None = None, host: str | None = None):
    """Open the kernel's websocket as a page would (or would not); the handshake's HTTP code, or 101."""
    url = server.url.replace("http://", "ws://").rstrip("/") + f"/api/kernels/{kernel_id}/channels"
    headers = {"Origin": origin or server.url.rstrip("/")}
    if host:
        headers["Host"] = host

    async def attempt():
        try:
            connection = await websocket_connect(
                HTTPRequest(url, headers=headers, request_timeout=20), subprotocols=list(protocols) or None
            )
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    # In a thread of its own: the browser tests' Playwright may hold this thread's event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, attempt()).result()


def static_file(server, host: str | None = None) -> int:
    """A small file of Voilà's (no kernel is started for it, unlike the page)."""
    headers = {"Host": host} if host else {}
    return requests.get(server.url.rstrip("/") + "/voila/static/voila.js", headers=headers, timeout=60).status_code


def test_only_the_expected_host_names_are_served(server):
    port = server.url.split(":")[2].split("/")[0]
    assert static_file(server) == static_file(server, f"localhost:{port}") == 200
    for foreign in (f"attacker.example:{port}", "attacker.example", f"192.168.1.5:{port}"):
        assert static_file(server, foreign) == 403, foreign
    assert page(server, f"attacker.example:{port}").status_code == 403  # the page itself too


def test_the_page_loads_nothing_from_another_site(first_page):
    text = first_page.text
    assert "cdn.jsdelivr.net" not in text
    assert not re.search(r'<(?:link|script)[^>]+(?:href|src)="https?://', text)


def test_a_kernel_websocket_needs_the_v1_protocol_the_same_origin_and_our_host(server, kernel):
    port = server.url.split(":")[2].split("/")[0]
    assert ws(server, kernel, protocols=()) == 400  # legacy framing: refused
    assert ws(server, kernel, origin="http://attacker.example") == 403  # another site
    assert (
        ws(server, kernel, origin=f"http://attacker.example:{port}", host=f"attacker.example:{port}") == 403
    )  # DNS rebinding
    assert ws(server, kernel) == 101  # the page itself
    assert static_file(server) == 200  # and the server still serves


def test_a_legacy_websocket_storm_leaves_the_server_small_and_serving(server, kernel):
    import psutil

    for _ in range(20):
        assert ws(server, kernel, protocols=()) == 400
    assert static_file(server) == 200
    assert psutil.Process(server.process.pid).memory_info().rss < 300 * 2**20


def test_a_closed_page_shuts_its_kernel_down_but_another_origin_cannot(server):
    kernel = kernel_of(page(server))
    shutdown = server.url.rstrip("/") + f"/voila/api/shutdown/{kernel}"
    refused = requests.post(shutdown, headers={"Origin": "http://attacker.example"}, timeout=30)
    assert refused.status_code == 403
    assert ws(server, kernel) == 101  # still there
    done = requests.post(shutdown, headers={"Origin": server.url.rstrip("/")}, timeout=30)  # as beforeunload does
    assert done.status_code == 204
    assert ws(server, kernel) in (403, 404)  # gone


def test_the_settings_that_do_it():
    assert allowed_hosts("127.0.0.1") == ["localhost"] and allowed_hosts("dashboard.clinique.local") == [
        "dashboard.clinique.local"
    ]
    assert allowed_hosts("10.1.2.3") is None  # a bare address: only with a token (the command insists)
    config = voila_config("127.0.0.1", 8866, None)
    assert config["Voila"]["tornado_settings"] == {"allow_remote_access": False, "local_hostnames": ["localhost"]}
    assert config["MappingKernelManager"]["cull_idle_timeout"] > 0
    assert config["VoilaConfiguration"]["default_pool_size"] == 2


def test_the_server_s_settings_come_from_the_environment_and_bad_ones_are_named(monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_KERNEL_POOL", "4")
    monkeypatch.setenv("ORCHESTRATOR_REFILL_DELAY", "0.5")
    config = voila_config("127.0.0.1", 8866, None)
    assert config["VoilaConfiguration"]["default_pool_size"] == 4
    assert config["VoilaKernelManager"]["fill_delay"] == 0.5
    for name, value in [
        ("ORCHESTRATOR_KERNEL_POOL", "0"),
        ("ORCHESTRATOR_KERNEL_POOL", "1.5"),
        ("ORCHESTRATOR_KERNEL_IDLE_SECONDS", "quinze"),
        ("ORCHESTRATOR_KERNEL_GRACE_SECONDS", "-1"),
        ("ORCHESTRATOR_REFILL_DELAY", "nan"),
    ]:
        monkeypatch.setenv(name, value)
        with pytest.raises(InputError) as refused:
            voila_config("127.0.0.1", 8866, None)
        assert f"${name}" in str(refused.value) and value in str(refused.value)
        monkeypatch.delenv(name)


def kernels(server) -> int:
    import psutil

    count = 0
    for child in psutil.Process(server.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # gone meanwhile
            count += child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline())
    return count


def test_pages_closed_in_a_browser_free_their_kernels(dashboard_factory, demo_db, context, kit):
    """Two visits, each page closed as a person closes a tab (beforeunload runs): the kernels
    come back to the warm pool, instead of one more kernel (~230 MB) per visit."""
    import time

    server = dashboard_factory(demo_db)
    for _ in range(2):
        tab = context.new_page()
        kit.open_dashboard(tab, server.url)
        tab.close(run_before_unload=True)
    deadline = time.monotonic() + 30
    while kernels(server) > KERNEL_POOL + 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert (
        kernels(server) <= KERNEL_POOL + 1
    )  # the warm pool, and at most one being refilled (one more per visit without the fix)


def test_a_page_gone_without_a_word_frees_its_kernel(dashboard_factory, demo_db, kit):
    """A tab that crashed, or lost the network, or whose browser dropped the shutdown request:
    its websocket closed and nothing more came. The kernel is shut down after the grace."""
    import time

    server = dashboard_factory(demo_db, env=kit.clean_env(ORCHESTRATOR_KERNEL_GRACE_SECONDS="2"))
    kernel = kernel_of(page(server))
    assert ws(server, kernel) == 101  # the page connected, then was gone
    deadline = time.monotonic() + 40
    while ws(server, kernel) == 101 and time.monotonic() < deadline:
        time.sleep(3)  # longer than the grace: no check connection is open when the server looks
    assert ws(server, kernel) in (403, 404)  # gone (it stayed 15 minutes, until idle culling, before)


def test_kernels_of_plain_page_views_are_culled_when_idle(dashboard_factory, demo_db, kit):
    """A GET of the page (a crawler, a preview) starts a kernel no browser ever connects to."""
    import time

    server = dashboard_factory(demo_db, env=kit.clean_env(ORCHESTRATOR_KERNEL_IDLE_SECONDS="3"))
    for _ in range(2):
        assert page(server).status_code == 200
    deadline = time.monotonic() + 40
    while kernels(server) > KERNEL_POOL + 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernels(server) <= KERNEL_POOL + 1  # the warm pool (never culled) and at most one being refilled
