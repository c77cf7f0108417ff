"""The synchronisation wizard (docs/rules.md, the wizard), without any widget.

Three steps, then Apply:

1. exclude: pending services (active in the EMR, never imported) to exclude;
2. inactive: pending services not excluded, to keep inactive;
3. types: pending services neither excluded nor kept inactive, plus those kept
   inactive that have a future appointment, plus imported services that are
   included, inactive and have a future appointment (automatic reactivation,
   their previous types preselected). Each gets at least one type.

Choices live in three plain collections keyed by service id, so going back
and changing an earlier step keeps every choice that still applies; lists are
derived from them on demand. Nothing is written before ``apply()``.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass, field

from . import history, store
from .catalogue import list_types
from .errors import InputError, RefusedError, json_reason, os_reason
from .history import Change, State
from .i18n import Message
from .periods import parse_as_of
from .queries import sql

EXCLUDE, INACTIVE, TYPES, APPLY = 1, 2, 3, 4
STEPS = (EXCLUDE, INACTIVE, TYPES, APPLY)


def fold(text: str) -> str:
    """Lower case without accents: ``Précédent`` and ``precedent`` fold alike.

    The Python twin of the SQL macro ``fold_text`` (migrations/0008) for the
    wizard's search over what it has read: the same lower() and the same accents
    removed, so the wizard and the services tab find the same services
    (``tests/test_wizard.py`` compares the two)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Service:
    """A service as the wizard sees it when it opens."""

    service_id: str
    name: str
    imported: bool
    excluded: bool
    status: str | None
    types: tuple[str, ...]
    future_appointments: int
    will_reactivate: bool  # imported, included, inactive, with a future appointment
    folded: str = field(default="", compare=False, repr=False)

    @property
    def state(self) -> State | None:
        return State(self.excluded, self.status or "inactive", self.types) if self.imported else None


@dataclass
class Plan:
    """What Apply will write, service by service, and the summary of the command line's contract."""

    changes: list[Change]

    def ids(self, predicate) -> list[str]:
        return sorted(c.service_id for c in self.changes if predicate(c))

    @property
    def changes_anything(self) -> bool:
        return bool(history.real_changes(self.changes))

    def summary(self, run_id: str | None = "dry-run", what_if: dict | None = None) -> dict:
        """The ``orchestrator sync --json`` document (the command line in the README) without ``what_if``
        unless given: ``run_id`` is "dry-run" before apply, None when nothing changes."""
        summary: dict[str, object] = {
            "run_id": run_id if self.changes_anything else None,
            "active": self.ids(lambda c: c.after.status == "active"),
            "inactive": self.ids(lambda c: c.after.status == "inactive" and not c.after.excluded),
            "excluded": self.ids(lambda c: c.after.excluded),
            "auto_reactivated": self.ids(lambda c: c.decision == "auto_reactivated"),
            "auto_deactivated": self.ids(lambda c: c.decision == "auto_deactivated"),
        }
        if what_if is not None:
            summary["what_if"] = what_if
        return summary


class Wizard:
    """One run of the synchronisation wizard over a database, at time ``as_of``."""

    def __init__(self, db=None, as_of: str | dt.datetime | None = None, user: str | None = None, *, con=None):
        self.db = store.resolve_db(db)
        self.as_of = parse_as_of(as_of)
        self.user = user
        self.step = EXCLUDE
        self.excluded: set[str] = set()
        self.kept_inactive: set[str] = set()
        self.types: dict[str, set[str]] = {}
        self._preselected: set[str] = set()
        self.refresh(con)

    # -- reading the database ---------------------------------------------------
    # The wizard reads at its edges only: here (once, and on refresh) and in
    # impact() / apply(); every step in between works on what was read.
    def refresh(self, con=None) -> None:
        """Read the services again (on ``con`` if given), keeping every choice made so far."""
        with store.reading_on(self.db, con) as con:
            rows = con.execute(sql("wizard_services"), {"as_of": self.as_of}).fetchall()
            self.type_catalogue = list_types(con=con)
        self.services = {
            sid: Service(
                sid, name, imported, excluded, status, tuple(types), future, reactivates, fold(f"{sid} {name}")
            )
            for sid, name, imported, excluded, status, types, future, reactivates in rows
        }
        for service in self.services.values():
            if service.imported and service.service_id not in self._preselected:
                self.types[service.service_id] = set(service.types)  # preselected on reactivation
                self._preselected.add(service.service_id)
            elif not service.imported and service.service_id in self._preselected:
                # Imported when the wizard opened, pending again now (an undo): its old types were never chosen here.
                self._preselected.discard(service.service_id)
                self.types.pop(service.service_id, None)

    @property
    def type_codes(self) -> list[str]:
        return [t["code"] for t in self.type_catalogue]

    # -- the lists ----------------------------------------------------------------
    def listed(self, step: int) -> list[Service]:
        """The services step ``step`` lists, sorted by id."""
        return [s for s in self.services.values() if self.is_listed(s, step)]

    def is_listed(self, service: Service, step: int) -> bool:
        if step == EXCLUDE:
            return not service.imported
        if step == INACTIVE:
            return not service.imported and service.service_id not in self.excluded
        if step in (TYPES, APPLY):
            return self._reaches_types(service)
        raise ValueError(step)

    def _reaches_types(self, service: Service) -> bool:
        if service.imported:  # automatic reactivation (will_reactivate, migrations/0008)
            return service.will_reactivate
        if service.service_id in self.excluded:
            return False
        return service.service_id not in self.kept_inactive or service.future_appointments > 0

    def search(self, step: int, text: str = "") -> list[Service]:
        """The services of ``step`` whose id or name holds ``text``, ignoring case and accents."""
        needle = fold(text.strip())
        listed = self.listed(step)
        return [s for s in listed if needle in s.folded] if needle else listed

    def counts(self) -> dict[int, int]:
        return {step: len(self.listed(step)) for step in (EXCLUDE, INACTIVE, TYPES)}

    # -- choices ------------------------------------------------------------------
    def _require_listed(self, service_id: str, step: int) -> Service:
        service = self.services.get(service_id)
        if service is None or not self.is_listed(service, step):
            raise RefusedError("not_listed", service_id=service_id, step=step)
        return service

    def set_excluded(self, service_id: str, excluded: bool = True) -> None:
        self._require_listed(service_id, EXCLUDE)
        (self.excluded.add if excluded else self.excluded.discard)(service_id)

    def set_kept_inactive(self, service_id: str, kept: bool = True) -> None:
        self._require_listed(service_id, INACTIVE)
        (self.kept_inactive.add if kept else self.kept_inactive.discard)(service_id)

    def toggle_type(self, service_id: str, code: str) -> None:
        """Choose ``code`` for the service; choosing it again removes it."""
        self._check_types([code])
        self._require_listed(service_id, TYPES)
        chosen = self.types.setdefault(service_id, set())
        chosen.symmetric_difference_update({code})

    def set_types(self, service_id: str, codes) -> None:
        self._check_types(codes)
        self._require_listed(service_id, TYPES)
        self.types[service_id] = set(codes)

    def types_of(self, service_id: str) -> list[str]:
        chosen = self.types.get(service_id, set())
        return [code for code in self.type_codes if code in chosen]

    def _check_types(self, codes) -> None:
        unknown = [c for c in codes if c not in self.type_codes]
        if unknown:
            raise InputError("type_unknown", value=", ".join(map(str, unknown)), allowed=", ".join(self.type_codes))

    # -- navigation ---------------------------------------------------------------
    def next(self) -> int:
        self.step = min(self.step + 1, APPLY)
        return self.step

    def previous(self) -> int:
        self.step = max(self.step - 1, EXCLUDE)
        return self.step

    def go_to(self, step: int) -> int:
        if step not in STEPS:
            raise ValueError(step)
        self.step = step
        return self.step

    # -- the result -----------------------------------------------------------------
    def plan(self) -> Plan:
        """The final state of every service listed in any step."""
        changes = []
        for service in self.listed(TYPES):
            chosen = tuple(self.types_of(service.service_id))
            if chosen:
                automatic = service.imported or service.service_id in self.kept_inactive
                changes.append(
                    self._change(service, "auto_reactivated" if automatic else "typed", State(False, "active", chosen))
                )
            else:
                changes.append(self._change(service, "auto_deactivated", State(False, "inactive", ())))
        for service in self.listed(EXCLUDE):
            if service.service_id in self.excluded:
                changes.append(self._change(service, "excluded", State(True, "inactive", ())))
            elif service.service_id in self.kept_inactive and service.future_appointments == 0:
                changes.append(self._change(service, "kept_inactive", State(False, "inactive", ())))
        return Plan(sorted(changes, key=lambda c: c.service_id))

    @staticmethod
    def _change(service: Service, decision: str, after: State) -> Change:
        return Change(service.service_id, service.name, decision, service.state, after)

    def what_if(self, con=None) -> dict:
        """What the plan does to the remuneration count of this quarter and the last one
        (``impact.what_if``; on ``con`` if given)."""
        from .impact import what_if

        return what_if(self.db, self.plan().changes, self.as_of, con=con)

    def impact(self, con=None) -> dict:
        """The plan's what-if as the sync's document gives it."""
        from .impact import spec_what_if

        return spec_what_if(self.what_if(con))

    def summary(self, con=None) -> dict:
        """What Apply would do, as the ``orchestrator sync --dry-run --json`` document."""
        return self.plan().summary("dry-run", self.impact(con))

    def apply(self, *, impact: dict | None = None, refresh: bool = True) -> dict:
        """Write the plan in one transaction, record it as a run (none when
        nothing changes); return the summary, with the what-if seen before writing
        (``impact``, when the caller computed it on its own read). The wizard then
        starts again on the new state (``refresh=False``: a command that stops here)."""
        plan = self.plan()
        impact = self.impact() if impact is None else impact
        run_id = history.apply_changes(self.db, "sync", plan.changes, user=self.user, as_of=self.as_of)
        self.excluded, self.kept_inactive, self.types, self._preselected = set(), set(), {}, set()
        self.step = EXCLUDE
        if refresh:
            self.refresh()
        return plan.summary(run_id, impact)

    # -- choices not applied yet: what a draft keeps --------------------------------------
    def choices(self) -> dict:
        """The choices made so far on pending services, as a decisions file writes them
        (the types preselected for an automatic reactivation are not a choice)."""
        chosen = {sid: self.types_of(sid) for sid in sorted(self.types) if sid not in self._preselected}
        return {
            "exclude": sorted(self.excluded),
            "inactive": sorted(self.kept_inactive),
            "types": {sid: codes for sid, codes in chosen.items() if codes},
        }

    def has_choices(self) -> bool:
        """Whether leaving now would lose something the user decided."""
        choices = self.choices()
        return bool(choices["exclude"] or choices["inactive"] or choices["types"])

    def restore(self, choices: dict, step: int = EXCLUDE) -> None:
        """Make again the choices of a draft that still apply: a service no longer pending (imported
        meanwhile, or gone from the export) is left out, never refused."""
        for sid in choices.get("exclude", []):
            if (s := self.services.get(sid)) is not None and self.is_listed(s, EXCLUDE):
                self.excluded.add(sid)
        for sid in choices.get("inactive", []):
            if (s := self.services.get(sid)) is not None and self.is_listed(s, INACTIVE):
                self.kept_inactive.add(sid)
        for sid, codes in choices.get("types", {}).items():
            if (s := self.services.get(sid)) is not None and self.is_listed(s, TYPES):
                self.types[sid] = {c for c in codes if c in self.type_codes}
        self.step = step if step in STEPS else EXCLUDE

    # -- decisions files (orchestrator sync) ---------------------------------------------
    def apply_decisions(self, decisions: dict) -> None:
        """Make the choices of a decisions file, step by step, refusing any id a
        step does not list, any unknown type, and any id both excluded and typed."""
        exclude, inactive, types = (
            decisions.get("exclude", []),
            decisions.get("inactive", []),
            decisions.get("types", {}),
        )
        both = sorted(set(exclude) & set(types))
        if both:
            raise RefusedError("excluded_and_typed", service_id=", ".join(both))
        self._check_types([code for codes in types.values() for code in codes])
        for service_id in exclude:
            if not self._already(service_id, lambda s: s.excluded):
                self.set_excluded(service_id)
        for service_id in inactive:
            if not self._already(service_id, lambda s: not s.excluded):
                self.set_kept_inactive(service_id)
        for service_id, codes in types.items():
            service = self.services.get(service_id)
            wanted = set(codes)
            if (service is None or not self.is_listed(service, TYPES)) and self._already(
                service_id, lambda s, wanted=wanted: s.status == "active" and set(s.types) == wanted
            ):
                continue
            self.set_types(service_id, codes)

    def _already(self, service_id: str, decided) -> bool:
        """Whether an imported service already is as a decision asks (a decisions
        file applied a second time changes nothing and is not refused)."""
        service = self.services.get(service_id)
        return service is not None and service.imported and decided(service)


def read_decisions(path) -> dict:
    """A decisions file (the command line in the README), checked for shape; errors name line and column."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as error:
        raise InputError("decisions_unreadable", file=path, detail=os_reason(error)) from None
    except UnicodeDecodeError as error:
        raise InputError(
            "decisions_encoding", file=path, byte=f"0x{error.object[error.start]:02X}", position=error.start + 1
        ) from None

    def no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:  # last-wins would silently drop a decision (an exclusion, say)
            raise InputError("decisions_duplicate_key", file=path, name=", ".join(repeated))
        return dict(pairs)

    try:
        decisions = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise InputError(
            "decisions_json", file=path, line=error.lineno, column=error.colno, detail=json_reason(error)
        ) from None
    except RecursionError:
        raise InputError("decisions_shape", file=path, detail=Message("decisions_too_deep")) from None

    def ids(value) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    if not isinstance(decisions, dict) or set(decisions) - {"exclude", "inactive", "types"}:
        raise InputError("decisions_shape", file=path, detail=Message("decisions_keys"))
    if not ids(decisions.get("exclude", [])) or not ids(decisions.get("inactive", [])):
        raise InputError("decisions_shape", file=path, detail=Message("decisions_lists"))
    types = decisions.get("types", {})
    if not isinstance(types, dict) or not all(ids(v) for v in types.values()):
        raise InputError("decisions_shape", file=path, detail=Message("decisions_types"))
    return decisions


def sync(db=None, decisions=None, *, as_of=None, user: str | None = None, dry_run: bool = False) -> dict:
    """``orchestrator sync``: the wizard run with ``decisions`` (a dict, or the path of a
    decisions file), applied in one transaction unless ``dry_run``. Returns the command's
    JSON document: the services by final state, ``what_if``, and ``run_id`` (None when
    nothing changes or with ``dry_run``).

    Example::

        sync("data/orchestrator.duckdb", {"exclude": ["SRV-2"], "types": {"SRV-1": ["urgent"]}})
    """
    if not isinstance(decisions, dict):
        decisions = read_decisions(decisions)
    with store.reading(db) as con:  # the command's one read: services, types, what-if
        wizard = Wizard(db, as_of=as_of, user=user, con=con)
        wizard.apply_decisions(decisions)
        if dry_run:
            return wizard.summary(con)
        impact = wizard.impact(con)
    return wizard.apply(impact=impact, refresh=False)  # its one write transaction


# --- the dashboard's draft (migrations/0009) ---------------------------------------------------------


def save_draft(wizard: Wizard) -> None:
    """Keep the wizard's choices (or forget them when there are none left)."""

    def work(con) -> None:
        con.execute("DELETE FROM wizard_draft")
        if wizard.has_choices():
            con.execute(
                "INSERT INTO wizard_draft (draft, saved_at, saved_by, step, choices) "
                "VALUES (1, current_timestamp, ?, ?, ?)",
                [wizard.user or store.current_user(), wizard.step, json.dumps(wizard.choices())],
            )

    store.write(wizard.db, work, serial=False)


def read_draft(db) -> dict | None:
    """The draft left by a wizard not applied: ``saved_at`` (ISO), ``saved_by``, ``step``, ``choices``."""
    with store.reading(db) as con:
        row = con.execute("SELECT saved_at, saved_by, step, choices FROM wizard_draft").fetchone()
    if row is None:
        return None
    return {"saved_at": row[0].isoformat(), "saved_by": row[1], "step": row[2], "choices": json.loads(row[3])}


def drop_draft(db) -> None:
    store.write(db, lambda con: con.execute("DELETE FROM wizard_draft"), serial=False)
