"""DExTER-style regression: (k-mer, region) features for a continuous target (expression), and a seeded simulator.

DExTER (Menichelli et al., PLoS Comput Biol 2021) explains expression with *long regulatory elements*: the
frequency of a k-mer in a region around an alignment point (TSS, start codon). This module implements it from
the paper's description (no code of DExTER is used):

1. the sequence is cut into bins around the anchor; any run of consecutive bins is a candidate region (the
   "lattice");
2. for every seed k-mer (all ``4^k_start`` of them) the region whose k-mer frequency has the largest absolute
   Pearson correlation with the target is found (prefix sums over the bins: one pass over the sequences per k-mer);
3. the k-mer is extended greedily by one base on either side (8 children, each with its best region) while the
   absolute correlation increases by at least ``min_increase`` (and by ``min_increase_ratio`` relative to the
   parent), up to ``k_max``;
4. the (k-mer, region) variables so found (one per seed, duplicates merged) go into a penalised linear model whose
   penalty is chosen by cross-validation.

Every step uses the training rows only; with ``test_size > 0`` the estimator draws its own train/test split (as
DExTER's seed does) and reports the held-out Pearson r in ``test_r_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from .._conventions import ValidationError
from .._parallel import root_seed_sequence
from ._sequences import ALPHABET, encode_batch, kmer_index, kmer_names
from ._simulate import BACKGROUND_CHAIN, sample_markov


def _kmer_code(kmer: str) -> int:
    return int(sum(ALPHABET.index(ch) * 4 ** (len(kmer) - 1 - i) for i, ch in enumerate(kmer)))


def _codes(codes, name: str = "codes") -> np.ndarray:
    try:
        arr = encode_batch(codes)
    except ValueError as err:
        raise ValidationError(f"{name}: expected equal-length DNA strings or an (n, L) int array of codes 0..4 "
                              f"({err})") from None
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValidationError(f"{name} is empty (shape {arr.shape}); expected at least one non-empty sequence")
    return arr


def _check_y(y, n: int) -> np.ndarray:
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError("y must be numeric (a continuous target, one value per sequence)") from None
    if y.ndim != 1:
        raise ValidationError(f"y must be 1-D (one value per sequence); got shape {y.shape}")
    if y.size != n:
        raise ValidationError(f"y has {y.size} values but there are {n} sequences; expected one value per sequence")
    bad = int((~np.isfinite(y)).sum())
    if bad:
        raise ValidationError(f"y has {bad} non-finite value(s) (NaN or inf); expected finite values")
    if np.ptp(y) == 0:
        raise ValidationError("y is constant; a continuous target with some variation is needed")
    return y


def lattice_edges(length: int, bins, anchor: int | None = None) -> np.ndarray:
    """Bin edges relative to the anchor: ``bins`` uniform bins over the whole sequence, or explicit edges."""
    anchor = length // 2 if anchor is None else int(anchor)
    if np.isscalar(bins):
        nb = int(bins)
        if nb < 1 or nb > length:
            raise ValidationError(f"bins must be in 1..{length} (sequence length); got {bins}")
        return np.round(np.linspace(0, length, nb + 1)).astype(int) - anchor
    edges = np.asarray(bins)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or edges.dtype.kind not in "iu":
        raise ValidationError(f"bins: expected an int or >= 2 strictly increasing integer edges; got {bins!r}")
    if edges[0] + anchor < 0 or edges[-1] + anchor > length:
        raise ValidationError(f"bins: edges [{edges[0]}, {edges[-1]}] relative to the anchor ({anchor}) fall "
                              f"outside the sequence [0, {length})")
    return edges.astype(int)


def region_frequency(codes: np.ndarray, kmer: str, start: int, end: int, *, anchor: int | None = None) -> np.ndarray:
    """Frequency of ``kmer`` in region ``[start, end)`` (bp relative to ``anchor``, default the centre).

    A k-mer is counted in the region where it *starts*; the frequency is its count over the number of k-mers
    without N starting there (0 when none). This is the feature of :class:`DExTERRegression`.
    """
    codes = np.atleast_2d(np.asarray(codes))
    L = codes.shape[1]
    anchor = L // 2 if anchor is None else int(anchor)
    return _region_frequency(kmer_index(codes, len(kmer)), kmer, start, end, anchor)


def _region_frequency(idx: np.ndarray, kmer: str, start: int, end: int, anchor: int) -> np.ndarray:
    m = idx.shape[1]
    lo, hi = np.clip(anchor + start, 0, m), np.clip(anchor + end, 0, m)
    sub = idx[:, lo:hi]
    return (sub == _kmer_code(kmer)).sum(axis=1) / np.maximum((sub >= 0).sum(axis=1), 1)


class _Lattice:
    """Region frequencies of one k-mer for all lattice regions, from its counts per bin (prefix sums).

    For each k, the occurrences (``row * n_bins + bin``) of every k-mer are sorted by k-mer once (shared by the
    permutation searches), so the per-bin counts of one k-mer cost a pass over its own occurrences only.
    """

    def __init__(self, codes, edges, anchor, regions):
        self.codes, self.edges, self.anchor = codes, edges, anchor
        self.n, self.nb = codes.shape[0], len(edges) - 1
        self.i0 = np.array([r[0] for r in regions])
        self.j0 = np.array([r[1] for r in regions])
        self._occ: dict[int, tuple] = {}

    def _prefix(self, cells: np.ndarray) -> np.ndarray:
        counts = np.bincount(cells, minlength=self.n * self.nb).reshape(self.n, self.nb)
        return np.concatenate([np.zeros((self.n, 1), np.int32), np.cumsum(counts, axis=1, dtype=np.int32)], axis=1)

    def _occurrences(self, k: int) -> tuple:
        if k not in self._occ:
            idx = kmer_index(self.codes, k)
            m = idx.shape[1]
            pos = np.clip(self.anchor + self.edges, 0, m)
            b = np.searchsorted(pos, np.arange(m), side="right") - 1  # bin of each k-mer start
            inside = (b >= 0) & (b < self.nb)
            sub = idx[:, inside]
            cells = (np.arange(self.n)[:, None] * self.nb + b[inside][None, :])
            ok = sub >= 0
            keys, cells = sub[ok].astype(np.uint16), cells[ok].astype(np.int32)  # k <= 8: 16-bit k-mer codes
            order = np.argsort(keys, kind="stable")  # radix sort
            offsets = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=4**k))])
            tot = self._prefix(cells)
            inv = 1.0 / np.maximum(tot[:, self.j0] - tot[:, self.i0], 1)
            self._occ[k] = (offsets, cells[order], inv)
        return self._occ[k]

    def frequencies(self, kmer: str) -> np.ndarray:
        """``(n, n_regions)`` frequencies of ``kmer``."""
        offsets, cells, inv = self._occurrences(len(kmer))
        code = _kmer_code(kmer)
        hit = self._prefix(cells[offsets[code] : offsets[code + 1]])
        return (hit[:, self.j0] - hit[:, self.i0]) * inv


def _pearson_columns(F: np.ndarray, yc: np.ndarray) -> np.ndarray:
    """Pearson r of every column of ``F`` with the centred, unit-norm ``yc`` (0 for constant columns)."""
    Fc = F - F.mean(axis=0)
    nrm = np.sqrt((Fc**2).sum(axis=0))
    return np.where(nrm > 1e-12, (Fc.T @ yc) / np.maximum(nrm, 1e-12), 0.0)


class DExTERRegression(RegressorMixin, BaseEstimator):
    """DExTER-like (k-mer, region) search for a continuous target, then a penalised linear model.

    Parameters
    ----------
    bins
        Number of uniform bins over the whole sequence, or explicit strictly increasing integer edges (bp relative
        to ``anchor``; non-uniform bins, e.g. smaller near the anchor as in DExTER, are allowed).
    anchor
        Index of the alignment point (coordinate 0), e.g. the TSS; default the sequence centre.
    k_start, k_max
        Length of the seed k-mers (all ``4^k_start`` are explored) and the longest k-mer grown (at most 8).
    min_increase, min_increase_ratio
        A one-base extension replaces its parent only when its absolute correlation exceeds the parent's by at least
        ``min_increase`` and by ``min_increase_ratio`` times the parent's.
    region_slack
        Children search regions whose edges lie within this many bins of the parent's edges (None: whole lattice).
    min_bins, max_bins
        Smallest / largest region, in bins (None: the whole sequence).
    correlation_min
        Variables whose absolute training correlation is below this floor are dropped before the linear model.
    n_permutations
        The search is also run on this many permutations of the training target; the largest absolute correlation
        it reaches becomes a further floor (``null_floor_``). Correlations of searched variables are inflated by the
        search itself, which cross-validating the linear model on the same rows cannot see; without this floor a
        target without signal keeps every variable. 0 disables it.
    model
        ``"lasso"`` (LassoCV) or ``"elasticnet"`` (ElasticNetCV with ``l1_ratio``); features are standardised and
        the penalty is chosen by ``cv``-fold CV (shuffled with ``random_state``) on the training rows.
    alpha_rule
        ``"1se"`` (default): the largest penalty whose CV error is within one standard error of the minimum (sparse:
        on a target without signal it usually keeps no variable); ``"best"``: the CV-minimum penalty.
    test_size
        Fraction of rows held out (drawn with ``random_state``); 0 trains on every row.
    random_state
        Seed of the train/test split and the CV folds.

    Attributes
    ----------
    features_ : DataFrame
        One row per variable: ``feature`` (``dexter[-300,-100):CGCG``), ``region_start``, ``region_end``, ``kmer``,
        ``coef`` (per standard deviation of the frequency), ``r`` (training Pearson r), sorted by ``|coef|``, then
        ``|r|``.
    coef_, intercept_
        Linear model on the raw frequencies (``predict = transform @ coef_ + intercept_``), in ``features_`` order.
    alpha_ : float
        The CV-chosen penalty.
    exploration_ : DataFrame
        The growth path of each seed: ``seed``, ``kmer``, ``region_start``, ``region_end``, ``r``.
    null_floor_ : float
        The permutation floor (0 when ``n_permutations`` is 0).
    train_index_, test_index_, test_r_
        The split (row positions) and the held-out Pearson r (NaN when ``test_size`` is 0; 0 when the prediction is
        constant, i.e. no variable was kept).
    """

    def __init__(self, *, bins=13, anchor: int | None = None, k_start: int = 2, k_max: int = 6,
                 min_increase: float = 0.005, min_increase_ratio: float = 0.0, region_slack: int | None = None,
                 min_bins: int = 1, max_bins: int | None = None, correlation_min: float = 0.0,
                 n_permutations: int = 2,
                 model: str = "lasso", l1_ratio: float = 0.5, cv: int = 5, alpha_rule: str = "1se",
                 test_size: float = 0.0, random_state=None):
        self.bins = bins
        self.anchor = anchor
        self.k_start = k_start
        self.k_max = k_max
        self.min_increase = min_increase
        self.min_increase_ratio = min_increase_ratio
        self.region_slack = region_slack
        self.min_bins = min_bins
        self.max_bins = max_bins
        self.correlation_min = correlation_min
        self.n_permutations = n_permutations
        self.model = model
        self.l1_ratio = l1_ratio
        self.cv = cv
        self.alpha_rule = alpha_rule
        self.test_size = test_size
        self.random_state = random_state

    # ------------------------------------------------------------------ search
    def _regions(self, nb: int) -> list[tuple[int, int]]:
        mx = nb if self.max_bins is None else int(self.max_bins)
        return [(i, j) for i in range(nb) for j in range(i + int(self.min_bins), min(i + mx, nb) + 1)]

    def _check_params(self, L: int) -> None:
        if not 1 <= int(self.k_start) <= int(self.k_max) <= min(L, 8):
            raise ValidationError(f"k_start / k_max: expected 1 <= k_start <= k_max <= min(sequence length, 8); "
                                  f"got k_start={self.k_start}, k_max={self.k_max}")
        if self.model not in ("lasso", "elasticnet"):
            raise ValidationError(f"model must be 'lasso' or 'elasticnet'; got {self.model!r}")
        if self.alpha_rule not in ("1se", "best"):
            raise ValidationError(f"alpha_rule must be '1se' or 'best'; got {self.alpha_rule!r}")
        if not 0 <= float(self.test_size) < 1:
            raise ValidationError(f"test_size must be in [0, 1); got {self.test_size}")
        if int(self.min_bins) < 1 or (self.max_bins is not None and int(self.max_bins) < int(self.min_bins)):
            raise ValidationError(f"min_bins / max_bins: expected 1 <= min_bins <= max_bins; got "
                                  f"{self.min_bins}, {self.max_bins}")
        if self.anchor is not None and not 0 <= int(self.anchor) <= L:
            raise ValidationError(f"anchor must be a position in 0..{L} (sequence length); got {self.anchor}")

    def _lattice(self, codes: np.ndarray) -> _Lattice:
        L = codes.shape[1]
        anchor = L // 2 if self.anchor is None else int(self.anchor)
        edges = lattice_edges(L, self.bins, anchor)
        regions = self._regions(len(edges) - 1)
        if not regions:
            raise ValidationError(f"the lattice has no region: {len(edges) - 1} bins with min_bins={self.min_bins}")
        return _Lattice(codes, edges, anchor, regions)

    def _search(self, lat: _Lattice, y: np.ndarray, floor: float = 0.0) -> tuple[list, list]:
        edges = lat.edges
        yc = y - y.mean()
        yc = yc / np.sqrt((yc**2).sum())
        cache: dict[str, np.ndarray] = {}

        def scores(kmer):
            if kmer not in cache:
                cache[kmer] = _pearson_columns(lat.frequencies(kmer), yc)
            return cache[kmer]

        def best(kmer, parent=None):
            r = scores(kmer)
            if parent is not None and self.region_slack is not None:
                s = int(self.region_slack)
                ok = (np.abs(lat.i0 - lat.i0[parent]) <= s) & (np.abs(lat.j0 - lat.j0[parent]) <= s)
                r = np.where(ok, r, 0.0)
            j = int(np.argmax(np.abs(r)))
            return float(r[j]), j

        paths, finals = [], []
        for seed in kmer_names(int(self.k_start)):
            r, j = best(seed)
            kmer = seed
            paths.append((seed, kmer, j, r))
            while len(kmer) < int(self.k_max):
                cand = None
                for b in ALPHABET:
                    for ext in (b + kmer, kmer + b):
                        rr, jj = best(ext, j)
                        if cand is None or abs(rr) > abs(cand[0]):
                            cand = (rr, jj, ext)
                gain = abs(cand[0]) - abs(r)
                if gain < float(self.min_increase) or gain < float(self.min_increase_ratio) * abs(r):
                    break
                r, j, kmer = cand
                paths.append((seed, kmer, j, r))
            finals.append((kmer, int(edges[lat.i0[j]]), int(edges[lat.j0[j]]), r))
        seen, uniq = set(), []
        for row in finals:
            if row[:3] not in seen and abs(row[3]) >= max(float(self.correlation_min), floor):
                seen.add(row[:3])
                uniq.append(row)
        explo = [(s, km, int(edges[lat.i0[j]]), int(edges[lat.j0[j]]), r) for s, km, j, r in paths]
        return uniq, explo

    # ------------------------------------------------------------------ API
    def fit(self, codes, y):
        """Search (k-mer, region) variables and fit the linear model on the training rows of ``codes``, ``y``."""
        from sklearn.linear_model import ElasticNet, ElasticNetCV, Lasso, LassoCV
        from sklearn.model_selection import KFold

        codes = _codes(codes)
        n, L = codes.shape
        y = _check_y(y, n)
        self._check_params(L)
        rng = np.random.default_rng(root_seed_sequence(self.random_state))
        n_test = int(round(float(self.test_size) * n))
        perm = rng.permutation(n)
        test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])
        if train.size < 2 * int(self.cv) or np.ptp(y[train]) == 0:
            raise ValidationError(f"too few training rows ({train.size}) or constant y on them; need at least "
                                  f"2 * cv = {2 * int(self.cv)} rows with varying y")
        self.length_ = L
        self.anchor_ = L // 2 if self.anchor is None else int(self.anchor)
        lat = self._lattice(codes[train])
        floor = 0.0
        for _ in range(int(self.n_permutations)):
            null, _ = self._search(lat, rng.permutation(y[train]))
            floor = max([floor] + [abs(r[3]) for r in null])
        self.null_floor_ = float(floor)
        rows, explo = self._search(lat, y[train], floor=floor * (1 + 1e-9))
        del lat
        self.exploration_ = pd.DataFrame(explo, columns=["seed", "kmer", "region_start", "region_end", "r"])
        names = [f"dexter[{a:+d},{b:+d}):{km}" for km, a, b, _ in rows]
        feats = pd.DataFrame({"feature": names, "region_start": [r[1] for r in rows],
                              "region_end": [r[2] for r in rows], "kmer": [r[0] for r in rows],
                              "r": [r[3] for r in rows]})
        self.features_ = feats  # transform reads it
        F = self.transform(codes[train])
        mu, sd = F.mean(axis=0), F.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        seed = int(rng.integers(2**31 - 1))
        folds = KFold(int(self.cv), shuffle=True, random_state=seed)
        if self.model == "lasso":
            est = LassoCV(cv=folds, max_iter=20000)
        else:
            est = ElasticNetCV(cv=folds, l1_ratio=float(self.l1_ratio), max_iter=20000)
        if F.shape[1]:
            Z = (F - mu) / sd
            est.fit(Z, y[train])
            coef_std, self.alpha_ = est.coef_.copy(), float(est.alpha_)
            if self.alpha_rule == "1se":
                mse = np.asarray(est.mse_path_).reshape(len(est.alphas_), -1)
                mean, se = mse.mean(axis=1), mse.std(axis=1, ddof=1) / np.sqrt(mse.shape[1])
                best = int(np.argmin(mean))
                self.alpha_ = float(np.max(est.alphas_[mean <= mean[best] + se[best]]))
                refit = Lasso(alpha=self.alpha_, max_iter=20000) if self.model == "lasso" else \
                    ElasticNet(alpha=self.alpha_, l1_ratio=float(self.l1_ratio), max_iter=20000)
                coef_std = refit.fit(Z, y[train]).coef_.copy()
        else:
            coef_std, self.alpha_ = np.zeros(0), np.nan
        self.coef_ = coef_std / sd
        self.intercept_ = float(y[train].mean() - (mu * self.coef_).sum()) if F.shape[1] else float(y[train].mean())
        feats = feats.assign(coef=coef_std)
        order = np.lexsort((-np.abs(feats["r"].to_numpy()), -np.abs(coef_std)))
        self.features_ = feats.iloc[order].reset_index(drop=True)[
            ["feature", "region_start", "region_end", "kmer", "coef", "r"]]
        self.coef_ = self.coef_[order]
        self.train_index_, self.test_index_ = train, test
        self.test_r_ = np.nan
        if test.size > 2:
            pred = self.predict(codes[test])
            self.test_r_ = float(np.corrcoef(pred, y[test])[0, 1]) if np.ptp(pred) > 0 else 0.0
        return self

    def transform(self, codes) -> np.ndarray:
        """``(n, n_features)`` frequencies of the selected (k-mer, region) variables, in ``features_`` order."""
        if not hasattr(self, "features_"):
            raise ValidationError("this DExTERRegression is not fitted yet; call fit(codes, y) first")
        codes = _codes(codes)
        if codes.shape[1] != self.length_:
            raise ValidationError(f"codes have length {codes.shape[1]}; the model was fitted on length {self.length_}")
        idx: dict[int, np.ndarray] = {}
        cols = []
        for km, a, b in self.features_[["kmer", "region_start", "region_end"]].itertuples(index=False):
            if len(km) not in idx:
                idx[len(km)] = kmer_index(codes, len(km))
            cols.append(_region_frequency(idx[len(km)], km, a, b, self.anchor_))
        return np.column_stack(cols) if cols else np.zeros((codes.shape[0], 0))

    def predict(self, codes) -> np.ndarray:
        """Predicted target from the selected variables."""
        return self.transform(codes) @ self.coef_ + self.intercept_


# ---------------------------------------------------------------------------------------------------- simulator
def simulate_expression(
    n: int,
    length: int = 1000,
    *,
    planted=(("GGAC", (-300, -100), 1.0), ("TATA", (50, 200), -0.7)),
    noise: float = 1.0,
    max_copies: int = 6,
    anchor: int | None = None,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Sequences and a continuous target that is a linear function of planted (k-mer, region) frequencies + noise.

    Background: the package's order-1 Markov chain (CpG depleted). For each planted ``(kmer, (start, end), weight)``
    (bp relative to ``anchor``, default the centre) every sequence receives ``Uniform{0..max_copies}`` copies of
    ``kmer`` at random start positions in ``[start, end - k]`` (later copies may overwrite earlier ones). The true
    frequency ``f_j`` of each k-mer in its region is then measured on the final sequences (as
    :func:`region_frequency`), and ``y = sum_j weight_j z_j + noise * sd(signal) * e`` with ``z_j`` the standardised
    frequency and ``e`` standard normal, so the best possible Pearson r is about ``1 / sqrt(1 + noise^2)``. With no
    planted element (or a constant signal), ``y = e``.

    Returns ``(codes, y, oracle)``: int8 codes ``(n, length)``, ``y`` ``(n,)`` and the oracle design, a DataFrame of
    the true frequencies (columns ``dexter[start,end):kmer``), on which a linear fit gives the oracle r.
    """
    n, length = int(n), int(length)
    if n < 1 or length < 1:
        raise ValidationError(f"n and length must be positive; got n={n}, length={length}")
    if not np.isfinite(noise) or noise < 0:
        raise ValidationError(f"noise must be a finite value >= 0; got {noise}")
    anchor = length // 2 if anchor is None else int(anchor)
    rng = np.random.default_rng(root_seed_sequence(random_state))
    codes = sample_markov(BACKGROUND_CHAIN, n, length, rng)
    planted = list(planted)
    for kmer, (a, b), _w in planted:
        site = encode_batch([kmer])[0]
        k = site.size
        lo, hi = anchor + int(a), anchor + int(b) - k
        if set(kmer) - set(ALPHABET) or lo < 0 or hi > length - k or hi < lo:
            raise ValidationError(f"planted ({kmer!r}, ({a}, {b})): expected an ACGT k-mer fitting inside its region "
                                  f"and the region inside the sequence (anchor {anchor}, length {length})")
        n_copies = rng.integers(0, int(max_copies) + 1, size=n)
        for i in np.nonzero(n_copies)[0]:
            for p in rng.integers(lo, hi + 1, size=n_copies[i]):
                codes[i, p : p + k] = site
    freqs = {f"dexter[{int(a):+d},{int(b):+d}):{km}": region_frequency(codes, km, int(a), int(b), anchor=anchor)
             for km, (a, b), _w in planted}
    oracle = pd.DataFrame(freqs, index=pd.RangeIndex(n))
    signal = np.zeros(n)
    for (_km, _reg, w), col in zip(planted, oracle.columns, strict=True):
        f = oracle[col].to_numpy()
        if f.std() > 0:
            signal += float(w) * (f - f.mean()) / f.std()
    e = rng.standard_normal(n)
    y = signal + noise * signal.std() * e if signal.std() > 0 else e
    return codes, y, oracle
