"""The publication: everything one audience can obtain from one set of snapshots, as one
linked system of tables (DESIGN.md §6).

* :mod:`.measures` — the count measures and what every count cell means;
* :mod:`.relations` — the relations that hold by construction of the data between those
  counts (identities, sums over a dimension, equalities between measures, order relations),
  turned into the equations and inequalities disclosure control protects against;
* :mod:`.derived` — shares, rates, ratios, intervals and p-values computed only from the
  published counts of the row's own table and stratum.
"""
