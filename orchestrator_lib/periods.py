"""Local time and quarters. Every rule works in America/Montreal wall-clock
time, as the EMR tables store it (see ``store``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .errors import InputError
from .i18n import Message
from .store import LOCAL_TIMEZONE

LOCAL = ZoneInfo(LOCAL_TIMEZONE)


def now_local() -> dt.datetime:
    """Now, as naive local wall-clock time."""
    return dt.datetime.now(LOCAL).replace(tzinfo=None)


def parse_as_of(text: str | dt.datetime | None, option: str = "--as-of") -> dt.datetime:
    """An ISO 8601 time as naive local time (None: now). Offsets are converted."""
    if text is None:
        return now_local()
    if isinstance(text, dt.datetime):
        moment = text
    else:
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise InputError("bad_option", option=option, value=text, hint=Message("as_of_forms")) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL).replace(tzinfo=None)
    return moment


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, text: str | None) -> Quarter:
        """A quarter as people write it: ``2026Q3``, ``2026T3``, ``2026-Q3``, ``T3 2026``,
        ``Q3 2026``; also ``current`` and ``previous`` (relative to today), for schedulers."""
        relative = (text or "").strip().lower()
        if relative in ("current", "courant"):
            return cls.of(now_local())
        if relative in ("previous", "precedent", "précédent"):
            return cls.of(now_local()).previous()
        found = re.fullmatch(r"(?P<year>\d{4})\s*-?\s*[qt](?P<number>[1-4])", relative) or re.fullmatch(
            r"[qt](?P<number>[1-4])\s*-?\s*(?P<year>\d{4})", relative
        )
        if not found:
            raise InputError("bad_option", option="--quarter", value=text, hint=Message("quarter_forms"))
        return cls(int(found.group("year")), int(found.group("number")))

    @classmethod
    def of(cls, moment: dt.date) -> Quarter:
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @property
    def start(self) -> dt.datetime:
        """First local instant of the quarter."""
        return dt.datetime(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.datetime:
        """First local instant after the quarter (exclusive bound)."""
        return self.next().start

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"
