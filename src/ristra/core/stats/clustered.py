"""Tests that respect repeat applicants: the generalized (robust) score test of a logistic model
fitted by GEE with an independence working correlation, clustered by person.

Method. Observations j of clusters i (applications of people) have a binary outcome y_ij (selected;
in the level) and a covariate x_ij (1 for the group and 0 for the reference; or the year). The
model is logit P(y = 1) = α + βx, fitted by generalized estimating equations with an independence
working correlation (Liang and Zeger 1986) — the point estimates are those of ordinary logistic
regression, only the variance allows the applications of one person to be correlated. H0: β = 0
is tested with the generalized score test (Rotnitzky and Jewell 1990; Boos 1992): under H0 every
fitted probability is the pooled rate p̄, the score is U = Σ_i s_i with
s_i = Σ_j (x_ij − x̄)(y_ij − p̄) (x̄ the mean covariate over observations), its robust variance is
V = Σ_i s_i², and z = U / √V is standard normal under H0. With a binary x it is the test of a
2×2 table allowing for clusters; with x the year, the clustered Cochran–Armitage trend test
(the Cochran–Armitage statistic is this score test with the binomial variance in place of V).

The score test needs no estimate under the alternative, so it is defined where the Wald test of
the GEE fit is not (a rate of 0 or 1 in a group makes β infinite). It equals statsmodels'
``GEE(..., cov_struct=Independence()).compare_score_test`` (checked in the tests).

Assumptions: clusters (people) independent of each other; the number of clusters large — the
robust variance is a large-sample estimate, anti-conservative with few clusters or very sparse
tables (where Fisher's exact test of the applications is reported beside it). Membership is that
of each application. Degenerate data: no observations, or a covariate that does not vary, give
NaN; a pooled rate of 0 or 1 (U = V = 0) gives z = 0 and p = 1.

References: K.-Y. Liang and S. L. Zeger, "Longitudinal data analysis using generalized linear
models", Biometrika 73 (1986) 13–22; A. Rotnitzky and N. P. Jewell, "Hypothesis testing of
regression parameters in semiparametric generalized linear models for cluster correlated data",
Biometrika 77 (1990) 485–497; D. D. Boos, "On generalized score tests", Am. Stat. 46 (1992)
327–333.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

METHOD = "gee_score"


@dataclass(frozen=True)
class ClusteredScoreTest:
    """The generalized score test of β = 0 (see the module docstring): ``z`` (signed: positive
    when the outcome rises with x), its two-sided ``p_value``, the number of ``clusters``
    (people) and ``observations`` (applications), and the largest cluster."""

    z: float
    p_value: float
    clusters: int
    observations: int
    largest_cluster: int
    method: str = METHOD

    @property
    def repeats(self) -> bool:
        """Whether any cluster has more than one observation."""
        return self.largest_cluster > 1


def clustered_score_test(cluster: ArrayLike, x: ArrayLike, n: ArrayLike, k: ArrayLike) -> ClusteredScoreTest:
    """The score test from grouped observations: row r holds ``n[r]`` observations of cluster
    ``cluster[r]`` (integer codes) with covariate ``x[r]``, ``k[r]`` of them with the outcome.
    Rows of one cluster may be many (one per covariate value); rows with n = 0 are ignored."""
    c = np.asarray(cluster, dtype=np.int64).ravel()
    xs = np.asarray(x, dtype=np.float64).ravel()
    ns = np.asarray(n, dtype=np.float64).ravel()
    ks = np.asarray(k, dtype=np.float64).ravel()
    if not (c.size == xs.size == ns.size == ks.size):
        raise ValueError("cluster, x, n and k must have the same length")
    if np.any(ns < 0) or np.any(ks < 0) or np.any(ks > ns):
        raise ValueError("need 0 <= k <= n in every row")
    keep = ns > 0
    c, xs, ns, ks = c[keep], xs[keep], ns[keep], ks[keep]
    total = float(ns.sum())
    if total == 0:
        return ClusteredScoreTest(math.nan, math.nan, 0, 0, 0)
    if c.min() >= 0 and c.max() <= 4 * c.size + 1024:  # small non-negative codes: count them directly
        codes = c
    else:
        _, codes = np.unique(c, return_inverse=True)
    sizes = np.bincount(codes, weights=ns)
    clusters, largest = int(np.count_nonzero(sizes)), int(sizes.max())
    x_bar = float((ns * xs).sum()) / total
    if np.all(xs == xs[0]):
        return ClusteredScoreTest(math.nan, math.nan, clusters, int(total), largest)
    p_bar = float(ks.sum()) / total
    s = np.bincount(codes, weights=(xs - x_bar) * (ks - p_bar * ns))
    u, v = float(s.sum()), float((s * s).sum())
    if v <= 0.0:
        return ClusteredScoreTest(0.0, 1.0, clusters, int(total), largest)
    z = u / math.sqrt(v)
    return ClusteredScoreTest(z, float(special.erfc(abs(z) / math.sqrt(2.0))), clusters, int(total), largest)
