"""The suite cannot pass by testing nothing: a missing browser, Node or PostgreSQL skips
only the tests that need it, and on CI (``CI=true``) fails the run instead."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # pytest runs pytest

PLAIN_TEST = "tests/test_cli.py::test_help_lists_the_commands"
MISSING = {
    "browser": (
        "tests/test_browser_dashboard.py",
        {"ORCHESTRATOR_TEST_CHROMIUM": "/nonexistent/chromium"},
        "/nonexistent/chromium is missing",
    ),
    "node": ("tests/test_fhir_server.py", {"ORCHESTRATOR_TEST_NODE": "no-such-node"}, "no-such-node is not on PATH"),
    "postgres": (
        "tests/test_lake_processes.py",
        {"ORCHESTRATOR_TEST_POSTGRES": "/nonexistent/postgresql"},
        "/nonexistent/postgresql is missing",
    ),
}


def pytest_run(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Its own --output: pytest-playwright empties that folder when a session starts, and the
    # default (test-results/) holds the screenshots of the run this test is part of.
    output = tempfile.mkdtemp(prefix="suite-itself-")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "--output", output, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


ALL_MISSING = {name: value for _module, env, _reason in MISSING.values() for name, value in env.items()}
PLAIN_MODULES = ("tests/test_cli.py", "tests/test_i18n.py")


def test_a_missing_requirement_skips_only_the_tests_that_need_it():
    """All three missing at once (one pytest start instead of three): each module's tests are
    skipped for its own requirement, and the plain tests run, none skipped."""
    modules = [module for module, _env, _reason in MISSING.values()]
    result = pytest_run(*modules, *PLAIN_MODULES, CI="", **ALL_MISSING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout, result.stdout
    skipped = re.findall(r"^SKIPPED \[\d+\] ([^:]+)(?::\d+)?: (.*)$", result.stdout, re.MULTILINE)
    reasons = {module: reason for module, _env, reason in MISSING.values()}
    assert {module for module, _reason in skipped} == set(reasons), result.stdout
    for module, reason in skipped:
        assert reasons[module] in reason, (module, reason)


def test_on_ci_a_missing_requirement_fails_the_run():
    modules = [module for module, _env, _reason in MISSING.values()]
    result = pytest_run(*modules, PLAIN_TEST, CI="true", **ALL_MISSING)
    assert result.returncode != 0
    assert "CI=true" in result.stderr, result.stdout + result.stderr
    for _module, _env, reason in MISSING.values():
        assert reason in result.stderr, result.stderr
    assert "passed" not in result.stdout
