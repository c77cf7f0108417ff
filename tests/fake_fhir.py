"""A small FHIR server that serves fixed resources and misbehaves on demand.

Built on pytest-httpserver (a real HTTP server on 127.0.0.1, threaded so that
a request left hanging does not hold the next one). Searches page through
``_count``/``_offset`` with absolute *next* links, as real servers do; a fault
queued for a resource type is served instead of the next page of that type.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FHIR_JSON = "application/fhir+json"


def fhir_response(document: dict, status: int = 200, **headers) -> Response:
    return Response(json.dumps(document), status=status, content_type=FHIR_JSON, headers=headers)


def outcome(text: str, code: str = "processing", severity: str = "error") -> dict:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}


class FakeFhir:
    def __init__(self, server: HTTPServer):
        self.server = server
        self.resources: dict[str, list[dict]] = defaultdict(list)
        self.faults: dict[str, list[Response | Callable[[Request], Response]]] = defaultdict(list)
        self.requests: list[tuple[str, dict, str | None]] = []  # (type, query, Authorization)
        self.token: str | None = None
        server.expect_request(re.compile(r"^/fhir/.*")).respond_with_handler(self._handle)

    @property
    def base(self) -> str:
        return self.server.url_for("/fhir")

    def serve(self, resources: Iterable[dict]) -> FakeFhir:
        for resource in resources:
            self.resources[resource["resourceType"]].append(resource)
        return self

    def fail(self, resource_type: str, *responses: Response | Callable[[Request], Response]) -> None:
        """Answer the next searches of ``resource_type`` with ``responses``, in order."""
        self.faults[resource_type].extend(responses)

    def calls(self, resource_type: str) -> int:
        return sum(1 for rtype, _, _ in self.requests if rtype == resource_type)

    def _handle(self, request: Request) -> Response:
        resource_type = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
        query = request.args.to_dict()
        self.requests.append((resource_type, query, request.headers.get("Authorization")))
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return fhir_response(outcome("Unauthorized", "login"), 401, **{"WWW-Authenticate": "Bearer"})
        if self.faults[resource_type]:
            fault = self.faults[resource_type].pop(0)
            return fault if isinstance(fault, Response) else fault(request)
        return fhir_response(self.page(resource_type, query))

    def page(self, resource_type: str, query: dict) -> dict:
        found = self.resources.get(resource_type, [])
        if "schedule" in query:
            wanted = set(query["schedule"].split(","))
            found = [r for r in found if r.get("schedule", {}).get("reference") in wanted]
        count, offset = int(query.get("_count", 100)), int(query.get("_offset", 0))
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in found[offset : offset + count]],
        }
        if offset + count < len(found):
            bundle["link"] = [
                {
                    "relation": "next",
                    "url": self.server.url_for(f"/fhir/{resource_type}")
                    + "?"
                    + urlencode({**query, "_offset": offset + count}),
                }
            ]
        return bundle


@pytest.fixture
def fake_fhir():
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        yield FakeFhir(server)
    finally:
        server.clear()
        server.stop()


def fails_cleanly(server: FakeFhir, db, key: str):
    """Load from ``server``: it must fail with ``key`` and leave ``db`` untouched."""
    from orchestrator_lib.errors import OrchestratorError
    from orchestrator_lib.load import load_fhir

    from conftest import snapshot

    before = snapshot(db)
    with pytest.raises(OrchestratorError) as caught:
        load_fhir(server.base, db)
    assert caught.value.key == key, caught.value
    assert snapshot(db) == before
    return caught.value
