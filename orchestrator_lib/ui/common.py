"""What every view shares: HTML helpers and the guard that turns any error into a message,
never a traceback. Words come from ``i18n`` and ``wording``."""

from __future__ import annotations

import contextlib
import html
import logging
from functools import wraps

import ipywidgets as widgets

from ..errors import OrchestratorError
from ..i18n import _, percent

log = logging.getLogger(__name__)

ERROR_STYLE = (
    "color:#8b0000;background:#fdecea;border:1px solid #e0a0a0;border-radius:4px;padding:0.5em 0.75em;margin:0.25em 0"
)
RESULT_STYLE = (
    "color:#1b4d1b;background:#edf7ed;border:1px solid #9cc99c;border-radius:4px;padding:0.5em 0.75em;margin:0.25em 0"
)
TABLE_STYLE = "border-collapse:collapse;margin:0.25em 0"
CELL_STYLE = "border:1px solid #ccc;padding:0.2em 0.6em;text-align:left"
NUMBER_STYLE = "border:1px solid #ccc;padding:0.2em 0.6em;text-align:right"


def _e(value: object) -> str:
    """Text for an element's content (quotes stay readable)."""
    return html.escape(str(value), quote=False)


def _a(value: object) -> str:
    """Text for an attribute's value."""
    return html.escape(str(value), quote=True)


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _pct(value: float | None) -> str:
    """A coverage as the reader writes it; ``aucune`` when nothing is owed."""
    return percent(value) if value is not None else _("no_coverage")


def _error_html(text: str) -> str:
    return f'<div role="alert" style="{ERROR_STYLE}">{_e(text)}</div>'


def guarded(method):
    """A widget callback: an OrchestratorError shows its message in the red box,
    anything else a short generic message (details go to the log), never a traceback."""

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OrchestratorError as error:
            self._show_error(str(error))
            self._after_error(error)
        except Exception as error:
            log.exception("view callback failed")
            self._show_error(_("unexpected", detail=f"{type(error).__name__}: {error}"))

    return wrapper


@contextlib.contextmanager
def working(button: widgets.Button, text: str):
    """A button busy while its action runs (apply, undo, audit, report, sync): it says so and
    cannot be clicked again; the widget's new state reaches the page at once."""
    before = (button.description, button.icon, button.disabled)
    button.description, button.icon, button.disabled = text, "hourglass-half", True
    button.add_class("is-busy")
    try:
        yield
    finally:
        button.description, button.icon, button.disabled = before
        button.remove_class("is-busy")


def button(description: str, css: str, **options) -> widgets.Button:
    """A button as wide as its words (never cut), with a class for tests and styles."""
    made = widgets.Button(description=description, layout=widgets.Layout(width="auto"), **options)
    made.add_class(css)
    return made


def _result_html(text: str, run_id: str | None = None) -> str:
    """A result in green, naming the run it recorded (``data-run-id``) when there is one."""
    run = f' data-run-id="{_a(run_id)}"' if run_id else ""
    return f'<div role="status"{run} style="{RESULT_STYLE}">{_e(text)}</div>'
