"""Sample statistics as COINr and pandas compute them (NaN ignored)."""

import numpy as np

from steer.composite.arrays import Floats


def skewness(x: Floats) -> float:
    """Bias-corrected sample skewness (pandas' .skew(), SAS/SPSS G1)."""
    x = x[~np.isnan(x)]
    n = x.size
    if n < 3:
        return float("nan")
    d = x - x.mean()
    m2, m3 = np.mean(d**2), np.mean(d**3)
    if m2 == 0:
        return 0.0
    return float(np.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5)


def kurtosis(x: Floats) -> float:
    """Bias-corrected sample excess kurtosis (pandas' .kurt(), G2)."""
    x = x[~np.isnan(x)]
    n = x.size
    if n < 4:
        return float("nan")
    d = x - x.mean()
    m2, m4 = np.mean(d**2), np.mean(d**4)
    if m2 == 0:
        return 0.0
    g2 = m4 / m2**2 - 3
    return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))


def min_ranks(scores: Floats) -> Floats:
    """Rank 1 for the highest score, ties sharing the lowest rank (R's ties = "min"); NaN
    scores get no rank (NaN). Works on the last axis."""
    scores = np.asarray(scores, dtype=np.float64)
    flat = scores.reshape(-1, scores.shape[-1])
    out = np.full(flat.shape, np.nan)
    for row, values in enumerate(flat):
        present = ~np.isnan(values)
        v = values[present]
        # rank = 1 + number of strictly greater scores
        order = np.sort(v)[::-1]
        greater = np.searchsorted(-order, -v, side="left")
        out[row, present] = greater + 1
    return out.reshape(scores.shape)
