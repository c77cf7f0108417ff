"""Jupyter / Voilà views over the engine: the synchronisation wizard and the
Actifs / Inactifs catalogue. The views hold no business rule: every list,
choice and result comes from ``orchestrator_lib.wizard``, ``explain``,
``catalogue`` and ``history``."""

from .wizard_view import CatalogueView, WizardView

__all__ = ["CatalogueView", "WizardView"]
