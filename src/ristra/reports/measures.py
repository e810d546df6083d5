"""The count measures and cell meanings of reports live in core
(:mod:`ristra.core.publication.measures`), next to the relations that follow from them; this
module keeps the old import path."""

from ristra.core.publication.measures import (
    MEASURES,
    Atom,
    Meaning,
    Measure,
    atoms_of,
    meaning,
    measure_atoms,
)

__all__ = ["MEASURES", "Atom", "Meaning", "Measure", "atoms_of", "meaning", "measure_atoms"]
