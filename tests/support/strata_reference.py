"""Independent references for the stratified 2×2 tests: enumeration of every table with exact integer
arithmetic, the Mantel–Fleiss distance and Breslow–Day by root-finding."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from scipy import optimize

REL = 1e-9
Tables = Sequence[Sequence[Sequence[int]]]


# --------------------------------------------------------------------------- independent references

def table_bounds(table: Sequence[Sequence[int]]) -> tuple[int, int, int, int, int]:
    (a, b), (c, d) = table
    m, t, n = a + b, a + c, a + b + c + d
    return m, t, n, max(0, t - (n - m)), min(m, t)


def null_distribution(tables: Tables) -> dict[int, Fraction]:
    """P(Σ a = s) under a common odds ratio of 1, by enumerating every combination of a-cells
    (exact rational arithmetic: C(t, x)·C(n − t, m − x) / C(n, m))."""
    per_stratum = []
    for table in tables:
        m, t, n, lo, hi = table_bounds(table)
        if n == 0:
            continue
        per_stratum.append([(x, Fraction(math.comb(t, x) * math.comb(n - t, m - x), math.comb(n, m)))
                            for x in range(lo, hi + 1)])
    out: dict[int, Fraction] = {}
    for combo in itertools.product(*per_stratum):
        s = sum(x for x, _ in combo)
        out[s] = out.get(s, Fraction(0)) + math.prod((q for _, q in combo), start=Fraction(1))
    return out


def exact_reference(tables: Tables, confidence: float = 0.95) -> tuple[float, tuple[float, float, float]]:
    """The two-sided exact conditional p-value (probabilities ≤ the observed one, relative tie
    1e-7) and (conditional MLE, lower, upper) of the common odds ratio, from the enumeration."""
    dist = null_distribution(tables)
    observed = sum(t[0][0] for t in tables)
    p_obs = dist[observed]
    p_value = float(sum(v for v in dist.values() if v <= p_obs * Fraction(10**7 + 1, 10**7)))
    support = np.array(sorted(dist), dtype=float)
    log_p = np.array([math.log(dist[int(s)]) for s in support])

    def tilted(theta: float) -> np.ndarray:
        w = log_p + theta * (support - support[0])
        w = np.exp(w - w.max())
        return w / w.sum()

    alpha = (1 - confidence) / 2
    lo, hi = support[0], support[-1]
    if observed in (lo, hi):
        mle = 0.0 if observed == lo else math.inf
    else:
        mle = math.exp(optimize.brentq(lambda th: float(tilted(th) @ support) - observed, -60, 60, xtol=1e-13))
    lower = 0.0 if observed == lo else math.exp(optimize.brentq(
        lambda th: float(tilted(th)[support >= observed].sum()) - alpha, -60, 60, xtol=1e-13))
    upper = math.inf if observed == hi else math.exp(optimize.brentq(
        lambda th: float(tilted(th)[support <= observed].sum()) - alpha, -60, 60, xtol=1e-13))
    return p_value, (mle, lower, upper)


def mantel_fleiss_distance(tables: Tables) -> float:
    expected = lower = upper = 0.0
    for table in tables:
        m, t, n, lo, hi = table_bounds(table)
        if n >= 2:
            expected += m * t / n
            lower += lo
            upper += hi
    return min(expected - lower, upper - expected)


def breslow_day_reference(tables: Tables, psi: float) -> tuple[float, float, int]:
    """(Breslow–Day, Tarone-corrected, df) with each fitted cell found by bisection on the
    odds-ratio equation (not the quadratic formula), over the informative strata."""
    a_sum = e_sum = v_sum = bd = 0.0
    k = 0
    for table in tables:
        m, t, n, lo, hi = table_bounds(table)
        if hi <= lo:
            continue
        n0 = n - m
        e = optimize.brentq(lambda x, m, t, n0: x * (n0 - t + x) - psi * (m - x) * (t - x), lo, hi, args=(m, t, n0),
                            xtol=1e-14, rtol=1e-15)
        v = 1 / (1 / e + 1 / (m - e) + 1 / (t - e) + 1 / (n0 - t + e))
        a = table[0][0]
        bd += (a - e) ** 2 / v
        a_sum, e_sum, v_sum, k = a_sum + a, e_sum + e, v_sum + v, k + 1
    return bd, bd - (a_sum - e_sum) ** 2 / v_sum, k - 1


def random_tables(rng: np.random.Generator, k: int, most: int) -> list[list[list[int]]]:
    out = []
    for _ in range(k):
        n1, n0 = (int(v) for v in rng.integers(1, most, 2))
        a, c = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n0 + 1))
        out.append([[a, n1 - a], [c, n0 - c]])
    return out


def rel_close(a: float, b: float, rel: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)
