"""``TFscope``: the estimator form of :func:`~pyomics_bridge.regulatory.tfscope` (two sequence sets in, fitted
attributes out), the public name of issue 6."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._conventions import ValidationError
from .._parallel import root_seed_sequence
from ._io import extract_sequences, read_bed, read_fasta, select_peaks
from ._pwm import _orient_motif, as_motif, check_finite_motif
from ._sequences import encode_batch
from ._tfscope import FAMILIES, tfscope


def _peaks(peaks, genome, width: int, which: str) -> tuple[np.ndarray, list[str]]:
    """Summit-centred ``width``-bp codes of a peak set (DataFrame or ``.bed``/``.narrowPeak`` path) from ``genome``."""
    if isinstance(peaks, (str, os.PathLike)):
        peaks = read_bed(peaks)
    missing = [c for c in ("chrom", "start", "end") if c not in peaks.columns]
    if missing:
        raise ValidationError(f"{which}: a peak table needs columns chrom, start, end (and optionally summit); "
                              f"missing {missing}")
    if len(peaks) == 0:
        raise ValidationError(f"{which} is empty: expected at least one peak")
    peaks = peaks.copy()
    if "summit" not in peaks.columns:
        peaks["summit"] = (peaks["start"].astype(np.int64) + peaks["end"].astype(np.int64)) // 2
    try:
        codes = extract_sequences(peaks, genome, width=width)
    except ValidationError as err:
        raise ValidationError(f"{which}: {err}") from None
    names = [f"{c}:{a}-{b}" for c, a, b in zip(peaks["chrom"], peaks["start"], peaks["end"], strict=True)]
    return codes, names


def _is_bed_path(path) -> bool:
    name = os.fspath(path).lower()
    name = name[:-3] if name.endswith(".gz") else name
    return name.endswith((".bed", ".narrowpeak", ".broadpeak"))


def _sequences(seqs, which: str, genome=None, peak_width: int = 1000) -> tuple[np.ndarray, list[str] | None]:
    names = None
    if genome is not None and (isinstance(seqs, pd.DataFrame) or (
            isinstance(seqs, (str, os.PathLike)) and _is_bed_path(seqs))):
        return _peaks(seqs, genome, peak_width, which)
    if isinstance(seqs, pd.DataFrame):
        raise TypeError(f"{which} is a DataFrame (a peak set?): pass TFscope(genome=<FASTA path or dict>) to read "
                        "its summit-centred sequences, or give a list of equal-length sequence strings")
    if isinstance(seqs, (str, os.PathLike)):
        names, seqs = read_fasta(seqs)
    if isinstance(seqs, np.ndarray) and seqs.dtype.kind in "iu":
        codes = np.atleast_2d(seqs)
    else:
        seqs = list(seqs)
        if not seqs:
            raise ValueError(f"{which} is empty: expected at least one sequence")
        lengths = {len(s) for s in seqs}
        if len(lengths) != 1:
            raise ValueError(f"{which}: sequences must all have the same length (summit-centred windows), "
                             f"got lengths {sorted(lengths)[:5]}")
        codes = encode_batch(seqs)
    if codes.shape[0] == 0:
        raise ValueError(f"{which} is empty: expected at least one sequence")
    return codes, names


def _orient(m):
    """A ``4 x W`` matrix (rows A, C, G, T; the issue's convention) becomes ``(W, 4)``; a Bio.motifs / pyjaspar
    motif (``.counts``) becomes a :class:`Motif` of counts; other inputs unchanged."""
    m = as_motif(m)
    if isinstance(m, (list, tuple, np.ndarray)):
        return _orient_motif(check_finite_motif(m))
    return m


class TFscope(BaseEstimator):
    """TFscope-like analysis of what separates the sequences bound in experiment 1 from those of experiment 2.

    Parameters
    ----------
    families, search, width, pvalue, flank, env_search, cofactor_windows, combine, select, predict_select, stability,
    cv, test_size
        As in :func:`~pyomics_bridge.regulatory.tfscope` (scores and AUCs from the CV-best penalty, coefficients for
        interpretation from the 1-SE one).
    baselines
        Baseline models fitted on exactly TFscope's training rows and scored on its test rows (the kept sequences,
        same labels): any of ``"kmer"`` (k-mer spectrum L2-logistic, :func:`kmer_baseline`), ``"gkm"`` (gapped
        k-mer L2-logistic, :func:`gkm_baseline`) and ``"cnn"`` (:func:`cnn_baseline`, needs torch); ``()`` for none.
    baseline_input
        ``"aligned"`` (default): the anchored, oriented windows TFscope's features see (``result_.obsm["aligned"]``);
        ``"raw"``: the kept input sequences as given.
    baseline_options
        ``{name: {keyword: value}}`` passed to each baseline, e.g. ``{"kmer": {"k": 6}, "gkm": {"l": 8, "k": 5}}``.
    random_state, n_jobs
        Seed of every random step; parallel workers (results do not depend on it).
    options
        Any other keyword of :func:`~pyomics_bridge.regulatory.tfscope`.
    genome
        Genome for peak-set inputs: a FASTA path (read with pyfaidx when installed), a ``pyfaidx.Fasta`` or a dict
        chrom -> sequence. With it, ``seqs_1``/``seqs_2`` may be peak tables (``chrom``, ``start``, ``end``,
        optional ``summit``) or BED/narrowPeak paths; their summit-centred sequences are extracted
        (:func:`extract_sequences`) and named ``chrom:start-end``.
    peak_selection
        With two peak sets and ``genome``: ``"unique"`` compares the peaks of each experiment that do not overlap
        the other's, ``"unique_vs_shared"`` the experiment-1 peaks without an overlap in experiment 2 (class 1)
        against those with one (class 2) (:func:`select_peaks`); ``None`` (default) uses the sets as given.
    peak_width
        Length of the sequences extracted around each summit (default ``width + 2 * search``: the window
        re-centred on the anchor stays inside the extracted sequence; 1000 when ``width`` is None).

    Attributes
    ----------
    n_peaks_ : dict or None
        With ``peak_selection``: the peaks of each input set and how many each class kept.
    auc_ : float
        Held-out AUC of the full model (of the only family when there is one); class 1 = experiment 1.
    auc_by_family_ : dict
        Held-out AUC of each family model.
    drop_family_ : pandas.DataFrame or None
        Held-out AUC without each family and the AUC lost.
    features_ : pandas.DataFrame
        ``feature``, ``family``, ``coef`` (full model), ``contribution_1`` and ``contribution_2`` (mean signed
        contribution in the sequences of experiment 1 and 2), sorted by decreasing ``|coef|``.
    no_signal_ : bool
        The reported model's no-signal guard fired (a warning is issued too).
    n_dropped_ : int
        Sequences without a core-motif hit near the centre.
    result_ : anndata.AnnData
        The full result (see :func:`~pyomics_bridge.regulatory.tfscope`).
    fit_seconds_ : float
        Wall time of the TFscope analysis (baselines excluded).
    baseline_auc_ : dict
        Held-out AUC of each baseline on TFscope's test rows (empty without ``baselines``).
    baseline_results_ : dict
        Per baseline: ``test_auc``, ``fit_seconds``, ``random_state`` (the SeedSequence it was given) and the
        baseline's own details (``test_scores`` for ``gkm`` and ``cnn``).
    comparison_ : pandas.DataFrame
        Side-by-side table indexed by model (``tfscope_full`` or the single family, ``tfscope_<family>``, then the
        baselines) with ``test_auc``, ``fit_seconds`` (the TFscope rows share the total analysis time),
        ``n_train`` and ``n_test``.
    """

    def __init__(self, *, families=FAMILIES, search: int = 50, width: int | None = 1000, pvalue: float | None = 1e-3,
                 flank: int = 5, env_search: bool = True, cofactor_windows=(50, 150, 500), combine: str = "stack",
                 select: str = "1se", predict_select: str | None = "best", stability: int = 50, cv: int = 5, test_size: float = 0.2, baselines=(),
                 baseline_input: str = "aligned", baseline_options: dict | None = None, random_state=0,
                 n_jobs: int | None = None, options: dict | None = None, genome=None,
                 peak_width: int | None = None, peak_selection: str | None = None):
        self.families = families
        self.search = search
        self.width = width
        self.pvalue = pvalue
        self.flank = flank
        self.env_search = env_search
        self.cofactor_windows = cofactor_windows
        self.combine = combine
        self.select = select
        self.predict_select = predict_select
        self.stability = stability
        self.cv = cv
        self.test_size = test_size
        self.baselines = baselines
        self.baseline_input = baseline_input
        self.baseline_options = baseline_options
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.options = options
        self.genome = genome
        self.peak_width = peak_width
        self.peak_selection = peak_selection

    def _select_peaks(self, seqs_1, seqs_2):
        """Apply ``peak_selection`` to two peak sets (tables or BED/narrowPeak paths); counts in ``n_peaks_``."""
        if self.peak_selection not in ("unique", "unique_vs_shared"):
            raise ValueError(f"peak_selection must be None, 'unique' or 'unique_vs_shared', got {self.peak_selection!r}")
        tables = []
        for which, s in (("seqs_1", seqs_1), ("seqs_2", seqs_2)):
            if isinstance(s, (str, os.PathLike)) and _is_bed_path(s):
                s = read_bed(s)
            if self.genome is None or not isinstance(s, pd.DataFrame):
                raise ValueError(f"peak_selection={self.peak_selection!r} needs two peak sets (tables or BED/narrowPeak "
                                 f"paths) and genome=; {which} is not a peak set or genome is None")
            tables.append(s)
        a, b = select_peaks(tables[0], tables[1], mode=self.peak_selection)
        self.n_peaks_ = {"seqs_1": len(tables[0]), "seqs_2": len(tables[1]), "selected_1": len(a),
                         "selected_2": len(b)}
        for which, t in (("experiment 1", a), ("experiment 2", b)):
            if len(t) == 0:
                raise ValidationError(f"peak_selection={self.peak_selection!r} leaves no peak for {which} "
                                      f"({self.n_peaks_})")
        return a, b

    def fit(self, seqs_1, seqs_2, core_motif, cofactor_motifs=None):
        """Fit on two sequence sets (lists of equal-length strings, FASTA paths or int8 code arrays; with
        ``genome``, peak tables or BED/narrowPeak paths).

        ``core_motif``: the target TF's motif: a ``4 x W`` matrix (rows A, C, G, T) or ``(W, 4)`` (a ``4 x 4``
        matrix is read by which sums are one, else as ``4 x W`` with a warning), a :class:`Motif`, a Bio.motifs / pyjaspar motif (``.counts``), or ``None`` for anchoring-free mode; ``cofactor_motifs``:
        ``{name: matrix}``, a list of motifs, or ``None`` for all JASPAR2024 CORE vertebrate motifs (pyjaspar).
        """
        # peaks are cut wide enough that the window re-centred on the anchor never runs off the extracted sequence
        pw = (int(self.peak_width) if self.peak_width is not None
              else (int(self.width) + 2 * int(self.search) if self.width else 1000))
        self.n_peaks_ = None
        if self.peak_selection is not None:
            seqs_1, seqs_2 = self._select_peaks(seqs_1, seqs_2)
        c1, n1 = _sequences(seqs_1, "seqs_1", self.genome, pw)
        c2, n2 = _sequences(seqs_2, "seqs_2", self.genome, pw)
        if c1.shape[1] != c2.shape[1]:
            raise ValueError(f"seqs_1 and seqs_2 must have the same length, got {c1.shape[1]} and {c2.shape[1]}")
        if c1.shape == c2.shape and np.array_equal(c1, c2):
            raise ValidationError("seqs_1 and seqs_2 are identical: the two experiments must differ to be compared")
        names = None
        if n1 is not None or n2 is not None:
            names = (n1 or [f"exp1_{i}" for i in range(len(c1))]) + (n2 or [f"exp2_{i}" for i in range(len(c2))])
        if names is not None and len(set(names)) != len(names):
            names = None
        codes = np.vstack([c1, c2])
        y = np.r_[np.ones(len(c1), dtype=int), np.zeros(len(c2), dtype=int)]
        if isinstance(cofactor_motifs, dict):
            cofactor_motifs = {k: _orient(v) for k, v in cofactor_motifs.items()}
        elif isinstance(cofactor_motifs, (list, tuple)):
            cofactor_motifs = [_orient(v) for v in cofactor_motifs]
        core_motif = None if core_motif is None else _orient(core_motif)
        baselines = _check_baselines(self.baselines, self.baseline_input, self.baseline_options)
        t0 = time.perf_counter()
        res = tfscope(codes, y, core_motif, cofactor_motifs, families=self.families, search=self.search,
                      width=self.width, pvalue=self.pvalue, flank=self.flank, env_search=self.env_search,
                      cofactor_windows=self.cofactor_windows, combine=self.combine, select=self.select,
                      predict_select=self.predict_select, stability=self.stability, cv=self.cv, test_size=self.test_size,
                      random_state=self.random_state, n_jobs=self.n_jobs, names=names, **(self.options or {}))
        self.fit_seconds_ = time.perf_counter() - t0
        u = res.uns["tfscope"]
        table = u["auc"]["test_auc"]
        self.result_ = res
        self.auc_by_family_ = {f: float(table[f]) for f in u["families"]}
        self.auc_ = float(table["full"]) if "full" in table.index else self.auc_by_family_[u["families"][0]]
        self.drop_family_ = u["drop_family"]
        self.n_dropped_ = int(u["n_dropped"])
        model = "full" if "full" in table.index else u["families"][0]
        auc_tab = u["auc"]
        self.no_signal_ = bool(auc_tab.loc[model, "no_signal"]) if "no_signal" in auc_tab else False
        if self.no_signal_:
            warnings.warn(f"TFscope: the {model} model found no signal (its no-signal guard fired: no feature "
                          "beats the intercept-only model in cross-validation); auc_ and features_ are not "
                          "informative", UserWarning, stacklevel=2)
        v = res.var
        feats = pd.DataFrame({"feature": v.index, "family": v["family"].to_numpy(),
                              "coef": v[f"coef_{model}"].to_numpy(),
                              "contribution_1": v[f"contrib_1_{model}"].to_numpy(),
                              "contribution_2": v[f"contrib_0_{model}"].to_numpy()})
        if f"stability_{model}" in v:
            feats["stability"] = v[f"stability_{model}"].to_numpy()
        order = np.argsort(-np.abs(feats["coef"].to_numpy()), kind="stable")
        self.features_ = feats.iloc[order].reset_index(drop=True)
        self._fit_baselines(baselines, codes, res, model)
        return self

    def _fit_baselines(self, baselines, codes, res, model):
        """Baselines on TFscope's kept sequences, training rows and test rows; fills ``baseline_*_`` and
        ``comparison_``."""
        obs = res.obs
        y = obs["label"].to_numpy().astype(int)
        train = np.nonzero(obs["split"].to_numpy() == "train")[0]
        test = np.nonzero(obs["split"].to_numpy() == "test")[0]
        seqs = res.obsm["aligned"] if self.baseline_input == "aligned" else codes[res.uns["tfscope"]["kept"]]
        root = root_seed_sequence(self.random_state)
        self.baseline_results_, self.baseline_auc_ = {}, {}
        for i, name in enumerate(baselines):
            seed = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (1000 + i,))
            kw = dict((self.baseline_options or {}).get(name, {}))
            t = time.perf_counter()
            out = _BASELINES[name]()(seqs, y, train=train, test=test, random_state=seed, **kw)
            out = {key: v for key, v in out.items() if key not in ("train", "test")}
            out["fit_seconds"] = time.perf_counter() - t
            out["random_state"] = seed
            self.baseline_results_[name] = out
            self.baseline_auc_[name] = float(out["test_auc"])
        rows = [{"model": f"tfscope_{model}", "test_auc": self.auc_, "fit_seconds": self.fit_seconds_}]
        rows += [{"model": f"tfscope_{f}", "test_auc": a, "fit_seconds": self.fit_seconds_}
                 for f, a in self.auc_by_family_.items() if f != model]
        rows += [{"model": b, "test_auc": self.baseline_auc_[b], "fit_seconds": self.baseline_results_[b]["fit_seconds"]}
                 for b in baselines]
        comp = pd.DataFrame(rows).set_index("model")
        comp["n_train"], comp["n_test"] = train.size, test.size
        self.comparison_ = comp


def _kmer():
    from ._baselines import kmer_baseline

    return kmer_baseline


def _gkm():
    from ._gkm import gkm_baseline

    return gkm_baseline


def _cnn():
    from ._cnn import cnn_baseline

    return cnn_baseline


_BASELINES = {"kmer": _kmer, "gkm": _gkm, "cnn": _cnn}


def _check_baselines(baselines, baseline_input, options) -> tuple[str, ...]:
    if baselines is None:
        return ()
    if isinstance(baselines, str):
        baselines = (baselines,)
    baselines = tuple(baselines)
    bad = [b for b in baselines if b not in _BASELINES]
    if bad:
        raise ValueError(f"unknown baselines {bad}; available: {list(_BASELINES)}")
    if len(set(baselines)) != len(baselines):
        raise ValueError(f"baselines has duplicates: {list(baselines)}")
    if baseline_input not in ("aligned", "raw"):
        raise ValueError(f"baseline_input must be 'aligned' or 'raw', got {baseline_input!r}")
    if options is not None:
        if not isinstance(options, dict):
            raise TypeError(f"baseline_options must be a dict name -> keywords, got {type(options).__name__}")
        extra = sorted(set(options) - set(_BASELINES))
        if extra:
            raise ValueError(f"baseline_options names unknown baselines {extra}; available: {list(_BASELINES)}")
    if "cnn" in baselines:
        from .._optional import import_optional

        import_optional("torch", purpose="the CNN baseline")
    return baselines
