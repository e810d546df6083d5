"""A snapshot's stored place keys: per place family (``residence``, ``high_school``), the distinct
combinations of the family's columns, written by the import next to the snapshot's data file.

Every metric query over a dataset evaluates place rules once per distinct place (a lookup table,
:class:`~ristra.core.metrics.sql.lookups.KeyTable`). Without stored keys the metrics engine finds
those places with a ``DISTINCT`` over every row of the snapshot each time it opens; with them it
reads a file of a few thousand rows. The import pays once (one ``DISTINCT`` per family over the
file it has just written). A query still counts every row whose place is missing from the file
and then answers from the rows' own places, so the file can only make queries faster, never
change a result.

Contract: :func:`write_place_keys` writes one Parquet file per family of the dataset, named by the
snapshot layout (:func:`ristra.stores.snapshots.layout.place_keys_file`), into the snapshot
directory being built; nothing else.
"""

from __future__ import annotations

from pathlib import Path

from ristra.core.categories.sql import quote_identifier
from ristra.core.datasets import Dataset
from ristra.core.metrics.sql.lookups import stored_key_columns
from ristra.engine.connections import connect
from ristra.ingest.validation import PARQUET_OPTIONS
from ristra.stores.snapshots.layout import place_keys_file


def write_place_keys(dataset: Dataset, data: Path, directory: Path, memory_limit: str = "1GB") -> dict[str, Path]:
    """Write the place keys of ``data`` (the dataset's validated Parquet) into ``directory``;
    returns the file written per family (none for a dataset without place columns)."""
    families = stored_key_columns(dataset.name)
    written: dict[str, Path] = {}
    if not families:
        return written
    con = connect(config={"memory_limit": memory_limit})
    try:
        for family, columns in families.items():
            target = place_keys_file(directory, family)
            literal = str(target).replace("'", "''")
            names = ", ".join(quote_identifier(c) for c in columns)
            con.execute(f"COPY (SELECT DISTINCT {names} FROM read_parquet(?)) TO '{literal}' ({PARQUET_OPTIONS})",
                        [str(data)])
            written[family] = target
    finally:
        con.close()
    return written
