r"""Selection-corrected p-values for maximally selected standardized statistics.

Let :math:`T_1, \dots, T_k` be the standardized linear rank statistics at the admissible cut points, with
:math:`\varepsilon_i = m_i / n` the proportion of observations at or below the :math:`i`-th cut, and
:math:`M = \max_i |T_i|`. Under the null hypothesis of independence, :math:`T(\varepsilon)` behaves as a
standardized Brownian bridge :math:`B^\circ(\varepsilon)/\sqrt{\varepsilon(1-\varepsilon)}`, whose increments
between two cuts have correlation

.. math:: \rho_i = \sqrt{\frac{\varepsilon_i (1 - \varepsilon_{i+1})}{(1 - \varepsilon_i)\,\varepsilon_{i+1}}}.

``Lau92`` -- Lausen & Schumacher (1992, *Biometrics* 48:73-85), using the boundary-crossing approximation of
Miller & Siegmund (1982, *Biometrics* 38:1011-1016) for the continuous bridge over
:math:`[\varepsilon_1, \varepsilon_2]` = ``[minprop, maxprop]``:

.. math:: P(M \ge b) \approx \varphi(b)\Big(b - \frac1b\Big)
          \log\frac{\varepsilon_2 (1-\varepsilon_1)}{(1-\varepsilon_2)\,\varepsilon_1} + \frac{4\varphi(b)}{b},

set to 1 for :math:`b < 1`, where the expansion is meaningless.

``Lau94`` -- the improved Bonferroni inequality of Lausen, Sauerbrei & Schumacher (1994, in *Computational
Statistics*, Physica, 483-496), over the actual cut points (Worsley's bound with a series expansion of the
bivariate normal probability of crossing between two neighbouring cuts), with :math:`t_i = \sqrt{1 - \rho_i^2}`:

.. math:: P(M \ge b) \le 2\{1 - \Phi(b)\} + \frac{e^{-b^2/2}}{\pi}
          \sum_{i=1}^{k-1}\Big(t_i - \Big(\frac{b^2}{4} - 1\Big)\frac{t_i^3}{6}\Big).

Both are two-sided; a one-sided version (maximum of :math:`T_i` or of :math:`-T_i`) is half of it, as each
crossing term counts the two boundaries symmetrically. Being a bound / an asymptotic expansion, either can exceed
1 for small :math:`b`; this module clips to 1 (R's ``maxstat`` returns the raw value).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["lau94_sums", "p_lausen92", "p_lausen94", "p_lausen94_from_sums"]


def p_lausen92(b, minprop: float, maxprop: float, *, two_sided: bool = True, clip: bool = True):
    """Lausen–Schumacher (1992) / Miller–Siegmund approximation of :math:`P(\\max |T| \\ge b)`.

    ``b`` may be a scalar or an array; the result has the same shape (a float for a scalar).
    """
    b = np.asarray(b, dtype=np.float64)
    if not 0.0 < minprop < maxprop < 1.0:
        raise ValueError(f"Lau92 needs 0 < minprop < maxprop < 1, got minprop={minprop}, maxprop={maxprop}")
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = stats.norm.pdf(b)
        log_odds = np.log(maxprop * (1.0 - minprop) / ((1.0 - maxprop) * minprop))
        p = phi * (b - 1.0 / b) * log_odds + 4.0 * phi / b
    p = np.where(b < 1.0, 1.0, p)
    if not two_sided:
        p = np.where(b < 1.0, 1.0, 0.5 * p)
    if clip:
        p = np.minimum(p, 1.0)
    return float(p) if p.ndim == 0 else p


def lau94_sums(eps) -> tuple[float, float]:
    r"""The two b-free sums of the Lau94 bound, :math:`\sum_i t_i` and :math:`\sum_i t_i^3`, for proportions ``eps``.

    ``eps`` are the increasing proportions :math:`m_i/n` at the admissible cut points.
    """
    eps = np.asarray(eps, dtype=np.float64)
    if eps.size < 2:
        return 0.0, 0.0
    e1, e2 = eps[:-1], eps[1:]
    t = np.sqrt(np.clip(1.0 - e1 * (1.0 - e2) / ((1.0 - e1) * e2), 0.0, None))
    return float(t.sum()), float((t**3).sum())


def p_lausen94_from_sums(b, sum_t, sum_t3, *, two_sided: bool = True, clip: bool = True):
    """Lau94 bound from the sums of :func:`lau94_sums` (vectorised over ``b``, ``sum_t``, ``sum_t3``)."""
    b = np.asarray(b, dtype=np.float64)
    p = 2.0 * stats.norm.sf(b) + np.exp(-0.5 * b * b) / np.pi * (
        np.asarray(sum_t) - (0.25 * b * b - 1.0) * np.asarray(sum_t3) / 6.0)
    if not two_sided:
        p = 0.5 * p
    if clip:
        p = np.minimum(p, 1.0)
    return float(p) if np.ndim(p) == 0 else p


def p_lausen94(b, eps, *, two_sided: bool = True, clip: bool = True):
    """Lausen–Sauerbrei–Schumacher (1994) improved Bonferroni bound of :math:`P(\\max |T| \\ge b)`.

    ``eps`` are the proportions :math:`m_i/n` of observations at or below each admissible cut point.
    """
    s1, s3 = lau94_sums(eps)
    return p_lausen94_from_sums(b, s1, s3, two_sided=two_sided, clip=clip)
