"""Where an EMR export comes from. ``files`` reads an export folder (SPEC §1)."""
