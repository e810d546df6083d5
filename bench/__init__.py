"""ristra's benchmarks: speed and memory targets, each measured against a named baseline in
the same run. Run them all with ``make bench`` (``python -m bench``); ``--quick`` uses small
sizes for a smoke run. Results are printed and written to ``bench/out/latest.json``; copy the
figures into ``docs/benchmarks.md``."""
