"""Stores of versioned documents under the data directory (DESIGN.md §4): :mod:`.plans` holds
the strategic plans and their closed cycles; :mod:`.plan_files` reads and writes plan files."""
