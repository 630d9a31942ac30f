"""Maintenance commands run from a source checkout (``python3 -m iacscan.tools.<name>``)."""
