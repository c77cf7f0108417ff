"""Every error a user can meet, one named class each.

The CLI maps ``exit_code`` to the process exit status (the command line in the README): 2 for bad
input or a refused action, 1 for anything else.
"""

from __future__ import annotations

from .messages import msg


class OrchestratorError(Exception):
    """Base class: a failure explained to the user in their language."""

    exit_code = 1

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(msg(key, **values))


class InputError(OrchestratorError):
    """Bad input (export file, decisions file, option): nothing was changed."""

    exit_code = 2


class RefusedError(OrchestratorError):
    """An action the rules refuse: nothing was changed."""

    exit_code = 2


class DatabaseMissingError(InputError):
    """The database named does not exist (only ``load`` and ``demo`` create one)."""


class DatabaseBusyError(OrchestratorError):
    """Another process held the database for longer than we are willing to wait."""


class SchemaTooNewError(OrchestratorError):
    """The database was written by a newer orchestrator_lib."""
