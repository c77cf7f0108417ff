"""Benchmark: ``orchestrator load`` against DuckDB's bare CSV copy.

Generates the demo clinic's EMR export at benchmark size (default 5,000,000
appointments, 1,250,000 availabilities), then times:

(a) ``orchestrator --db <tmp>/bench.duckdb load <export> --json``;
(b) the floor any loader pays: ``CREATE TABLE … AS SELECT * FROM read_csv(…)``
    of the same four files into a fresh DuckDB file.

Each command runs in a fresh child under a tiny wrapper that reports the
command's wall time and its own peak RSS (see ``WRAPPER``).

Targets: load time at most 1.3 × the bare copy, load peak RSS at most 1.5 GiB.
Exit status: 0 targets met, 1 a target missed, 2 the load could not run.

    .venv/bin/python bench/load.py [--appointments N] [--keep DIR]

``--keep DIR`` writes the export and databases under DIR and leaves them
there; an export already in DIR for the same N is reused, not regenerated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestrator_lib.demo import write_demo_export

TABLES = ("services", "staff", "appointments", "availabilities")
MAX_RATIO = 1.3
MAX_PEAK_MIB = 1.5 * 1024

# Run in a child so that its peak RSS is its own, not the benchmark's.
BARE_COPY = """
import sys, duckdb
db, folder = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
for name in ("services", "staff", "appointments", "availabilities"):
    path = (folder + "/" + name + ".csv").replace("'", "''")
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}')")
con.close()
"""


# Every timed command runs under this tiny wrapper. Linux carries a process's
# peak RSS across fork and exec, so a command started straight from this
# process (which holds the generated data) would inherit its peak; the
# wrapper is small, and RUSAGE_CHILDREN then covers the one command it ran.
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as report:
    json.dump({"returncode": code, "seconds": seconds, "ru_maxrss": peak}, report)
"""


class Run:
    """One timed command, in a fresh child, with its own peak RSS."""

    def __init__(self, command: list[str], workdir: Path, label: str):
        out, err, report = (workdir / f"{label}.{ext}" for ext in ("stdout", "stderr", "json"))
        report.unlink(missing_ok=True)
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            wrapper = subprocess.run(
                [sys.executable, "-c", WRAPPER, str(report), *command], stdout=stdout, stderr=stderr
            )
        measured = json.loads(report.read_text()) if report.exists() else {}
        self.returncode = measured.get("returncode", wrapper.returncode or 1)
        self.seconds = measured.get("seconds", float("nan"))
        # ru_maxrss is in KiB on Linux, in bytes on macOS.
        rss = measured.get("ru_maxrss", 0)
        self.peak_mib = rss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        self.stdout = out.read_text(encoding="utf-8", errors="replace")
        self.stderr = err.read_text(encoding="utf-8", errors="replace")


def export(folder: Path, n: int, reuse: bool) -> tuple[dict[str, int], float | None]:
    """Generate the export, or reuse a kept one made for the same N."""
    marker = folder.parent / "export.json"
    if reuse and marker.exists() and all((folder / f"{t}.csv").exists() for t in TABLES):
        kept = json.loads(marker.read_text())
        if kept.get("appointments_requested") == n:
            return kept["counts"], None
    started = time.perf_counter()
    counts = write_demo_export(folder, appointments=n)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"appointments_requested": n, "counts": counts}))
    return counts, seconds


def fresh(path: Path) -> Path:
    """A database path with no leftover file (nor write-ahead log)."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return path


def orchestrator_command() -> Path:
    return Path(sys.executable).parent / "orchestrator"


def human(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size / 2**10:,.1f} KiB"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appointments", type=int, default=5_000_000, metavar="N")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep the export and databases there")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="R",
        help="time each command R times, alternating, and compare the fastest runs",
    )
    args = parser.parse_args()

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return bench(args.keep.resolve(), args.appointments, reuse=True, repeat=args.repeat)
    with tempfile.TemporaryDirectory(prefix="orchestrator-bench-") as tmp:
        return bench(Path(tmp), args.appointments, reuse=False, repeat=args.repeat)


def fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def bench(work: Path, n: int, reuse: bool, repeat: int) -> int:
    folder = work / "export"
    counts, generation = export(folder, n, reuse)
    sizes = {t: (folder / f"{t}.csv").stat().st_size for t in TABLES}

    command = orchestrator_command()
    bare_runs, load_runs = [], []
    for _ in range(max(1, repeat)):  # alternate, so that machine noise hits both alike
        bare_runs.append(
            Run([sys.executable, "-c", BARE_COPY, str(fresh(work / "bare.duckdb")), str(folder)], work, "bare")
        )
        if bare_runs[-1].returncode != 0:
            print(
                f"bare copy failed (exit {bare_runs[-1].returncode}):\n{bare_runs[-1].stderr[-2000:]}", file=sys.stderr
            )
            return 2
        if command.exists():
            load_runs.append(
                Run(
                    [str(command), "--db", str(fresh(work / "bench.duckdb")), "load", str(folder), "--json"],
                    work,
                    "load",
                )
            )
            if load_runs[-1].returncode != 0:
                break
    bare = fastest(bare_runs)
    load = None
    if load_runs:
        failed = [run for run in load_runs if run.returncode != 0]
        load = failed[0] if failed else fastest(load_runs)

    print("orchestrator load benchmark")
    print(
        f"  appointments N      {n:,} (availabilities {counts['availabilities']:,}, "
        f"services {counts['services']:,}, staff {counts['staff']:,})"
    )
    for t in TABLES:
        print(f"  {t + '.csv':<20}{human(sizes[t])}")
    print(
        f"  export total        {human(sum(sizes.values()))}"
        + (f", generated in {generation:.1f} s" if generation is not None else ", reused")
    )

    def times(runs) -> str:
        return ", ".join(f"{run.seconds:.2f}" for run in runs)

    print(
        f"  bare copy           {bare.seconds:.2f} s (fastest of {times(bare_runs)}), peak RSS {bare.peak_mib:,.0f} MiB"
    )

    if load is None:
        print(
            f"  load                not run: {command} does not exist (install the package: .venv/bin/pip install -e .)"
        )
        return 2
    if load.returncode != 0:
        print(f"  load                FAILED with exit {load.returncode} after {load.seconds:.2f} s")
        print(load.stderr[-2000:], file=sys.stderr)
        return 2
    print(
        f"  load                {load.seconds:.2f} s (fastest of {times(load_runs)}), peak RSS {load.peak_mib:,.0f} MiB"
    )
    problem = check_counts(load.stdout, counts)
    if problem:
        print(f"  load output         {problem}")

    ratio = load.seconds / bare.seconds
    ratio_ok, peak_ok = ratio <= MAX_RATIO, load.peak_mib <= MAX_PEAK_MIB
    print(f"  ratio load / bare   {ratio:.2f} (target <= {MAX_RATIO}: {verdict(ratio_ok)})")
    print(f"  load peak RSS       {load.peak_mib:,.0f} MiB (target <= {MAX_PEAK_MIB:,.0f} MiB: {verdict(peak_ok)})")
    return 0 if ratio_ok and peak_ok and not problem else 1


def check_counts(stdout: str, counts: dict[str, int]) -> str | None:
    """The load's JSON must report exactly the rows generated."""
    try:
        reported = json.loads(stdout)
    except json.JSONDecodeError:
        return "stdout is not one JSON document"
    wrong = {t: (reported.get(t), counts[t]) for t in TABLES if reported.get(t) != counts[t]}
    return f"row counts differ (reported, generated): {wrong}" if wrong else None


if __name__ == "__main__":
    sys.exit(main())
