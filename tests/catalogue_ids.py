"""The message ids the code uses: every call of a translating function (the keywords of
``orchestrator_lib.i18n``, the errors that take an id) with a literal first argument, in the
package's Python files and in the notebooks' code cells. An ``ast`` walk rather than Babel's
extractor: on Python 3.11 the extractor does not look inside f-strings, where the views make
much of their HTML."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# The errors, and the readers' .error() helpers, take a message id first.
ERRORS = (
    "OrchestratorError",
    "InputError",
    "RefusedError",
    "DatabaseMissingError",
    "DatabaseBusyError",
    "SchemaTooNewError",
    "FhirError",
    "FhirRefused",
    "_Transient",
    "error",
    "fail",
)
PLAIN = {"_", "Message", "prose", *ERRORS}
MARKED = {"N_"}  # an id kept in a table, for _() or _n() later
PLURAL = {"_n"}  # _n("id", n): the plural entry "id" / "id_plural"


def sources() -> dict[str, str]:
    """Path → Python source, for the package and the notebooks' code."""
    found = {str(p): p.read_text(encoding="utf-8") for p in sorted((ROOT / "orchestrator_lib").rglob("*.py"))}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        found[str(path)] = "\n".join(c.source for c in cells if c.cell_type == "code")
    return found


def used_ids() -> dict[str, set[str]]:
    """``{"plain": ids, "plural": ids, "marked": ids}`` of every literal message id in the code."""
    found: dict[str, set[str]] = {"plain": set(), "plural": set(), "marked": set()}
    for source in sources().values():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            first = node.args[0]
            if (
                name not in PLAIN | PLURAL | MARKED
                or not isinstance(first, ast.Constant)
                or not isinstance(first.value, str)
            ):
                continue
            if name in MARKED:
                found["marked"].add(first.value)
                continue
            # Message("id", n=…) and errors with n= are plural entries; _("id", n=…) only fills {n}.
            plural = name in PLURAL or (name != "_" and any(k.arg == "n" for k in node.keywords))
            found["plural" if plural else "plain"].add(first.value)
    return found
