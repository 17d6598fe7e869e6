"""Slow, obviously-correct oracles for the metrics (plain loops over samples)."""

import numpy as np


def confusion_matrix(y_true, y_pred, labels=None, sample_weight=None):
    """Dict-based count over the given (or present, sorted) labels."""
    if labels is None:
        labels = sorted(set(list(y_true)) | set(list(y_pred)))
    index = {label: i for i, label in enumerate(labels)}
    weights = [1] * len(y_true) if sample_weight is None else list(sample_weight)
    dtype = np.int64 if sample_weight is None else np.float64
    cm = np.zeros((len(labels), len(labels)), dtype)
    for t, p, w in zip(y_true, y_pred, weights, strict=True):
        if t in index and p in index:
            cm[index[t], index[p]] += w
    return cm


def regression_sums(y_true, y_pred):
    """Two-pass mean squared error and r2 in exact rational-free float loops."""
    n = len(y_true)
    mean = sum(y_true) / n
    ss_tot = sum((t - mean) ** 2 for t in y_true)
    ss_res = sum((t - p) ** 2 for t, p in zip(y_true, y_pred, strict=True))
    return ss_res / n, 1 - ss_res / ss_tot
