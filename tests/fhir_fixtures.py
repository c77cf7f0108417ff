"""Pytest plugin: a real FHIR R4 server (Medplum's router, in memory) for the session.

``fhir_server`` yields the base URL of a server without authentication,
``fhir_server_with_token`` yields ``(base_url, token)`` of one that requires
``Authorization: Bearer <token>``. Both are empty when the session starts and are
shared by every test of the session: use ids of your own, or call
``fhir_server.launch.reset_fhir_server(base[, token])`` to empty one.

Register it in tests/conftest.py: ``pytest_plugins = ["browser_fixtures", "fhir_fixtures"]``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from fhir_server.launch import running_fhir_server


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>/fhir/R4``) of a FHIR server that needs no token."""
    with running_fhir_server() as base:
        yield base


@pytest.fixture(scope="session")
def fhir_server_with_token() -> Iterator[tuple[str, str]]:
    """``(base_url, token)`` of a FHIR server that answers 401 without ``Bearer <token>``."""
    token = secrets.token_urlsafe(24)
    with running_fhir_server(token) as base:
        yield base, token
