"""An in-memory DuckDB over snapshot Parquet files: the DuckDB connection of the engine runner.

Contract
--------
* ``DuckDBConnection(files)`` takes, per dataset, the snapshot it reads (:class:`SnapshotFile`:
  the :class:`~ristra.core.metrics.results.SnapshotRef`, the Parquet path and the stored place
  keys, if any). Each dataset becomes a view named after it with the canonical columns (a column
  missing from an older file reads as NULL of its declared type); nothing is written anywhere but
  the in-memory database, where the key tables the runner asks for are kept and shared by every
  query (:class:`~ristra.core.metrics.sql.lookups.KeyTable`, taken from the stored place keys
  where the snapshot has them; the files never change under an engine). It implements
  :class:`ristra.engine.runner.Connection` in the :data:`~ristra.core.sql_dialect.DUCKDB` dialect.
* :class:`MetricsEngine` is the :class:`~ristra.engine.runner.Runner` over such a connection:
  :meth:`~ristra.engine.runner.Runner.run` answers plans in two phases, many metrics over one
  snapshot sharing one scan.
* The connection is not shared between threads; a caller that needs concurrency holds a lock
  (the metrics service does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ristra.core.categories import SqlFragment
from ristra.core.categories.sql import quote_identifier
from ristra.core.datasets import dataset
from ristra.core.metrics.results import SnapshotRef
from ristra.core.metrics.sql.lookups import stored_key_columns, stored_keys_relation
from ristra.core.sql_dialect import DUCKDB, Dialect
from ristra.engine import reference_tables
from ristra.engine.connections import connect
from ristra.engine.runner import QueryKey, Runner, query_key

__all__ = ["DuckDBConnection", "MetricsEngine", "QueryKey", "SnapshotFile", "query_key"]


@dataclass(frozen=True)
class SnapshotFile:
    """The snapshot a dataset is read from: its rows (``path``) and, per place family, the place
    keys the import stored with it (:mod:`ristra.ingest.place_keys`; older snapshots have none)."""

    ref: SnapshotRef
    path: Path
    place_keys: Mapping[str, Path] = field(default_factory=dict)


class DuckDBConnection:
    """See the module docstring."""

    dialect: Dialect = DUCKDB

    def __init__(self, files: Mapping[str, SnapshotFile], *, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        self.files = dict(files)
        self.con = connect()
        # DuckDB's grouping-sets optimizer splits GROUPING SETS into one aggregation per set over
        # a materialised copy of the rows; for the survival queries that copy costs more than it
        # saves (measured: docs/benchmarks.md, "Measured design decisions"). Results are identical. Older
        # DuckDB releases (the dependency range starts at 1.4) may not have it.
        optimizers = {row[0] for row in self.con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
        if "grouping_sets" in optimizers:
            self.con.execute("SET disabled_optimizers = 'grouping_sets'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{_size(memory_limit)}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        reference_tables.load(self.con)
        self._stored: dict[str, set[str]] = {}
        schema = self._columns_of([f.path for f in self.files.values()]
                                  + [p for f in self.files.values() for p in f.place_keys.values()])
        for name, file in self.files.items():
            self._view(name, file, schema)

    def _columns_of(self, paths: Sequence[Path]) -> dict[str, set[str]]:
        """The top-level column names of each Parquet file, from one read of their schemas."""
        listing = f"SELECT file_name, name, num_children FROM parquet_schema({self.dialect.array_parameter(self.dialect.text)})"
        rows = self.con.execute(listing,
                                [[str(p) for p in paths]]).fetchall()
        columns: dict[str, set[str]] = {str(p): set() for p in paths}
        pending: list[int] = []  # children still to come at each open level (the schema is depth-first)
        for file_name, column, children in rows:
            if not pending:  # a file's root
                current = columns.setdefault(str(file_name), set())
                if children:
                    pending.append(int(children))
                continue
            if len(pending) == 1:
                current.add(str(column))
            pending[-1] -= 1
            if children:
                pending.append(int(children))
            while pending and pending[-1] == 0:
                pending.pop()
        for path in paths:  # a file the listing did not name as given: ask it directly
            if not columns[str(path)]:
                described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()
                columns[str(path)] = {row[0] for row in described}
        return columns

    def _view(self, name: str, file: SnapshotFile, schema: dict[str, set[str]]) -> None:
        ds = dataset(name)
        if ds.restricted:  # identity datasets are read by the linkage service only
            raise PermissionError(f"dataset {name} is restricted to the linkage service")
        families = stored_key_columns(name)
        for family, keys_path in file.place_keys.items():
            if family not in families or not set(families[family]) <= schema.get(str(keys_path), set()):
                continue  # not this release's layout: the data's own keys are used
            selected = ", ".join(quote_identifier(c) for c in families[family])
            self.con.execute(f"CREATE VIEW {stored_keys_relation(name, family)} AS SELECT {selected} "
                             f"FROM read_parquet({_literal(keys_path)})")
            self._stored.setdefault(name, set()).add(family)
        present = schema.get(str(file.path), set())
        columns = [quote_identifier(c.name) if c.name in present
                   else f"CAST(NULL AS {c.storage_type}) AS {quote_identifier(c.name)}" for c in ds.columns]
        self.con.execute(f"CREATE VIEW {quote_identifier(name)} AS SELECT {', '.join(columns)} "
                         f"FROM read_parquet({_literal(file.path)})")

    @property
    def snapshots(self) -> dict[str, SnapshotRef]:
        return {name: f.ref for name, f in self.files.items()}

    def close(self) -> None:
        self.con.close()

    def stored_keys(self, dataset: str) -> frozenset[str]:
        """The place families whose stored keys the dataset's snapshot has."""
        return frozenset(self._stored.get(dataset, ()))

    def execute(self, statement: SqlFragment) -> None:
        self.con.execute(statement.sql, list(statement.params))

    def fetch_columns(self, query: SqlFragment) -> dict[str, Any]:
        return dict(self.con.execute(query.sql, list(query.params)).fetchnumpy())


class MetricsEngine(Runner):
    """The runner over a :class:`DuckDBConnection` of ``files`` (see the module docstring)."""

    def __init__(self, files: Mapping[str, SnapshotFile], *, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        self.duckdb = DuckDBConnection(files, memory_limit=memory_limit, threads=threads)
        super().__init__(self.duckdb)

    @property
    def files(self) -> dict[str, SnapshotFile]:
        return self.duckdb.files

    @property
    def con(self) -> Any:
        """The DuckDB connection (for tests and benchmarks that inspect it)."""
        return self.duckdb.con

    @property
    def snapshots(self) -> dict[str, SnapshotRef]:
        return self.duckdb.snapshots


def _literal(path: Path) -> str:
    """A file path as an SQL string literal (a view's definition cannot hold parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _size(text: str) -> str:
    """A memory size such as ``2GB`` (refusing anything else, since it is written into SQL)."""
    cleaned = text.strip().upper().replace(" ", "")
    digits = cleaned.rstrip("KMGTIB")
    unit = cleaned[len(digits):]
    if not digits.replace(".", "", 1).isdigit() or unit not in ("KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"):
        raise ValueError(f"not a memory size: {text!r}")
    return f"{digits}{unit}"
