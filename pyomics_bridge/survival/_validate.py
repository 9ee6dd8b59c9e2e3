"""Validation of survival inputs (times, event indicators, groups) shared by the survival kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._conventions import ValidationError


def check_survival_data(time, event, *, name_time: str = "time", name_event: str = "event"):
    """Return ``time`` (float64) and ``event`` (bool) as validated 1-d arrays of equal length."""
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event)
    if t.ndim != 1:
        raise ValidationError(f"{name_time} must be 1-dimensional, got shape {t.shape}")
    if e.shape != t.shape:
        raise ValidationError(f"{name_event} has shape {e.shape} but {name_time} has shape {t.shape}")
    if np.isnan(t).any():
        raise ValidationError(f"{name_time} has {int(np.isnan(t).sum())} missing value(s)")
    if not np.isfinite(t).all():
        raise ValidationError(f"{name_time} must be finite")
    if (t < 0).any():
        raise ValidationError(f"{name_time} must be >= 0; found {t[t < 0][:3].tolist()}")
    try:
        e_num = e.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name_event} must be 0/1 or boolean, got dtype {e.dtype}") from exc
    if np.isnan(e_num).any() or not np.isin(e_num, (0.0, 1.0)).all():
        bad = np.unique(e_num[~np.isin(e_num, (0.0, 1.0))])[:5].tolist()
        raise ValidationError(f"{name_event} must be 0/1 (or boolean); found values {bad}")
    return t, e_num.astype(bool)


def encode_groups(group, n: int, *, name: str = "group") -> tuple[np.ndarray, list]:
    """Integer codes and labels of a grouping, keeping the level order of a categorical."""
    cat = group if isinstance(group, pd.Categorical) else pd.Categorical(np.asarray(group))
    if isinstance(group, pd.Series) and isinstance(group.dtype, pd.CategoricalDtype):
        cat = group.array
    if len(cat) != n:
        raise ValidationError(f"{name} has {len(cat)} values, expected {n}")
    if (cat.codes < 0).any():
        raise ValidationError(f"{name} has {int((cat.codes < 0).sum())} missing value(s)")
    used = np.unique(cat.codes)
    # Levels without samples carry no information; R's survdiff also drops them.
    labels = [cat.categories[i] for i in used]
    remap = np.full(len(cat.categories), -1)
    remap[used] = np.arange(len(used))
    return remap[cat.codes], labels
