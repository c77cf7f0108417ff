"""orchestrator_lib: keep an appointment orchestrator's service catalogue in step
with the clinic's EMR (DMÉ) and audit the quarterly remuneration report.

Each command of ``orchestrator`` is one call here; every database argument is a
path (None: ``$ORCHESTRATOR_DB``, else ``data/orchestrator.duckdb``)::

    from orchestrator_lib import load_export, sync, run_audit, audit_report
    load_export("data/demo")                                   # orchestrator load data/demo
    sync(decisions={"exclude": ["SRV-036"], "types": {"SRV-001": ["urgent"]}})
    result = run_audit(quarter="2026Q3")                       # orchestrator audit --quarter 2026Q3
    result.items()                                             # the counts as a DataFrame
    audit_report(None, "2026Q3", "data/reports")               # orchestrator audit --out data/reports

Modules, by concern (docs/architecture.md draws the layers):

- ``export_format``: the EMR export's tables, columns and codes (docs/export-format.md);
- ``sources``: reading an export folder (``files``: CSV dialects and encodings, Excel,
  Parquet) or a FHIR R4 server (``fhir_client``, ``fhir``);
- ``load``: an export into the store, all or nothing, patient references pseudonymised;
- ``store``: the DuckDB file, its migrations (``migrations/*.sql``), short-lived
  connections, the patient key; ``queries``: the named SQL files;
- ``catalogue``: imported services, Personnel médical, the type catalogue;
- ``wizard``: the synchronisation wizard's engine and ``sync``; ``history``: every change
  applied and recorded as a run, and undo; ``manual``: changes by hand; ``explain``: why a
  service or a member is where it is;
- ``audit``: the quarterly count (docs/rules.md); ``impact``: the what-if of a plan;
  ``periods``: quarters and local time;
- ``report``: the papermill report, its HTML, charts and workbook; ``spreadsheet``: inert
  workbook cells;
- ``demo``: the demo clinic's export; ``scratch``: private temporary files;
- ``messages`` and ``errors``: every sentence (French, then English) and every error;
- ``cli``: the ``orchestrator`` command; ``ui`` and ``server``: the Voilà dashboard;
  ``resources``: the files shipped in the package.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> module. Imported on first use, so that ``orchestrator --help`` and
# scripts that need one function do not pay for DuckDB, pandas and matplotlib.
_PUBLIC = {
    "load_export": "load",
    "load_fhir": "load",
    "load_source": "load",
    "LoadResult": "load",
    "Wizard": "wizard",
    "sync": "wizard",
    "read_decisions": "wizard",
    "undo": "history",
    "list_runs": "history",
    "runs_frame": "history",
    "activate": "manual",
    "deactivate": "manual",
    "exclude": "manual",
    "include": "manual",
    "set_types": "manual",
    "list_services": "catalogue",
    "list_staff": "catalogue",
    "list_types": "catalogue",
    "services_frame": "catalogue",
    "staff_frame": "catalogue",
    "run_audit": "audit",
    "AuditResult": "audit",
    "audit_report": "report",
    "write_report": "report",
    "write_demo_export": "demo",
    "Quarter": "periods",
    "OrchestratorError": "errors",
    "InputError": "errors",
    "RefusedError": "errors",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'orchestrator_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
