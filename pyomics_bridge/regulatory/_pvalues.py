"""Exact score distribution of a PWM under an i.i.d. background, p-values and p-value thresholds (FIMO-like).

Scores are rounded to integers on a grid of step ``1 / scale`` after shifting each column so its minimum is 0;
the distribution of the integer score is then computed exactly by dynamic programming (one convolution per
column, Staden 1989 / Touzet & Varré 2007). p-values are exact for the rounded matrix and within
``W / (2 scale)`` score units of the real-valued matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._pwm import _background, scan_tracks


@dataclass
class ScoreDistribution:
    """Exact distribution of the discretised PWM score.

    ``pmf[k]`` is the probability of integer score ``k``; real score = ``k / scale + offset``.
    """

    pmf: np.ndarray
    scale: float
    offset: float
    int_matrix: np.ndarray

    @property
    def sf(self) -> np.ndarray:
        """``sf[k] = P(S_int >= k)``."""
        return np.cumsum(self.pmf[::-1])[::-1]

    def to_int(self, score) -> np.ndarray:
        """Integer grid value of real scores (rounded like the matrix entries)."""
        return np.round((np.asarray(score, dtype=float) - self.offset) * self.scale).astype(np.int64)

    def pvalue(self, score) -> np.ndarray:
        """``P(S >= score)`` under the background (on the integer grid)."""
        k = self.to_int(score)
        sf = np.append(self.sf, 0.0)
        return sf[np.clip(k, 0, len(sf) - 1)] * (k >= 0) + (k < 0)

    def threshold(self, pvalue: float) -> float:
        """Smallest real score ``t`` on the grid with ``P(S >= t) <= pvalue``."""
        sf = self.sf
        ok = np.nonzero(sf <= pvalue)[0]
        k = int(ok[0]) if ok.size else len(sf)
        return k / self.scale + self.offset


def discretize(pwm: np.ndarray, *, scale: float = 100.0) -> tuple[np.ndarray, float]:
    """Integer matrix ``round((pwm - column min) * scale)`` and the offset (sum of the column minima)."""
    pwm = np.asarray(pwm, dtype=float)
    mins = pwm.min(axis=1, keepdims=True)
    return np.round((pwm - mins) * scale).astype(np.int64), float(mins.sum())


def score_distribution(pwm: np.ndarray, *, background=None, scale: float = 100.0) -> ScoreDistribution:
    """Exact distribution of the (discretised) score of a random i.i.d. word under ``background``."""
    bg = _background(background)
    imat, offset = discretize(pwm, scale=scale)
    pmf = np.ones(1)
    for row in imat:
        new = np.zeros(pmf.size + int(row.max()))
        for b in range(4):
            new[row[b] : row[b] + pmf.size] += bg[b] * pmf
        pmf = new
    return ScoreDistribution(pmf=pmf, scale=scale, offset=offset, int_matrix=imat)


def threshold_from_pvalue(pwm, pvalue: float, *, background=None, scale: float = 100.0) -> float:
    """Score threshold whose exact tail probability is at most ``pvalue``."""
    return score_distribution(pwm, background=background, scale=scale).threshold(pvalue)


def scan_hits(
    codes: np.ndarray,
    pwm: np.ndarray,
    *,
    pvalue: float = 1e-4,
    background=None,
    scale: float = 100.0,
    names=None,
) -> pd.DataFrame:
    """All windows on both strands whose p-value is at most ``pvalue`` (FIMO-like; no q-values).

    Scores use the discretised matrix, so p-values are exact for the reported scores. Columns: ``sequence``,
    ``start`` (0-based, forward coordinates), ``end``, ``strand`` ("+"/"-"), ``score``, ``pvalue``.
    """
    codes = np.atleast_2d(np.asarray(codes))
    dist = score_distribution(pwm, background=background, scale=scale)
    imat = dist.int_matrix.astype(float) / scale + (np.asarray(pwm).min(axis=1, keepdims=True))
    fwd, rev = scan_tracks(codes, imat)
    kmin = dist.to_int(dist.threshold(pvalue))
    W = imat.shape[0]
    frames = []
    for strand, s in (("+", fwd), ("-", rev)):
        k = dist.to_int(s)
        i, p = np.nonzero(k >= kmin)
        sc = s[i, p]
        frames.append(pd.DataFrame({"sequence": i, "start": p, "end": p + W, "strand": strand, "score": sc,
                                    "pvalue": dist.pvalue(sc)}))
    out = pd.concat(frames, ignore_index=True).sort_values(["sequence", "start", "strand"], ignore_index=True)
    if names is not None:
        out["sequence"] = np.asarray(names)[out["sequence"].to_numpy()]
    return out
