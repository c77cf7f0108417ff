"""Benchmark: the synchronisation wizard with 5,000 pending services.

Builds a throw-away database with N pending services (default 5,000) and
appointments (some in the future, so that services kept inactive come back
at step 3 for automatic reactivation), then times:

(a) a search keystroke in ``WizardView``: ``search_box.value`` set to the
    successive prefixes of a few words, at step 1 and at step 3; each timing
    covers the engine's filter and the update of the visible row widgets;
(b) ``Wizard.apply()`` with a decision for every service: a quarter excluded,
    a quarter kept inactive (half of those typed, which reactivates the ones
    with a future appointment), a quarter typed, a quarter left without a type
    (automatic deactivation).

Targets: keystroke < 50 ms (judged on the p95), apply < 1 s.
Exit status: 0 targets met, 1 a target missed.

    .venv/bin/python bench/wizard.py [--services N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from orchestrator_lib.demo import service_names
from orchestrator_lib.load import load_export
from orchestrator_lib.ui import WizardView
from orchestrator_lib.wizard import APPLY, EXCLUDE, INACTIVE, TYPES, Wizard

AS_OF = "2026-11-27T12:00"
KEYSTROKE_TARGET = 0.050
APPLY_TARGET = 1.0
TYPED_WORDS = ("vaccination", "echographie", "sante mentale", "S0123")
TYPES_CYCLE = ("urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier")


def write_export(folder: Path, n_services: int, appointments_per_service: int = 4) -> None:
    rng = random.Random(20261127)
    folder.mkdir(parents=True, exist_ok=True)
    services = ["service_id,name,emr_status"]
    for i, name in enumerate(service_names(n_services)):
        services.append(f'S{i:05d},"{name}",active')
    staff = [
        "staff_id,name,status,role,specialty,responsible",
        'STF-1,"Tremblay, Marie",active,medecin,Médecine familiale,true',
        'STF-2,"Gagnon, Jean",active,medecin,Médecine familiale,false',
        'STF-3,"Roy, Ève",active,ips,Soins de première ligne,false',
    ]
    appointments = ["appointment_id,service_id,staff_id,start,end,status"]
    availabilities = ["availability_id,service_id,staff_id,start,end,reason"]
    n = 0
    for i in range(n_services):
        future = i % 3 == 0  # a third of the services have appointments still to come
        for k in range(appointments_per_service):
            n += 1
            month = rng.choice((7, 8, 9, 10, 11)) if not (future and k == 0) else 12
            day, hour = rng.randint(1, 28), rng.randint(8, 16)
            start = f"2026-{month:02d}-{day:02d}T{hour:02d}:00:00"
            end = f"2026-{month:02d}-{day:02d}T{hour:02d}:30:00"
            status = rng.choice(("booked", "fulfilled", "fulfilled", "noshow", "cancelled")) if month < 12 else "booked"
            appointments.append(f"A{n:07d},S{i:05d},STF-{1 + n % 3},{start},{end},{status}")
            if k == 0:
                availabilities.append(f"V{n:07d},S{i:05d},STF-{1 + n % 3},{start},{end},suivi_regulier")
    for name, lines in (
        ("services", services),
        ("staff", staff),
        ("appointments", appointments),
        ("availabilities", availabilities),
    ):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def prefixes(words) -> list[str]:
    return [word[:k] for word in words for k in range(1, len(word) + 1)]


def time_keystrokes(view: WizardView) -> list[float]:
    timings = []
    for text in prefixes(TYPED_WORDS):
        started = time.perf_counter()
        view.search_box.value = text
        timings.append(time.perf_counter() - started)
    view.search_box.value = ""
    return timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def decide(wizard: Wizard) -> dict[str, int]:
    """A decision for every pending service, through the engine's own calls."""
    ids = [s.service_id for s in wizard.listed(EXCLUDE)]
    for sid in ids[0::4]:
        wizard.set_excluded(sid)
    wizard.go_to(INACTIVE)
    for sid in ids[1::4]:
        wizard.set_kept_inactive(sid)
    wizard.go_to(TYPES)
    listed = {s.service_id for s in wizard.listed(TYPES)}
    typed = [sid for i, sid in enumerate(ids) if sid in listed and (i % 4 == 2 or (i % 4 == 1 and i % 8 == 1))]
    for j, sid in enumerate(typed):
        wizard.set_types(sid, [TYPES_CYCLE[j % len(TYPES_CYCLE)]])
    wizard.go_to(APPLY)
    return {"excluded": len(ids[0::4]), "kept_inactive": len(ids[1::4]), "typed": len(typed)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="write the export and database here and keep them")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        export, db = folder / f"export-{args.services}", folder / f"wizard-{args.services}.duckdb"
        started = time.perf_counter()
        write_export(export, args.services)
        load_export(export, db)
        print(f"database: {args.services} pending services, loaded in {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        view = WizardView(db, as_of=AS_OF)
        print(
            f"WizardView opened in {1000 * (time.perf_counter() - started):.0f} ms "
            f"({view.counts_label.value.replace('<b>', '').replace('</b>', '')})"
        )
        step1 = time_keystrokes(view)
        view.next_button.click()
        view.next_button.click()
        step3 = time_keystrokes(view)
        keystrokes = step1 + step3
        for label, values in (("step 1", step1), ("step 3", step3), ("all", keystrokes)):
            print(
                f"keystroke {label:>6}: median {1000 * statistics.median(values):6.2f} ms, "
                f"p95 {1000 * p95(values):6.2f} ms, max {1000 * max(values):6.2f} ms ({len(values)} keystrokes)"
            )

        wizard = Wizard(db, as_of=AS_OF)
        made = decide(wizard)
        plan = wizard.plan().summary()
        started = time.perf_counter()
        summary = wizard.apply()
        apply_seconds = time.perf_counter() - started
        print(
            f"Wizard.apply(): {apply_seconds:.3f} s for {sum(len(v) for k, v in plan.items() if k in ('active', 'inactive', 'excluded'))} "
            f"services ({made['excluded']} excluded, {made['kept_inactive']} kept inactive, {made['typed']} typed; "
            f"result: {len(summary['active'])} active, {len(summary['inactive'])} inactive, "
            f"{len(summary['excluded'])} excluded, {len(summary['auto_reactivated'])} auto-reactivated, "
            f"{len(summary['auto_deactivated'])} auto-deactivated; {summary['run_id']})"
        )

    keystroke_ok = p95(keystrokes) < KEYSTROKE_TARGET
    apply_ok = apply_seconds < APPLY_TARGET
    print(
        f"target keystroke < {1000 * KEYSTROKE_TARGET:.0f} ms (judged on p95, stricter than the median): "
        f"{'met' if keystroke_ok else 'MISSED'}"
    )
    print(f"target apply < {APPLY_TARGET:.0f} s: {'met' if apply_ok else 'MISSED'}")
    return 0 if keystroke_ok and apply_ok else 1


if __name__ == "__main__":
    sys.exit(main())
