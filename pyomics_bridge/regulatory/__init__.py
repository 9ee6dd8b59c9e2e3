"""Regulatory-sequence models: TFscope-style analysis of cell-type-specific TF binding, PWM scanning, baselines.

Planned content (issue "Regulatory sequences"). Nothing is implemented here yet.
"""

__all__: list[str] = []
