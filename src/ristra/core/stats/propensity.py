"""Balanced comparisons of a program's participants with similar non-participants: a propensity
score by logistic regression, inverse-probability weights for the effect on the treated (ATT), a
balance table of standardised mean differences, and the weighted risk difference and risk ratio
with intervals. Groups in, summaries out: no propensity score or weight of any person leaves this
module (the software evaluates programs; it never scores a person).

Method
------
* **Propensity score** e(x) = P(participant | x): logistic regression fitted by iteratively
  reweighted least squares (Newton–Raphson on the log-likelihood; McCullagh & Nelder 1989, §4.4),
  with optional case weights, model-based standard errors from the inverse information.
  :func:`logistic_regression` equals ``statsmodels`` ``Logit`` (and ``GLM`` Binomial with
  ``freq_weights``/``var_weights`` when weighted) to rounding.
* **ATT weights**: 1 for participants, e(x)/(1 − e(x)) for non-participants (Hirano, Imbens &
  Ridder 2003; Austin & Stuart 2015): the weighted non-participants stand for what the
  participants would have reached without the program.
* **Balance**: for each covariate the standardised mean difference (participants − non-
  participants) / s, with s = √((s₁² + s₀²)/2) from the *unweighted* groups, the same s before
  and after weighting (Austin 2009; Stuart 2010), s² = p(1 − p) for a 0/1 covariate and the sample
  variance otherwise. The target is |SMD| < 0.1 (:data:`BALANCE_TARGET`); a covariate that misses
  it is flagged. The non-participants' effective size is Kish's (Σw)²/Σw².
* **Effect**: weighted risks r₁ (participants), r₀ (weighted non-participants); the risk
  difference r₁ − r₀ and risk ratio r₁/r₀. Two intervals: (i) the robust (sandwich, HC0) one that
  treats the weights as known — Var(r_g) = Σ w²(y − r_g)²/(Σw)², log-RR by the delta method (equal
  to a weighted log-link GLM with ``cov_type="HC0"``); (ii) a bootstrap with a fixed seed that
  resamples participants and non-participants separately and refits the propensity model in each
  replicate (percentile intervals), so that the model's own uncertainty is in it. The bootstrap
  interval is the one to read.

Assumptions
-----------
No unmeasured confounding given the covariates (the E-value, :mod:`.evalue`, says how strong one
would have to be); positivity — every participant has comparable non-participants (a covariate
level no non-participant has cannot be weighted; :func:`restrict_to_overlap` removes covariates
on which participants do not vary, comparing within that level); a correctly specified
(main-effects) logistic model, checked through the balance it achieves; independent people.

References
----------
Rosenbaum & Rubin, Biometrika 70 (1983) 41–55; Hirano, Imbens & Ridder, Econometrica 71 (2003)
1161–1189; Austin, Stat. Med. 28 (2009) 3083–3107; Stuart, Stat. Sci. 25 (2010) 1–21; Austin &
Stuart, Stat. Med. 34 (2015) 3661–3679; Efron & Tibshirani, *An Introduction to the Bootstrap*
(1993).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ristra.core.stats.arguments import check_confidence, normal_quantile

#: |SMD| below this counts as balanced (Austin 2009).
BALANCE_TARGET = 0.1
DEFAULT_REPLICATES = 400
DEFAULT_SEED = 20261203
_ETA_LIMIT = 30.0  # |linear predictor| cap: e(x) stays in (1e-13, 1 − 1e-13) under quasi-separation

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class LogisticFit:
    """Coefficients (intercept first when the design has one) and model-based standard errors."""

    coefficients: tuple[float, ...]
    standard_errors: tuple[float, ...]
    log_likelihood: float
    iterations: int
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _irls(x: Floats, y: Floats, w: Floats, max_iter: int, tol: float) -> tuple[Floats, Floats, int, bool]:
    beta = np.zeros(x.shape[1])
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        eta = np.clip(x @ beta, -_ETA_LIMIT, _ETA_LIMIT)
        mu = 1.0 / (1.0 + np.exp(-eta))
        v = np.maximum(mu * (1.0 - mu), 1e-12)
        info = (x * (w * v)[:, None]).T @ x
        score = x.T @ (w * (y - mu))
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        beta = beta + step
        if float(np.max(np.abs(step))) < tol:
            converged = True
            break
    eta = np.clip(x @ beta, -_ETA_LIMIT, _ETA_LIMIT)
    return beta, 1.0 / (1.0 + np.exp(-eta)), it, converged


def logistic_regression(design: ArrayLike, outcome: ArrayLike, weights: ArrayLike | None = None,
                        max_iter: int = 100, tol: float = 1e-10) -> LogisticFit:
    """Logistic regression of ``outcome`` (0/1) on ``design`` (rows × columns; include a column of
    ones for an intercept) by IRLS, with case ``weights`` (module docstring). Raises
    ``ValueError`` on mismatched shapes or an outcome other than 0/1."""
    x, y, w = _arrays(design, outcome, weights)
    beta, mu, iterations, converged = _irls(x, y, w, max_iter, tol)
    info = (x * (w * mu * (1.0 - mu))[:, None]).T @ x
    cov = np.linalg.pinv(info)
    eps = 1e-300
    loglik = float(np.sum(w * (y * np.log(np.maximum(mu, eps)) + (1 - y) * np.log(np.maximum(1 - mu, eps)))))
    return LogisticFit(tuple(float(b) for b in beta), tuple(float(math.sqrt(max(c, 0.0))) for c in np.diag(cov)),
                       loglik, iterations, converged)


def _arrays(design: ArrayLike, outcome: ArrayLike, weights: ArrayLike | None) -> tuple[Floats, Floats, Floats]:
    x = np.asarray(design, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"design must be rows × columns and outcome one value per row; got {x.shape} and {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("the outcome must be 0 or 1 on every row")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != y.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be one non-negative finite number per row")
    return x, y, w


def propensity_scores(design: ArrayLike, treated: ArrayLike, max_iter: int = 100) -> tuple[Floats, LogisticFit]:
    """e(x) for each row and the fit (for use inside :func:`att_analysis`; never shown per person)."""
    x, t, w = _arrays(design, treated, None)
    beta, mu, iterations, converged = _irls(x, t, w, max_iter, 1e-10)
    return mu, LogisticFit(tuple(float(b) for b in beta), (), float("nan"), iterations, converged)


def att_weights(scores: ArrayLike, treated: ArrayLike) -> Floats:
    """1 for a participant, e/(1 − e) for a non-participant (module docstring)."""
    e = np.asarray(scores, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    return np.where(t, 1.0, e / (1.0 - e))


def weighted_mean(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Σwx/Σw (NaN when Σw = 0)."""
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    return float((w * x).sum() / total) if total > 0 else float("nan")


def _spread(x: Floats) -> float:
    """p(1 − p) for a 0/1 covariate, the sample variance (n − 1) otherwise."""
    if x.size == 0:
        return float("nan")
    if np.all((x == 0) | (x == 1)):
        p = float(x.mean())
        return p * (1 - p)
    return float(x.var(ddof=1)) if x.size > 1 else 0.0


def standardised_mean_difference(treated: ArrayLike, control: ArrayLike, control_weights: ArrayLike | None = None,
                                 scale: float | None = None) -> float:
    """(mean of ``treated`` − weighted mean of ``control``) / s, with s from the unweighted groups
    (or ``scale``) as in the module docstring. 0 when both means agree and s = 0; ±inf when only s
    is 0."""
    t = np.asarray(treated, dtype=np.float64)
    c = np.asarray(control, dtype=np.float64)
    s = scale if scale is not None else math.sqrt((_spread(t) + _spread(c)) / 2)
    diff = weighted_mean(t) - weighted_mean(c, control_weights)
    if s == 0 or math.isnan(s):
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / s


@dataclass(frozen=True)
class BalanceRow:
    """One covariate's means (shares for 0/1) and SMD before and after weighting."""

    covariate: str
    treated_mean: float
    control_mean_before: float
    control_mean_after: float
    smd_before: float
    smd_after: float
    balanced: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def balance_table(names: Sequence[str], design: ArrayLike, treated: ArrayLike, weights: ArrayLike,
                  target: float = BALANCE_TARGET) -> tuple[BalanceRow, ...]:
    """One :class:`BalanceRow` per column of ``design`` (no intercept column) named by ``names``."""
    x = np.asarray(design, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    rows = []
    for j, name in enumerate(names):
        xt, xc = x[t, j], x[~t, j]
        s = math.sqrt((_spread(xt) + _spread(xc)) / 2)
        after = standardised_mean_difference(xt, xc, w[~t], scale=s)
        rows.append(BalanceRow(name, weighted_mean(xt), weighted_mean(xc), weighted_mean(xc, w[~t]),
                               standardised_mean_difference(xt, xc, scale=s), after, abs(after) < target))
    return tuple(rows)


@dataclass(frozen=True)
class WeightedEffect:
    """An outcome's weighted risks, difference and ratio with the robust and bootstrap intervals
    (``rr_*``/``rd_*``; NaN where undefined, e.g. a weighted risk of 0)."""

    outcome: str
    treated_k: int
    treated_n: int
    treated_risk: float
    control_risk: float
    risk_difference: float
    rd_robust: tuple[float, float]
    rd_bootstrap: tuple[float, float]
    risk_ratio: float
    rr_robust: tuple[float, float]
    rr_bootstrap: tuple[float, float]
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _risks(y: Floats, t: NDArray[np.bool_], w: Floats) -> tuple[float, float]:
    return weighted_mean(y[t], w[t]), weighted_mean(y[~t], w[~t])


def robust_effect(outcome: ArrayLike, treated: ArrayLike, weights: ArrayLike,
                  confidence: float = 0.95) -> tuple[float, float, tuple[float, float], float, tuple[float, float]]:
    """(r₁, r₀, robust RD interval, RR, robust RR interval) for fixed weights (module docstring)."""
    y = np.asarray(outcome, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    z = normal_quantile(check_confidence(confidence))
    r1, r0 = _risks(y, t, w)
    var = []
    for g, r in ((t, r1), (~t, r0)):
        wg, yg = w[g], y[g]
        var.append(float((wg ** 2 * (yg - r) ** 2).sum() / wg.sum() ** 2) if wg.sum() > 0 else float("nan"))
    rd = r1 - r0
    se_rd = math.sqrt(var[0] + var[1])
    rd_ci = (rd - z * se_rd, rd + z * se_rd)
    if r1 > 0 and r0 > 0:
        rr = r1 / r0
        se = math.sqrt(var[0] / r1 ** 2 + var[1] / r0 ** 2)
        rr_ci = (rr * math.exp(-z * se), rr * math.exp(z * se))
    else:
        rr = r1 / r0 if r0 > 0 else float("nan")
        rr_ci = (float("nan"), float("nan"))
    return r1, r0, rd_ci, rr, rr_ci


@dataclass(frozen=True)
class PropensityAnalysis:
    """The balanced comparison as a whole: group sizes, the model's convergence, the balance
    table, each outcome's effect, and how the intervals were made. No per-person value."""

    covariates: tuple[str, ...]
    treated: int
    controls: int
    controls_effective: float
    converged: bool
    balance: tuple[BalanceRow, ...]
    balanced: bool
    effects: tuple[WeightedEffect, ...]
    replicates: int
    seed: int
    notes: tuple[str, ...]

    def effect(self, outcome: str) -> WeightedEffect:
        for e in self.effects:
            if e.outcome == outcome:
                return e
        raise KeyError(f"no outcome {outcome!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"covariates": list(self.covariates), "treated": self.treated, "controls": self.controls,
                "controls_effective": self.controls_effective, "converged": self.converged,
                "balance": [b.to_dict() for b in self.balance], "balanced": self.balanced,
                "effects": [e.to_dict() for e in self.effects], "replicates": self.replicates, "seed": self.seed,
                "notes": list(self.notes)}


def _with_intercept(x: Floats) -> Floats:
    return np.column_stack([np.ones(x.shape[0]), x]) if x.size else np.ones((x.shape[0], 1))


def att_analysis(names: Sequence[str], design: ArrayLike, treated: ArrayLike, outcomes: Mapping[str, ArrayLike],
                 confidence: float = 0.95, replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED,
                 target: float = BALANCE_TARGET) -> PropensityAnalysis:
    """The ATT-weighted comparison (module docstring): ``design`` holds the covariates (rows ×
    ``names``, no intercept), ``treated`` the participants, ``outcomes`` each outcome's 0/1 values.
    Raises ``ValueError`` when either group is empty."""
    x = np.asarray(design, dtype=np.float64).reshape(len(np.asarray(treated)), len(names))
    t = np.asarray(treated, dtype=bool)
    if t.all() or not t.any():
        raise ValueError("a balanced comparison needs both participants and non-participants")
    ys = {k: np.asarray(v, dtype=np.float64) for k, v in outcomes.items()}
    xi = _with_intercept(x)
    scores, fit = propensity_scores(xi, t)
    w = att_weights(scores, t)
    balance = balance_table(names, x, t, w, target)
    wc = w[~t]
    ess = float(wc.sum() ** 2 / (wc ** 2).sum()) if (wc ** 2).sum() > 0 else 0.0
    boot = _bootstrap(xi, t, ys, replicates, seed)
    alpha = (1 - check_confidence(confidence)) / 2
    effects = []
    for k, y in ys.items():
        r1, r0, rd_ci, rr, rr_ci = robust_effect(y, t, w, confidence)
        draws = boot[k] if replicates else np.full((1, 2), np.nan)
        rd_b = _percentile(draws[:, 0], alpha)
        rr_b = _percentile(draws[:, 1], alpha)
        effects.append(WeightedEffect(k, int(y[t].sum()), int(t.sum()), r1, r0, r1 - r0, rd_ci, rd_b, rr, rr_ci, rr_b,
                                      confidence))
    notes = []
    if not fit.converged:
        notes.append("the propensity model did not converge (a covariate nearly separates participants from "
                     "non-participants); read the balance table before the effect")
    unbalanced = [b.covariate for b in balance if not b.balanced]
    if unbalanced:
        notes.append(f"|SMD| ≥ {target:g} after weighting for: {', '.join(unbalanced)}")
    return PropensityAnalysis(tuple(names), int(t.sum()), int((~t).sum()), ess, fit.converged, balance,
                              not unbalanced, tuple(effects), replicates, seed, tuple(notes))


def _bootstrap(xi: Floats, t: NDArray[np.bool_], ys: Mapping[str, Floats], replicates: int, seed: int
               ) -> dict[str, Floats]:
    """(RD, RR) of each outcome in each replicate: participants and non-participants resampled
    separately, the propensity model refitted on each. Rows sharing a covariate pattern share a
    score, so each replicate fits the grouped-binomial model on the patterns (the same estimate as
    on the rows, in far less time)."""
    patterns, group = np.unique(xi, axis=0, return_inverse=True)
    group = group.reshape(-1)
    p = patterns.shape[0]
    rng = np.random.default_rng(seed)
    treated_idx, control_idx = np.flatnonzero(t), np.flatnonzero(~t)
    out = {k: np.full((replicates, 2), np.nan) for k in ys}
    for b in range(replicates):
        rows_t = rng.choice(treated_idx, treated_idx.size)
        rows_c = rng.choice(control_idx, control_idx.size)
        n_t = np.bincount(group[rows_t], minlength=p).astype(np.float64)
        n_c = np.bincount(group[rows_c], minlength=p).astype(np.float64)
        n = n_t + n_c
        seen = n > 0
        _beta, e, _it, _ok = _irls(patterns[seen], n_t[seen] / n[seen], n[seen], 100, 1e-10)
        odds = np.zeros(p)
        odds[seen] = e / (1.0 - e)
        control_weight = float((odds * n_c).sum())
        for k, y in ys.items():
            r1 = float(y[rows_t].mean())
            s_c = np.bincount(group[rows_c], weights=y[rows_c], minlength=p)
            r0 = float((odds * s_c).sum() / control_weight) if control_weight > 0 else float("nan")
            out[k][b] = (r1 - r0, r1 / r0 if r0 > 0 else float("nan"))
    return out


def _percentile(values: Floats, alpha: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(finite, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def restrict_to_overlap(names: Sequence[str], design: ArrayLike, treated: ArrayLike
                        ) -> tuple[tuple[str, ...], NDArray[np.bool_], tuple[str, ...]]:
    """Positivity by restriction: for each column on which every participant has the same value,
    keep only non-participants with that value and drop the column (the comparison is then within
    that level). Returns (kept columns, rows kept, what was restricted, in words)."""
    x = np.asarray(design, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    keep_rows = np.ones(t.size, dtype=bool)
    kept, said = [], []
    for j, name in enumerate(names):
        values = np.unique(x[t, j])
        if values.size == 1:
            keep_rows &= x[:, j] == values[0]
            said.append(f"{name} = {values[0]:g} (every participant has it)")
        else:
            kept.append(name)
    return tuple(kept), keep_rows, tuple(said)
