"""Metric use cases: compute results over the current snapshots, cached; and the Python API
behind :func:`ristra.open`.

Contract
--------
* :class:`MetricsService` computes :class:`MetricTable` values (a
  :class:`~ristra.core.metrics.results.MetricResult` with ``to_pandas()``) for specifications,
  answering many at once with shared scans (one query per dataset and phase).
* Results are cached in memory per (current snapshot of every dataset, category version,
  specification). A new import, a rollback or a new category version changes the key, so a
  cached result is never stale; the engine over the old snapshots is closed and a new one opened.
* The service is safe to share between threads (one lock around the engine and the cache).
* Errors a user can fix are :class:`~ristra.core.metrics.errors.MetricError` (unknown metric,
  category, column or dataset; no data imported yet; with ``require_declared_window``, a retention
  or promotion metric over an extract whose start was neither declared with the import nor given);
  nothing is written except category version 1 on first use (see
  :class:`~ristra.stores.categories.CategoryStore`).
* ``require_declared_window`` (True by default: the CLI, :func:`ristra.open`, the reports, the
  dashboard and the plan service never guess): only when False is an undeclared data window
  guessed from the earliest separation, and the result's notes say so (see
  :mod:`ristra.core.metrics.plans.survival`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ristra.core.benchmarks import BenchmarkSet
from ristra.core.categories import CategorySet
from ristra.core.metrics.pack import standard_pack
from ristra.core.metrics.plans import Context, plan_for
from ristra.core.metrics.results import MetricResult, SnapshotRef
from ristra.core.metrics.specs import MetricSpec, make_spec
from ristra.core.metrics.sql.lookups import stored_key_columns
from ristra.ingest.benchmarks import load_benchmarks
from ristra.services.workspace import Settings, Workspace
from ristra.stores.categories import CategoryStore

if TYPE_CHECKING:
    import pandas

    from ristra.engine import SnapshotFile
    from ristra.engine.runner import Runner


@dataclass(frozen=True)
class MetricTable(MetricResult):
    """A metric result that can also become a pandas DataFrame (one row per result row)."""

    def to_pandas(self) -> pandas.DataFrame:
        """The rows as a DataFrame (raw values: NaN where undefined, ``inf`` where unbounded)."""
        import pandas as pd

        return pd.DataFrame.from_records([row.values() for row in self.rows])

    @classmethod
    def of(cls, result: MetricResult) -> MetricTable:
        return cls(**{f.name: getattr(result, f.name) for f in fields(MetricResult)})


class MetricsService:
    """See the module docstring."""

    def __init__(self, workspace: Workspace, benchmarks: BenchmarkSet | None = None,
                 benchmark_file: str | Path | None = None, *, require_declared_window: bool = True) -> None:
        self.workspace = workspace
        self.require_declared_window = require_declared_window
        self.store = CategoryStore(workspace.root)
        self.benchmarks = benchmarks or load_benchmarks(benchmark_file)
        self._lock = threading.RLock()
        self._cache: dict[tuple[object, ...], MetricTable] = {}
        self._engine: Runner | None = None
        self._engine_key: tuple[tuple[str, str], ...] = ()
        self.queries_run = 0

    # ------------------------------------------------------------------ inputs

    def current_files(self) -> dict[str, SnapshotFile]:
        """The current snapshot of every dataset that has one (not the restricted identity
        datasets, which only the linkage service reads)."""
        from ristra.core.datasets import IDENTITY_DATASETS
        from ristra.engine import SnapshotFile

        store = self.workspace.snapshots
        files = {}
        for name in store.datasets():
            if name in IDENTITY_DATASETS:
                continue
            manifest = store.current(name)
            if manifest is not None:
                stored = store.place_keys(manifest)
                keys = {family: stored[family] for family in stored_key_columns(name) if family in stored}
                files[name] = SnapshotFile(SnapshotRef(name, manifest.snapshot_id, manifest.row_count,
                                                       manifest.extract_start),
                                           store.path(manifest), keys)
        return files

    def categories(self) -> CategorySet:
        """The category version in use (version 1, the New Mexico defaults, on first use)."""
        return self.store.current()

    def context(self, categories: CategorySet | None = None) -> Context:
        files = self.current_files()
        return Context(categories or self.categories(), self.benchmarks, {k: f.ref for k, f in files.items()},
                       require_declared_window=self.require_declared_window)

    # ------------------------------------------------------------------ computing

    def _engine_for(self, files: dict[str, SnapshotFile]) -> Runner:
        from ristra.engine import open_engine

        key = tuple(sorted((name, f.ref.snapshot_id) for name, f in files.items()))
        if self._engine is None or key != self._engine_key:
            if self._engine is not None:
                self._engine.close()
            self._engine = open_engine(self.workspace.settings.engine, files,
                                       memory_limit=self.workspace.settings.memory_limit)
            self._engine_key = key
        return self._engine

    def compute(self, spec: MetricSpec) -> MetricTable:
        """One specification's result."""
        return self.compute_many([spec])[0]

    def compute_many(self, specs: Sequence[MetricSpec], categories: CategorySet | None = None) -> list[MetricTable]:
        """Results of ``specs`` in order; uncached ones are computed together (shared scans).
        ``categories`` (default: the current version) lets a caller try a candidate version."""
        with self._lock:
            files = self.current_files()
            category_set = categories or self.categories()
            context = Context(category_set, self.benchmarks, {k: f.ref for k, f in files.items()},
                              require_declared_window=self.require_declared_window)
            snapshot_key = tuple(sorted((n, f.ref.snapshot_id) for n, f in files.items()))
            # a candidate set is keyed by its content: two previews may share a version number
            category_key: object = (
                category_set.version if categories is None
                else json.dumps(category_set.to_dict()["categories"], sort_keys=True, default=str)
            )
            keys = [(snapshot_key, category_key, categories is None, spec) for spec in specs]
            missing = [(k, s) for k, s in zip(keys, specs, strict=True) if k not in self._cache]
            if missing:
                plans = [plan_for(s, context) for _, s in missing]
                engine = self._engine_for(files)
                before = engine.queries_run
                results = engine.run(plans)
                self.queries_run += engine.queries_run - before
                for (key, _), result in zip(missing, results, strict=True):
                    self._cache[key] = MetricTable.of(result)
            return [self._cache[k] for k in keys]

    def query(self, metric: str, **options: Any) -> MetricTable:
        """The result of ``metric`` with keyword options (see :func:`~ristra.core.metrics.make_spec`)."""
        return self.compute(make_spec(metric, **options))

    def standard_pack(self) -> list[MetricTable]:
        """Every metric for every category, year and dataset with data."""
        return self.compute_many(standard_pack(self.categories(), self.current_files()))

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


_SHARED: OrderedDict[Path, MetricsService] = OrderedDict()
_SHARED_KEPT = 4
_SHARED_LOCK = threading.Lock()


def shared_service(workspace: Workspace) -> MetricsService:
    """One metrics service per data directory for a long-running front end (it caches per
    snapshot and category version); the least recently used is closed when more than a few
    directories are served."""
    key = workspace.root
    with _SHARED_LOCK:
        service = _SHARED.get(key)
        if service is None:
            service = _SHARED[key] = MetricsService(workspace)
            while len(_SHARED) > _SHARED_KEPT:
                _SHARED.popitem(last=False)[1].close()
        _SHARED.move_to_end(key)
        return service


class MetricsSession:
    """The Python API returned by :func:`ristra.open`: one method per metric, each returning a
    :class:`MetricTable` (``rows``, ``to_dict()``, ``records()``, ``to_pandas()``).

    Every method takes the metric's options as keywords (``category`` always); see
    ``docs/metrics.md``. Example::

        r = ristra.open("ristra-data")
        r.representation(dataset="applications", category="urm_nm", by=["cycle"]).to_pandas()
    """

    def __init__(self, service: MetricsService) -> None:
        self.service = service

    def __enter__(self) -> MetricsSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.service.close()

    def query(self, metric: str, **options: Any) -> MetricTable:
        return self.service.query(metric, **options)

    def representation(self, **options: Any) -> MetricTable:
        return self.query("representation", **options)

    def representation_ratio(self, **options: Any) -> MetricTable:
        return self.query("representation-ratio", **options)

    def path(self, **options: Any) -> MetricTable:
        return self.query("path", **options)

    def funnel(self, **options: Any) -> MetricTable:
        return self.query("funnel", **options)

    def selection_ratio(self, **options: Any) -> MetricTable:
        return self.query("selection-ratio", **options)

    def graduation(self, **options: Any) -> MetricTable:
        return self.query("graduation", **options)

    def retention(self, **options: Any) -> MetricTable:
        return self.query("retention", **options)

    def promotion(self, **options: Any) -> MetricTable:
        return self.query("promotion", **options)

    def trend(self, **options: Any) -> MetricTable:
        return self.query("trend", **options)

    def many(self, specs: Sequence[MetricSpec]) -> list[MetricTable]:
        """Several specifications at once (shared scans)."""
        return self.service.compute_many(specs)

    def standard_pack(self) -> list[MetricTable]:
        return self.service.standard_pack()

    def categories(self) -> CategorySet:
        return self.service.categories()

    def snapshots(self) -> dict[str, SnapshotRef]:
        return {name: f.ref for name, f in self.service.current_files().items()}


def open_data_dir(data_dir: str | Path, *, benchmark_file: str | Path | None = None,
                  memory_limit: str = "2GB") -> MetricsSession:
    """A :class:`MetricsSession` over the data directory ``data_dir`` (which must exist). Retention and
    promotion refuse an extract whose start was not declared with its import unless ``window_start``
    is given (:class:`~ristra.core.metrics.errors.WindowNotDeclared`)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(2, "no ristra data directory here (import data first)", str(root))
    workspace = Workspace(Settings(data_dir=root, memory_limit=memory_limit))
    return MetricsSession(MetricsService(workspace, benchmark_file=benchmark_file, require_declared_window=True))
