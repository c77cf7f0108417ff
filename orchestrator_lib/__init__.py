"""orchestrator_lib: keep an appointment orchestrator's service catalogue in step
with the clinic's EMR (DMÉ) and audit the quarterly remuneration report.

Modules, by concern:
- ``export_format``: the EMR export tables and columns of docs/export-format.md;
- ``sources``: reading export files (CSV dialects and encodings, Excel, Parquet);
- ``load``: loading an export into the store, all or nothing;
- ``store``: the DuckDB file, its migrations, short-lived connections;
- ``catalogue``: reading services and staff (Actifs / Inactifs tabs);
- ``demo``: the demo clinic;
- ``messages`` and ``errors``: what users read, in French first;
- ``cli``: the ``orchestrator`` command.
"""

__version__ = "0.1.0"
