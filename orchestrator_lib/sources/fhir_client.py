"""A careful FHIR R4 REST client: searches, paging, retries, clear failures.

Only what the connector needs: ``search`` yields every resource of a search,
following ``Bundle.link`` *next* until there is none. Around each request:

- timeouts on connect and read (``$ORCHESTRATOR_FHIR_TIMEOUT`` seconds for a
  read, 60 by default) and the same overall deadline for a whole answer, so
  neither a silent nor a trickling server hangs an unattended load; an answer
  is at most ``MAX_RESPONSE_BYTES``, a search at most ``MAX_PAGES`` pages;
- redirects followed only within the server's own origin;
- bounded retries with exponential backoff on what passes (429, 502, 503, 504,
  timeouts, dropped connections, a body cut short), honouring ``Retry-After``;
- a message that says what to do on what does not pass: 401/403 (the token),
  an answer that is not FHIR (an HTML page from a proxy), an OperationOutcome,
  a *next* link that loops or leaves the server.

The bearer token comes from ``$ORCHESTRATOR_FHIR_TOKEN`` only. It lives in the
session's headers and is never part of a URL, a message or a log line (even
when the server echoes it back in an error page); it is never sent to another
origin than the server's own.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import tenacity

from ..errors import InputError, OrchestratorError
from ..i18n import N_

TOKEN_ENV = "ORCHESTRATOR_FHIR_TOKEN"
TIMEOUT_ENV = "ORCHESTRATOR_FHIR_TIMEOUT"
RETRYABLE_STATUS = (429, 502, 503, 504)
BACKOFF_SECONDS = 0.5  # first wait between attempts; doubles each time, up to 30 s
ATTEMPTS = 5
MAX_RETRY_AFTER = 120.0  # a server asking to wait longer gets a message at once
MAX_RESPONSE_BYTES = 256 << 20  # one answer; a page of 1,000 resources is a few MiB
MAX_PAGES = 10_000  # of one search: ten million resources at 1,000 a page
MAX_REDIRECTS = 5  # each one within the server's own origin
FHIR_MEDIA_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


class FhirError(OrchestratorError):
    """The FHIR server could not give what the load needs: nothing was changed."""


class FhirRefused(FhirError):
    """The server refused the request as such (access, address, query): fix, then retry."""

    exit_code = 2


class _Transient(FhirError):
    """A failure worth another try; the last one reaches the user as is."""

    def __init__(self, key: str, retry_after: float | None = None, **values: Any):
        self.retry_after = retry_after
        super().__init__(key, **values)


def display_url(url: str) -> str:
    """The URL as it may be shown and recorded: without user name, password
    or trailing slash (``…/R4`` and ``…/R4/`` are one server)."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


class FhirClient:
    def __init__(self, base_url: str, *, token: str | None = None, page_size: int = 1000):
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname:
            raise InputError("fhir_url_invalid", url=display_url(base_url))
        self.base = base_url.rstrip("/")  # one server, one name: see display_url
        self.page_size = page_size
        read = float(os.environ.get(TIMEOUT_ENV) or 60)
        self.timeout = (min(10.0, read), read)
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/fhir+json", "User-Agent": "orchestrator_lib"})
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.has_token = bool(token)
        self._token = token or None
        self.started_at: dt.datetime | None = None  # server clock at the first answer

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- searching ------------------------------------------------------------
    def search(
        self, resource_type: str, params: dict | None = None, on_page: Callable[[int, int | None], None] | None = None
    ) -> Iterator[dict]:
        """Every resource the search finds (included ones too), page after page.

        ``on_page(resources in the page, Bundle.total or None)`` after each page."""
        url: str | None = f"{self.base}/{resource_type}"
        query: dict | None = {"_count": str(self.page_size), **(params or {})}
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if len(seen) >= MAX_PAGES:
                raise FhirError(
                    "fhir_too_many_pages", url=display_url(self.base), resource=resource_type, pages=MAX_PAGES
                )
            page = str(requests.Request("GET", next_url, params=query).prepare().url)
            if page in seen:
                raise FhirError("fhir_paging_loop", url=display_url(page), resource=resource_type)
            seen.add(page)
            bundle = self.get(page)
            if bundle.get("resourceType") != "Bundle":
                raise FhirError("fhir_not_bundle", url=display_url(page), found=bundle.get("resourceType"))
            entries = bundle.get("entry") or []
            self._check_outcomes(entries, page)
            resources = [
                e["resource"]
                for e in entries
                if isinstance(e.get("resource"), dict) and e.get("search", {}).get("mode") != "outcome"
            ]
            if on_page:
                on_page(len(resources), bundle.get("total"))
            yield from resources
            next_url, query = self._next_link(bundle, page), None

    def _next_link(self, bundle: dict, page: str) -> str | None:
        nexts = [link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"]
        if not nexts or not nexts[0]:
            return None
        target = requests.compat.urljoin(page, nexts[0])
        if _origin(target) != _origin(self.base):
            raise FhirError("fhir_next_elsewhere", url=display_url(target), base=display_url(self.base))
        return target

    def _check_outcomes(self, entries: list[dict], page: str) -> None:
        """An OperationOutcome of severity error or fatal inside a page stops the load."""
        for entry in entries:
            resource = entry.get("resource") or {}
            if resource.get("resourceType") == "OperationOutcome" and _outcome_is_error(resource):
                raise FhirError(
                    "fhir_outcome", url=display_url(page), status=200, detail=self._said(outcome_text(resource))
                )

    # -- one request ------------------------------------------------------------
    def get(self, url: str) -> dict:
        """The JSON resource at ``url``; transient failures are tried again."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            stop=tenacity.stop_after_attempt(ATTEMPTS),
            wait=self._wait,
            reraise=True,
        )
        return retrying(self._get_once, url)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Retry-After when the server gives one, else exponential backoff with jitter."""
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return retry_after
        return min(30.0, BACKOFF_SECONDS * 2 ** (state.attempt_number - 1)) * random.uniform(0.75, 1.25)

    def _said(self, text: str) -> str:
        """What the server said, fit for a message: the token never shows, even echoed back."""
        return text.replace(self._token, "***") if self._token else text

    def _fetch(self, url: str) -> tuple[requests.Response, bytes]:
        """The answer at ``url`` and its body, read within one overall deadline and
        size limit; redirects followed only within the server's origin."""
        deadline = time.monotonic() + self.timeout[1]
        for _ in range(MAX_REDIRECTS + 1):
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False, stream=True)
            if response.is_redirect:
                target = requests.compat.urljoin(url, response.headers.get("Location", ""))
                response.close()
                if _origin(target) != _origin(self.base):
                    raise FhirRefused(
                        "fhir_redirect_elsewhere",
                        url=display_url(url),
                        target=display_url(target),
                        base=display_url(self.base),
                    )
                url = target
                continue
            chunks, size = [], 0
            for chunk in response.iter_content(1 << 16):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    response.close()
                    raise FhirError("fhir_too_large", url=display_url(url), limit=MAX_RESPONSE_BYTES >> 20)
                if time.monotonic() > deadline:
                    response.close()
                    raise requests.exceptions.Timeout("overall deadline")
                chunks.append(chunk)
            return response, b"".join(chunks)
        raise FhirError("fhir_redirect_loop", url=display_url(url), limit=MAX_REDIRECTS)

    def _get_once(self, url: str) -> dict:
        shown = display_url(url)
        try:
            response, body = self._fetch(url)  # read here: a body cut short raises now
        except requests.exceptions.Timeout:
            raise _Transient("fhir_timeout", url=shown, seconds=self.timeout[1]) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise _Transient("fhir_connection", url=shown, detail=_short(error)) from None
        except requests.exceptions.RequestException as error:
            raise FhirError("fhir_connection", url=shown, detail=_short(error)) from None
        status = response.status_code
        if status in RETRYABLE_STATUS:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                raise FhirError("fhir_retry_too_long", url=shown, status=status, seconds=round(retry_after))
            raise _Transient(
                "fhir_unavailable",
                retry_after=retry_after,
                url=shown,
                status=status,
                attempts=ATTEMPTS,
                detail=self._said(_body_text(response, body)),
            )
        if status in (401, 403):
            key = (
                N_("fhir_forbidden")
                if status == 403
                else (N_("fhir_unauthorized") if self.has_token else N_("fhir_token_missing"))
            )
            raise FhirRefused(key, url=shown, status=status, env=TOKEN_ENV)
        document = self._json(response, body, shown)
        if status >= 400:
            if document.get("resourceType") == "OperationOutcome":
                raise (FhirRefused if status < 500 else FhirError)(
                    "fhir_outcome", url=shown, status=status, detail=self._said(outcome_text(document))
                )
            raise FhirError("fhir_http_error", url=shown, status=status, detail=_shape(document))
        if document.get("resourceType") == "OperationOutcome" and _outcome_is_error(document):
            raise FhirError("fhir_outcome", url=shown, status=status, detail=self._said(outcome_text(document)))
        if self.started_at is None:
            self.started_at = _server_time(document, response)
        return document

    def _json(self, response: requests.Response, body: bytes, shown: str) -> dict:
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media not in FHIR_MEDIA_TYPES:
            raise FhirError(
                "fhir_not_fhir",
                url=shown,
                status=response.status_code,
                media=media or "?",
                detail=self._said(_body_text(response, body)),
            )
        try:
            document = json.loads(body)
        except ValueError as error:
            # Most often a body cut short on the way: worth another try.
            raise _Transient("fhir_bad_json", url=shown, detail=str(error), size=len(body)) from None
        if not isinstance(document, dict) or "resourceType" not in document:
            raise FhirError(
                "fhir_not_fhir", url=shown, status=response.status_code, media=media, detail=_shape(document)
            )
        return document

    # -- writing (tests, benchmarks, seeding a server) ---------------------------
    def post_batch(self, resources: list[dict]) -> None:
        """PUT ``resources`` (with their ids) in one batch Bundle; raise on any refusal."""
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                for r in resources
            ],
        }
        response = self.session.post(
            self.base, json=bundle, timeout=(self.timeout[0], 600), headers={"Content-Type": "application/fhir+json"}
        )
        document = self._json(response, response.content, display_url(self.base))
        if response.status_code >= 400:
            raise FhirError(
                "fhir_outcome", url=display_url(self.base), status=response.status_code, detail=outcome_text(document)
            )
        for entry in document.get("entry") or []:
            status = str(entry.get("response", {}).get("status", ""))
            if not status.startswith("2"):
                raise FhirError(
                    "fhir_outcome",
                    url=display_url(self.base),
                    status=status,
                    detail=outcome_text(entry.get("response", {}).get("outcome") or {}),
                )


# --- reading what a server said ---------------------------------------------------


def _outcome_is_error(outcome: dict) -> bool:
    return any(i.get("severity") in ("error", "fatal") for i in outcome.get("issue") or [])


def outcome_text(outcome: dict) -> str:
    """An OperationOutcome's issues in one line: what the server says went wrong."""
    parts = []
    for issue in outcome.get("issue") or []:
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code") or ""
        parts.append(f"{issue.get('severity', '?')}: {text}".strip())
    return "; ".join(parts) or "?"


def _server_time(document: dict, response: requests.Response) -> dt.datetime | None:
    """When the server answered, by its own clock: the searchset's
    ``meta.lastUpdated`` (FHIR: when the search ran), else the Date header."""
    try:
        stamp = (document.get("meta") or {}).get("lastUpdated")
        if stamp:
            return dt.datetime.fromisoformat(stamp)
        return email.utils.parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay in seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _body_text(response: requests.Response, body: bytes) -> str:
    """What a non-FHIR answer says, short: an HTML page's title, else its first words."""
    charset = re.search(r"charset=([\w-]+)", response.headers.get("Content-Type", ""))
    try:
        text = body.decode(charset.group(1) if charset else "utf-8")
    except (LookupError, UnicodeDecodeError):
        text = body.decode("latin-1")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return _short(title.group(1))
    return _short(re.sub(r"<[^>]+>", " ", text))


def _shape(document: object) -> str:
    """A JSON document described by its keys only: its values may be patient data."""
    if isinstance(document, dict):
        return "JSON {" + ", ".join(list(document)[:8]) + (", …}" if len(document) > 8 else "}")
    return f"JSON {type(document).__name__}"


def _short(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
