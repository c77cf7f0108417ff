"""Every error a user can meet, one named class each.

The CLI maps ``exit_code`` to the process exit status (the command line in the README): 2 for bad
input or a refused action, 1 for anything else.
"""

from __future__ import annotations

import errno
import json

from .i18n import N_, Message


class OrchestratorError(Exception):
    """Base class: a failure explained to the user in their language. It holds a message id and
    its values; ``str()`` says it in the language of the moment it is shown."""

    exit_code = 1

    def __init__(self, key: str, *, n: int | None = None, **values: object):
        """``n``: the message is a plural entry (``key`` / ``key_plural``) for that count."""
        self.key = key
        self.values = values
        self.message = Message(key, n=n, **values)
        super().__init__(key)

    def __str__(self) -> str:
        return str(self.message)


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


# The system's and the JSON parser's own reasons are English sentences: named by code instead.
_OS_REASONS = {
    errno.ENOENT: N_("os_not_found"),
    errno.EACCES: N_("os_permission"),
    errno.EPERM: N_("os_permission"),
    errno.EISDIR: N_("os_is_directory"),
    errno.ENOTDIR: N_("os_not_directory"),
    errno.ENOSPC: N_("os_no_space"),
    errno.EROFS: N_("os_read_only"),
}
_JSON_REASONS = {
    "Expecting value": N_("json_value"),
    "Expecting property name enclosed in double quotes": N_("json_property_name"),
    "Expecting ':' delimiter": N_("json_colon"),
    "Expecting ',' delimiter": N_("json_comma"),
    "Unterminated string starting at": N_("json_unterminated"),
    "Invalid control character at": N_("json_control_character"),
    "Invalid \\escape": N_("json_escape"),
    "Extra data": N_("json_extra_data"),
}


def os_reason(error: OSError) -> Message | str:
    """Why a file could not be read, in the user's language (the system's text if unforeseen)."""
    key = _OS_REASONS.get(error.errno or 0)
    return Message(key) if key else (error.strerror or type(error).__name__)


def json_reason(error: json.JSONDecodeError) -> Message | str:
    key = _JSON_REASONS.get(error.msg)
    return Message(key) if key else error.msg
