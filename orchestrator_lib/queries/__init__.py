"""Named SQL queries, one ``.sql`` file each, read once."""

from functools import cache
from pathlib import Path


@cache
def sql(name: str) -> str:
    return (Path(__file__).parent / f"{name}.sql").read_text(encoding="utf-8")
