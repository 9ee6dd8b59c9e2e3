"""Regulatory-sequence models: TFscope-style analysis of differential TF binding, PWM scanning and baselines.

- sequences: :func:`encode_batch`, :func:`decode`, :func:`reverse_complement`, :func:`one_hot`,
  :func:`gc_content`, :func:`kmer_counts`;
- I/O: :func:`read_fasta`, :func:`read_bed` (BED/narrowPeak), :func:`extract_sequences`, :func:`select_peaks`,
  :func:`read_meme`, :func:`read_jaspar`, :func:`jaspar_motifs` (pyjaspar, optional);
- motifs: :func:`log_odds`, :func:`scan` (one or many motifs: best score/position/strand, hits at a p-value),
  :func:`scan_tracks` (per-position scores), :func:`best_hits`, :func:`score_distribution`,
  :func:`threshold_from_pvalue`, :func:`scan_hits` (exact p-values, FIMO-like); many motifs at once:
  :func:`scan_motifs`, :class:`MultiScanner`;
- TFscope: :func:`anchor_and_orient`, feature families, :func:`fit_lasso_logistic`, :func:`tfscope`;
- baselines: :func:`kmer_baseline`, :func:`gkm_baseline` (+ :func:`gkm_features`, gapped k-mers),
  :func:`cnn_baseline` (torch extra), side by side on TFscope's split via ``TFscope(baselines=...)``; benchmark: :func:`simulate_tf_binding`;
- DExTER regression (continuous target): :class:`DExTERRegression`, :func:`simulate_expression`;
- real peaks (read at run time from the janggu wheel): :func:`janggu_peaks`, :func:`markov_from_peaks`,
  :func:`chromosomes_from_names`.
"""

from ._baselines import kmer_baseline
from ._cnn import cnn_baseline
from ._dexter import DExTERRegression, lattice_edges, region_frequency, simulate_expression
from ._estimator import TFscope
from ._features import (
    EnvironmentSearch,
    anchor_and_orient,
    cofactor_features,
    core_features,
    environment_features,
)
from ._gkm import gkm_baseline, gkm_feature_names, gkm_features
from ._io import (
    Motif,
    extract_sequences,
    read_bed,
    read_fasta,
    read_jaspar,
    read_meme,
    select_peaks,
    write_fasta,
    write_meme,
)
from ._jaspar import jaspar_motifs, motifs_as_dict
from ._model import LassoResult, fit_lasso_logistic
from ._multiscan import MultiScanner, motif_pwms, scan_motifs
from ._pvalues import ScoreDistribution, scan_hits, score_distribution, threshold_from_pvalue
from ._pwm import best_hits, log_odds, max_score_in_windows, reverse_complement_pwm, scan, scan_tracks
from ._realdata import chromosomes_from_names, janggu_peaks, markov_from_peaks
from ._sequences import (
    decode,
    encode,
    encode_batch,
    gc_content,
    kmer_counts,
    kmer_names,
    one_hot,
    reverse_complement,
    reverse_complement_str,
)
from ._simulate import consensus_motif, default_motifs, fit_markov, sample_markov, simulate_tf_binding
from ._tfscope import tfscope

__all__ = [
    "DExTERRegression", "lattice_edges", "region_frequency", "simulate_expression",
    "gkm_baseline", "gkm_feature_names", "gkm_features", "scan_tracks",
    "anchor_and_orient", "best_hits", "chromosomes_from_names", "cnn_baseline", "cofactor_features",
    "consensus_motif", "core_features", "decode", "default_motifs", "encode", "encode_batch",
    "environment_features", "EnvironmentSearch", "extract_sequences", "fit_lasso_logistic", "fit_markov",
    "gc_content", "janggu_peaks", "jaspar_motifs", "kmer_baseline", "kmer_counts", "kmer_names", "LassoResult",
    "log_odds", "markov_from_peaks", "max_score_in_windows", "Motif", "motif_pwms", "motifs_as_dict",
    "MultiScanner", "one_hot", "read_bed", "read_fasta", "read_jaspar", "read_meme", "reverse_complement",
    "reverse_complement_pwm", "reverse_complement_str", "sample_markov", "scan", "scan_hits", "scan_motifs",
    "score_distribution", "ScoreDistribution", "select_peaks", "simulate_tf_binding", "tfscope", "TFscope",
    "threshold_from_pvalue", "write_fasta", "write_meme",
]
