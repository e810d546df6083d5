"""The pure domain: datasets, vocabularies, categories, metric specifications, statistics and
disclosure control. Nothing here performs I/O: values in, values out (enforced by
``tests/invariants/test_core_purity.py``)."""
