"""The pure domain: datasets, vocabularies, categories, metric specifications, statistics and
disclosure control. Nothing here performs I/O: values in, values out (enforced by
``tests/test_layering.py``)."""
