"""The clinic's own amounts: what a counted availability and an appointment held are worth to
it (docs/rules.md, money at stake). Never a built-in default: without amounts, nothing
monetary is shown. Every change is kept (``rate_changes``), with who and when.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import store
from .errors import InputError

KINDS = ("availability", "held")  # per counted availability, per appointment held
CENTS = Decimal("0.01")
MAXIMUM = Decimal("1e10")  # DECIMAL(12, 2)


def amount(text) -> Decimal:
    """A dollar amount as the user writes it (``50``, ``50.00``, ``50,5``, ``1 250,00 $``,
    ``$1,250.00``); refused when negative, not a number, too large, or ambiguous (``1,250``:
    fifty cents or a thousand?)."""
    raw = str(text)
    cleaned = re.sub(r"[\s\u00a0\u202f$]", "", raw)
    if "," in cleaned and "." in cleaned:  # an English thousands separator: 1,250.00
        cleaned = cleaned.replace(",", "") if cleaned.rfind(",") < cleaned.rfind(".") else ""
    elif re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):
        raise InputError("rate_ambiguous", value=raw)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise InputError("rate_invalid", value=raw) from None
    if not value.is_finite() or value < 0:
        raise InputError("rate_invalid", value=raw)
    value = value.quantize(CENTS, rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.00"
    if value >= MAXIMUM:
        raise InputError("rate_invalid", value=raw)
    return value


def current(db=None, *, con=None) -> dict[str, float]:
    """The amounts set, ``{"availability": 50.0, "held": 50.0}``; empty when none."""
    with store.reading_on(db, con) as c:
        return {
            kind: float(value) for kind, value in c.execute("SELECT kind, amount FROM rates ORDER BY kind").fetchall()
        }


def set_rates(db=None, *, user: str | None = None, **amounts) -> dict[str, float]:
    """Set the amounts given (``availability=``, ``held=``; None leaves one as it is, ``""``
    is refused); each change is kept. The amounts now set."""
    wanted: dict[str, Decimal | None] = {kind: amount(value) for kind, value in amounts.items() if value is not None}
    unknown = set(wanted) - set(KINDS)
    if unknown:
        raise InputError("rate_unknown_kind", kind=", ".join(sorted(unknown)))
    return _change(db, wanted, user)


def clear_rates(db=None, *, user: str | None = None) -> dict[str, float]:
    """Remove every amount (the history keeps them): nothing monetary is shown any more."""
    return _change(db, dict.fromkeys(KINDS), user)


def _change(db, wanted: dict[str, Decimal | None], user: str | None) -> dict[str, float]:
    who = user or store.current_user()

    def work(con) -> dict[str, float]:
        before = dict(con.execute("SELECT kind, amount FROM rates").fetchall())
        for kind, value in wanted.items():
            if before.get(kind) == value:
                continue  # nothing changes: nothing to keep
            con.execute("DELETE FROM rates WHERE kind = ?", [kind])
            if value is not None:
                con.execute("INSERT INTO rates VALUES (?, ?, current_timestamp, ?)", [kind, value, who])
            con.execute(
                "INSERT INTO rate_changes (number, changed_at, changed_by, kind, before, after) "
                "SELECT coalesce(max(number), 0) + 1, current_timestamp, ?, ?, ?, ? FROM rate_changes",
                [who, kind, before.get(kind), value],
            )
        return current(con=con)

    return store.write(db, work)


def changes(db=None, *, con=None) -> list[dict]:
    """Every change of the amounts, newest first: when, who, which, before and after."""
    with store.reading_on(db, con) as con:
        rows = con.execute(
            "SELECT number, changed_at, changed_by, kind, before, after FROM rate_changes ORDER BY number DESC"
        ).fetchall()
    return [
        {
            "number": number,
            "at": at.isoformat(timespec="seconds"),
            "by": by,
            "kind": kind,
            "before": None if before is None else float(before),
            "after": None if after is None else float(after),
        }
        for number, at, by, kind, before, after in rows
    ]


def estimate(rates: dict[str, float], availabilities: int = 0, held: int = 0) -> float | None:
    """What ``availabilities`` and ``held`` appointments are worth at ``rates``; None when no
    amount is set (then nothing monetary is shown)."""
    if not rates:
        return None
    return round(availabilities * rates.get("availability", 0.0) + held * rates.get("held", 0.0), 2)
