"""Words, numbers, dates and times in the user's language: Quebec French first, English complete.

Every text a person reads is a message id of the gettext catalogue ``orchestrator``
(``locale/<fr_CA|en_CA>/LC_MESSAGES/orchestrator.po``, compiled to ``.mo`` by
``make translations``; see docs/development.md). The ids are codes (``audit_summary``), not
English sentences: both languages are translations, and a test checks that every id has both,
with the same placeholders. Click's own messages (``Usage:``, ``Missing option``…) come from a
second catalogue, ``click``, in French only (English is Click's own text).

The language is held by one ``Translator``; ``set_language`` changes it (the dashboard's switch,
the report's kernel), ``$ORCHESTRATOR_LANG`` gives the first one. Numbers, percentages, dates and
times go through Babel for ``fr_CA`` / ``en_CA``; times are always shown in America/Montreal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gettext as _gettext
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOMAIN = "orchestrator"
CLICK_DOMAIN = "click"
LOCALES = {"fr": "fr_CA", "en": "en_CA"}
LOCALE_DIR = Path(__file__).parent / "locale"
TIME_ZONE = "America/Montreal"

# Placeholders whose integers are not quantities: shown as they are (no "8 866" for a port).
_RAW_NUMBERS = frozenset({"year", "port", "status", "line", "column", "limit", "version"})


def _language_of(text: str | None) -> str:
    return "en" if (text or "fr").strip().lower().startswith("en") else "fr"


@functools.cache
def _catalogue(domain: str, locale: str) -> _gettext.NullTranslations:
    return _gettext.translation(domain, LOCALE_DIR, languages=[locale], fallback=domain == CLICK_DOMAIN)


class Translator:
    """One language: its catalogue, and its way of writing numbers, dates and quarters."""

    def __init__(self, language: str | None = "fr"):
        self.language = _language_of(language)
        self.locale = LOCALES[self.language]
        self._messages = _catalogue(DOMAIN, self.locale)
        self._click = _catalogue(CLICK_DOMAIN, self.locale)

    # --- words ---------------------------------------------------------------------------

    def gettext(self, msgid: str, **values: object) -> str:
        text = self._messages.gettext(msgid)
        return text.format(**self._shown(values)) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The form for ``n`` (``{n}`` in the text is ``n`` written as a number). French takes the
        singular for 0 and 1, English for 1 only: the catalogues' Plural-Forms say so."""
        text = self._messages.ngettext(singular, plural, n)
        return text.format(**self._shown({"n": n, **values}))

    def _shown(self, values: dict[str, object]) -> dict[str, object]:
        """Values as this language writes them: quantities grouped (``17 500`` / ``17,500``),
        lazy messages translated now."""
        shown: dict[str, object] = {}
        for name, value in values.items():
            if isinstance(value, Message):
                value = value.text(self)
            elif isinstance(value, int | float) and not isinstance(value, bool) and name not in _RAW_NUMBERS:
                value = self.number(value, 0 if isinstance(value, int) else 1)
            shown[name] = value
        return shown

    def click_gettext(self, message: str) -> str:
        return self._click.gettext(message)

    def click_ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._click.ngettext(singular, plural, n)

    # --- numbers, dates, times, quarters --------------------------------------------------

    def symbols(self) -> tuple[str, str]:
        """The decimal sign and the thousands separator (``,`` and a no-break space in French)."""
        from babel.numbers import get_decimal_symbol, get_group_symbol

        return get_decimal_symbol(self.locale), get_group_symbol(self.locale)

    def number(self, value: float, decimals: int = 0) -> str:
        """``17 500`` / ``17,500``; ``71,6`` / ``71.6`` with one decimal."""
        return _decimal(value, decimals, self.locale)

    def signed(self, value: int) -> str:
        """``+2 900`` / ``+2,900``: a change of a count."""
        from babel.numbers import format_decimal

        return format_decimal(value, format="+#,##0;-#,##0", locale=self.locale)

    @functools.cached_property
    def _percent_pattern(self) -> str:
        """The locale's percent pattern (``#,##0 %`` / ``#,##0%``), read once."""
        from babel import Locale

        return Locale.parse(self.locale).percent_formats[None].pattern

    def percent(self, value: float, decimals: int = 1) -> str:
        """A percentage given out of 100: ``71,6 %`` / ``71.6%``."""
        from babel.numbers import format_percent

        pattern = self._percent_pattern.replace("0", "0" + ("." + "0" * decimals if decimals else ""), 1)
        return format_percent(value / 100, format=pattern, locale=self.locale)

    def dollars(self, amount: float) -> str:
        """Canadian dollars as the reader writes them: ``1 250,00 $`` / ``$1,250.00``."""
        from babel.numbers import format_currency

        return format_currency(amount, "CAD", locale=self.locale, currency_digits=True)

    def date(self, day: dt.date | str) -> str:
        """``1er septembre 2026`` / ``September 1, 2026``; also takes ISO text."""
        from babel.dates import format_date

        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        text = format_date(day, "long", locale=self.locale)
        if self.language == "fr" and day.day == 1:  # the Quebec way: le 1er du mois
            text = "1er" + text[1:]
        return text

    def moment(self, when: dt.datetime | str) -> str:
        """A time, in Montréal, the one way everything shows it: ``2 décembre 2026, 09 h 14`` /
        ``December 2, 2026, 9:14 a.m.``. A naive time is taken as Montréal's already (the
        database keeps local wall-clock time); an aware one is converted."""
        from babel.dates import format_time

        local = to_local(when)
        return f"{self.date(local.date())}, {format_time(local.time(), 'short', locale=self.locale)}"

    def month(self, year: int, month: int) -> str:
        """``juillet 2026`` / ``July 2026``."""
        from babel.dates import format_date

        return format_date(dt.date(year, month, 1), "LLLL y", locale=self.locale)

    def quarter(self, quarter: object) -> str:
        """``T3 2026`` / ``Q3 2026`` from a quarter or its code ``2026Q3``."""
        code = str(quarter)
        year, number = code[:4], code[-1]
        return f"{'Q' if self.language == 'en' else 'T'}{number} {year}"


@functools.lru_cache(maxsize=4096)
def _decimal(value: float, decimals: int, locale: str) -> str:
    """Babel's formatting, kept: an audit writes the same small counts thousands of times,
    and each call to Babel costs tens of microseconds."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)


def to_local(when: dt.datetime | str) -> dt.datetime:
    """``when`` as naive Montréal wall-clock time."""
    from zoneinfo import ZoneInfo

    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(TIME_ZONE)).replace(tzinfo=None)
    return when


class Message:
    """A message id and its values, translated when it is shown (``str()``), in the language of
    that moment: what the engine returns where a person will read something (errors, warnings,
    audit actions), so that a language switch changes it too and JSON can carry the code."""

    __slots__ = ("msgid", "n", "values")

    def __init__(self, msgid: str, *, n: int | None = None, **values: object):
        """With ``n``, the plural entry ``msgid`` / ``msgid_plural`` (see ``_n``)."""
        self.msgid, self.n, self.values = msgid, n, values

    def text(self, translator: Translator | None = None) -> str:
        translator = translator or current()
        if self.n is not None:
            return translator.ngettext(self.msgid, self.msgid + "_plural", self.n, **self.values)
        return translator.gettext(self.msgid, **self.values)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.n, self.values) == (other.msgid, other.n, other.values)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.msgid, self.n))


_current = Translator(os.environ.get("ORCHESTRATOR_LANG"))


def current() -> Translator:
    return _current


def set_language(language: str | None) -> Translator:
    """Speak ``language`` (``fr``, ``en``; ``None``: ``$ORCHESTRATOR_LANG``) from now on."""
    global _current
    chosen = _language_of(language if language is not None else os.environ.get("ORCHESTRATOR_LANG"))
    if chosen != _current.language:
        _current = Translator(chosen)
    return _current


@contextlib.contextmanager
def speaking(language: str) -> Iterator[Translator]:
    """Speak ``language`` for a while (a report written in another language, a test)."""
    before = _current.language
    try:
        yield set_language(language)
    finally:
        set_language(before)


def language() -> str:
    """``fr`` or ``en``."""
    return _current.language


def N_(msgid: str) -> str:
    """Marks an id to be translated later (a table of ids): returns it unchanged."""
    return msgid


def _(msgid: str, **values: Any) -> str:
    """The message ``msgid`` in the current language, filled with ``values``."""
    return _current.gettext(msgid, **values)


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural message for ``n``, in the current language."""
    return _current.ngettext(singular, plural, n, **values)


def _n(msgid: str, n: int, **values: Any) -> str:
    """The plural entry ``msgid`` (its plural id is ``msgid_plural``) for ``n``: ``{n}`` in it is
    ``n`` written as a number."""
    return _current.ngettext(msgid, msgid + "_plural", n, **values)


def number(value: float, decimals: int = 0) -> str:
    return _current.number(value, decimals)


def signed(value: int) -> str:
    return _current.signed(value)


def percent(value: float, decimals: int = 1) -> str:
    return _current.percent(value, decimals)


def dollars(amount: float) -> str:
    return _current.dollars(amount)


def date(day: dt.date | str) -> str:
    return _current.date(day)


def moment(when: dt.datetime | str) -> str:
    return _current.moment(when)


def month(year: int, month: int) -> str:
    return _current.month(year, month)


def quarter(code: object) -> str:
    return _current.quarter(code)


def translate_click() -> None:
    """Click's own messages in the user's language. Click calls ``gettext.gettext`` (the process's
    global domain, chosen by environment variables); its modules get ours instead, which follow
    the translator. Idempotent."""
    import sys

    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if getattr(module, "_", None) is _gettext.gettext:
                module._ = lambda message: _current.click_gettext(message)  # type: ignore[attr-defined]
            if getattr(module, "ngettext", None) is _gettext.ngettext:
                module.ngettext = lambda s, p, n: _current.click_ngettext(s, p, n)  # type: ignore[attr-defined]
