"""Sub-commands; :mod:`iacscan.cli` lists them explicitly."""
