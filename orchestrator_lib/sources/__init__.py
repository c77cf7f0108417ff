"""Where an EMR export comes from. ``files`` reads an export folder (docs/export-format.md)."""
