"""One catalogue system: every message id in both languages with the same placeholders, every id
the code asks for present (and none left unused), plural forms, Click's own messages, numbers,
dates and quarters the way each language writes them, and the language held by a translator."""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from catalogue_ids import used_ids

from orchestrator_lib import i18n, wording
from orchestrator_lib.audit import REASONS

LOCALE = Path(i18n.__file__).parent / "locale"


def catalogue(locale: str, domain: str = "orchestrator"):
    with open(LOCALE / locale / "LC_MESSAGES" / f"{domain}.po", "rb") as handle:
        return read_po(handle, locale=locale, domain=domain)


def entries(locale: str) -> dict:
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue(locale) if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def texts(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_every_message_is_in_both_languages_with_the_same_placeholders():
    french, english = entries("fr_CA"), entries("en_CA")
    assert set(french) == set(english), set(french) ^ set(english)
    for msgid, message in french.items():
        other = english[msgid]
        assert message.pluralizable == other.pluralizable, msgid
        shown = texts(message) + texts(other)
        assert all(t.strip() for t in shown), f"{msgid}: an empty translation"
        assert len({frozenset(fields(t)) for t in shown}) == 1, (msgid, [fields(t) for t in shown])
        assert not message.fuzzy and not other.fuzzy, msgid


def test_every_id_the_code_asks_for_exists_and_none_is_left_over():
    used = used_ids()
    french = entries("fr_CA")
    plural = {k for k, m in french.items() if m.pluralizable}
    assert (used["plain"] | used["marked"]) - set(french) == set(), "ids used but missing from the catalogues"
    assert used["plain"] & plural == set(), "plural entries used as plain messages"
    assert used["plural"] - plural == set(), "plural ids used but not plural entries"
    assert set(french) - used["plain"] - used["plural"] - used["marked"] == set(), "ids in the catalogues no code uses"


def test_the_compiled_catalogues_are_those_of_their_po_files():
    """``make translations`` after any change of a .po: the package reads the .mo."""
    import io

    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        with open(po, "rb") as handle:
            compiled = io.BytesIO()
            write_mo(compiled, read_po(handle), use_fuzzy=True)
        assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), f"{po.name}: run make translations"


def test_every_message_of_click_has_its_french():
    import click

    french = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue("fr_CA", "click") if m.id}
    found = {
        message if isinstance(message, str) else message[0]
        for filename, _line, message, _comments, _context in extract_from_dir(
            os.path.dirname(click.__file__), method_map=[("**.py", "python")]
        )
        if "_winconsole" not in filename
    }
    assert found - set(french) == set(), "Click messages without a French text: add them to locale/fr_CA/click.po"
    for message in french.values():
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for original, translated in zip(ids, texts(message)):  # singular with singular, plural with plural
            assert set(re.findall(r"\{(\w+)", original)) == set(re.findall(r"\{(\w+)", translated)), message.id


@pytest.mark.parametrize(
    "language, forms",
    [
        # French takes the singular for 0 and 1; English for 1 only.
        ("fr", ["0 service", "1 service", "2 services", "1\u00a0000 services"]),
        ("en", ["0 services", "1 service", "2 services", "1,000 services"]),
    ],
)
def test_plural_forms_for_0_1_and_2(language, forms):
    with i18n.speaking(language):
        assert [i18n._n("n_services", n) for n in (0, 1, 2, 1000)] == forms


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_plural_entry_reads_for_0_1_and_2(language):
    for msgid, message in entries("fr_CA").items():
        if message.pluralizable:
            values = {name: "X" for name in fields(texts(message)[0]) - {"n"}}
            with i18n.speaking(language):
                shown = [i18n._n(msgid, n, **values) for n in (0, 1, 2)]
            assert all(s and "{" not in s for s in shown), (msgid, shown)
            assert shown[1] != msgid


def test_the_plural_sentences_agree_with_their_count():
    issue = {
        "action_code": "availability_attribute_missing",
        "subject_id": "STF-1",
        "subject_name": "Côté, Anne",
        "availabilities": 1,
        "detail": ["location"],
        "affects_count": False,
    }
    assert wording.action(issue).startswith("1 disponibilité de Côté, Anne (STF-1) est incomplète")
    assert wording.action({**issue, "availabilities": 2}).startswith(
        "2 disponibilités de Côté, Anne (STF-1) sont incomplètes"
    )
    summary = {
        "run_id": "RUN-1",
        "active": ["A"],
        "inactive": [],
        "excluded": ["B", "C"],
        "auto_reactivated": [],
        "auto_deactivated": ["D"],
    }
    assert wording.sync_summary(summary) == (
        "RUN-1 appliquée : 1 actif, 0 inactif, 2 exclus ; 0 réactivé automatiquement, 1 désactivé automatiquement."
    )
    with i18n.speaking("en"):
        assert wording.sync_summary(summary) == (
            "RUN-1 applied: 1 active, 0 inactive, 2 excluded; 0 reactivated automatically, 1 deactivated automatically."
        )


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "fr",
            [
                "17\u00a0500",
                "71,6\u00a0%",
                "+2\u00a0900",
                "1er septembre 2026",
                "12 septembre 2026",
                "T3 2026",
                "juillet 2026",
            ],
        ),
        ("en", ["17,500", "71.6%", "+2,900", "September 1, 2026", "September 12, 2026", "Q3 2026", "July 2026"]),
    ],
)
def test_numbers_dates_and_quarters_as_each_language_writes_them(language, expected):
    with i18n.speaking(language):
        assert [
            i18n.number(17500),
            i18n.percent(71.56),
            i18n.signed(2900),
            i18n.date(dt.date(2026, 9, 1)),
            i18n.date("2026-09-12T10:00:00"),
            i18n.quarter("2026Q3"),
            i18n.month(2026, 7),
        ] == expected


def test_times_are_shown_in_montreal_whatever_the_clock():
    utc = dt.datetime(2026, 12, 2, 14, 5, tzinfo=dt.UTC)  # 9 h 05 in Montréal (EST, UTC−5)
    assert i18n.moment(utc) == "2 décembre 2026, 09 h 05"
    assert i18n.moment("2026-07-01T14:05:00+00:00") == "1er juillet 2026, 10 h 05"  # EDT, UTC−4
    assert i18n.moment("2026-07-01T10:05:00") == "1er juillet 2026, 10 h 05"  # stored local time, as it is
    with i18n.speaking("en"):
        assert i18n.moment(utc) == "December 2, 2026, 9:05\u202fa.m."


def test_the_language_is_held_by_the_translator_not_the_environment(monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_LANG", "fr")
    with i18n.speaking("en"):
        assert i18n._("tab_overview") == "Overview" and os.environ["ORCHESTRATOR_LANG"] == "fr"
    assert i18n._("tab_overview") == "Vue d'ensemble"
    message = i18n.Message("undone", run_id="RUN-7")  # said when shown, in the language of that moment
    with i18n.speaking("en"):
        assert str(message) == "Undo recorded: RUN-7."
    assert str(message) == "Annulation enregistrée : RUN-7."


def test_every_code_the_engine_returns_has_its_words():
    from orchestrator_lib.export_format import ROLES

    assert set(REASONS) <= set(wording.REASONS)
    migration = (Path(i18n.__file__).parent / "migrations" / "0003_history.sql").read_text()
    decisions = re.search(r"decision\s+VARCHAR NOT NULL,\s+-- (.*)", migration).group(1).split(" | ")
    assert set(decisions) == set(wording.DECISIONS)
    assert set(ROLES) == set(wording.ROLES)
