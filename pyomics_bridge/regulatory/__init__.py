"""Regulatory-sequence models: TFscope-style analysis of differential TF binding, PWM scanning and baselines.

- sequences: :func:`encode_batch`, :func:`decode`, :func:`reverse_complement`, :func:`one_hot`,
  :func:`gc_content`, :func:`kmer_counts`;
- I/O: :func:`read_fasta`, :func:`read_bed` (BED/narrowPeak), :func:`extract_sequences`, :func:`select_peaks`,
  :func:`read_meme`, :func:`read_jaspar`, :func:`jaspar_motifs` (pyjaspar, optional);
- motifs: :func:`log_odds`, :func:`scan`, :func:`best_hits`, :func:`score_distribution`,
  :func:`threshold_from_pvalue`, :func:`scan_hits` (exact p-values, FIMO-like);
- TFscope: :func:`anchor_and_orient`, feature families, :func:`fit_lasso_logistic`, :func:`tfscope`;
- baseline: :func:`kmer_baseline`; benchmark: :func:`simulate_tf_binding`.
"""

from ._baselines import kmer_baseline
from ._features import (
    EnvironmentSearch,
    anchor_and_orient,
    cofactor_features,
    core_features,
    environment_features,
)
from ._io import (
    Motif,
    extract_sequences,
    jaspar_motifs,
    read_bed,
    read_fasta,
    read_jaspar,
    read_meme,
    select_peaks,
    write_fasta,
    write_meme,
)
from ._model import LassoResult, fit_lasso_logistic
from ._pvalues import ScoreDistribution, scan_hits, score_distribution, threshold_from_pvalue
from ._pwm import best_hits, log_odds, max_score_in_windows, reverse_complement_pwm, scan
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
    "EnvironmentSearch", "LassoResult", "Motif", "ScoreDistribution", "anchor_and_orient", "best_hits",
    "cofactor_features", "consensus_motif", "core_features", "decode", "default_motifs", "encode",
    "encode_batch", "environment_features", "extract_sequences", "fit_lasso_logistic", "fit_markov", "gc_content",
    "jaspar_motifs", "kmer_baseline", "kmer_counts", "kmer_names", "log_odds", "max_score_in_windows",
    "one_hot", "read_bed", "read_fasta", "read_jaspar", "read_meme", "reverse_complement",
    "reverse_complement_pwm", "reverse_complement_str", "sample_markov", "scan", "scan_hits",
    "score_distribution", "select_peaks", "simulate_tf_binding", "tfscope", "threshold_from_pvalue",
    "write_fasta", "write_meme",
]
