"""The suite cannot pass by testing nothing: a missing browser, Node or PostgreSQL skips
only the tests that need it, and on CI (``CI=true``) fails the run instead."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("what", MISSING)
def test_a_missing_requirement_skips_only_the_tests_that_need_it(what):
    module, env, reason = MISSING[what]
    result = pytest_run(module, PLAIN_TEST, CI="", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "skipped" in result.stdout, result.stdout
    assert reason in result.stdout


@pytest.mark.parametrize("what", MISSING)
def test_on_ci_a_missing_requirement_fails_the_run(what):
    module, env, reason = MISSING[what]
    result = pytest_run(module, PLAIN_TEST, CI="true", **env)
    assert result.returncode != 0
    assert "CI=true" in result.stderr and reason in result.stderr, result.stdout + result.stderr
    assert "passed" not in result.stdout


def test_the_plain_tests_never_skip_for_want_of_the_browser():
    result = pytest_run(
        "tests/test_cli.py",
        "tests/test_i18n.py",
        CI="",
        ORCHESTRATOR_TEST_CHROMIUM="/nonexistent/chromium",
        ORCHESTRATOR_TEST_NODE="no-such-node",
        ORCHESTRATOR_TEST_POSTGRES="/nonexistent/postgresql",
    )
    assert result.returncode == 0 and "skipped" not in result.stdout, result.stdout
