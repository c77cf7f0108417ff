"""Named SQL queries, one ``.sql`` file each, read once."""

from functools import cache

from ..resources import shipped


@cache
def sql(name: str) -> str:
    return shipped("orchestrator_lib.queries", f"{name}.sql").read_text(encoding="utf-8")
