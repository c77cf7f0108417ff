"""The project's notebooks, shipped inside the package as ``orchestrator_lib.notebooks``
(see ``orchestrator_lib/resources.py``): the audit report and the dashboard run them."""
