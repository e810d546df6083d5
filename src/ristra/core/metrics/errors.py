"""Errors of the metrics layer: every one is a request the user can fix, with a message that says how.

All derive from :class:`MetricError` (a ``ValueError``), so a front end can catch one type and
show the message; the CLI maps them to exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MetricError(ValueError):
    """A metric request that cannot be computed as asked (the message says why)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


def _suggest(name: str, choices: Iterable[str]) -> str:
    options = sorted(set(choices))
    near = difflib.get_close_matches(name, options, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    listed = ", ".join(options) if len(options) <= 40 else ", ".join(options[:40]) + ", …"
    return f"{hint} Choose from: {listed}"


class UnknownMetric(MetricError):
    """A metric name that does not exist."""

    def __init__(self, name: str, choices: Iterable[str]) -> None:
        super().__init__(f"unknown metric {name!r}{_suggest(name, choices)}")


class UnknownCategory(MetricError):
    """A category id that is not in the category version in use."""

    def __init__(self, name: str, version: int, choices: Iterable[str]) -> None:
        super().__init__(f"unknown category {name!r} in category version {version}{_suggest(name, choices)}")


class UnknownColumn(MetricError):
    """A column that the dataset does not have, or that cannot be grouped by."""

    def __init__(self, name: str, dataset: str, choices: Iterable[str], why: str = "") -> None:
        reason = f" ({why})" if why else ""
        super().__init__(f"dataset {dataset} has no column {name!r} to group by{reason}{_suggest(name, choices)}")


class UnknownDatasetForMetric(MetricError):
    """A dataset the metric cannot use."""

    def __init__(self, name: str, metric: str, choices: Iterable[str]) -> None:
        super().__init__(f"metric {metric} cannot use dataset {name!r}{_suggest(name, choices)}")


class CategoryNotApplicable(MetricError):
    """A category that is not defined for the dataset asked about."""

    def __init__(self, category: str, dataset: str, datasets: Iterable[str]) -> None:
        super().__init__(
            f"category {category} does not apply to dataset {dataset}; it applies to {', '.join(datasets)}"
        )


class InvalidSpecification(MetricError):
    """A parameter of a metric specification is out of range or inconsistent."""


class NoData(MetricError):
    """A dataset the metric needs has no imported data yet."""

    def __init__(self, dataset: str, metric: str) -> None:
        super().__init__(
            f"no {dataset} data has been imported yet, so {metric} cannot be computed; "
            f"import a file with `ristra import {dataset} FILE` (or `ristra demo` for synthetic data)"
        )
        self.dataset = dataset


class WindowNotDeclared(MetricError):
    """A time-to-event metric was asked for data whose window is neither declared nor given."""

    def __init__(self, datasets: tuple[str, ...], metric: str) -> None:
        first = datasets[0]
        super().__init__(
            f"the data window of {' and '.join(datasets)} is not declared, so {metric} would have to guess where "
            f"the extract starts (an extract that starts later than the guess biases retention upwards); "
            f"import the extract with its first day (`ristra import {first} FILE --extract-start YYYY-MM-DD`) "
            f"or give the window on the call (`--window-start YYYY-MM-DD`, window_start=...)"
        )
        self.datasets = datasets
