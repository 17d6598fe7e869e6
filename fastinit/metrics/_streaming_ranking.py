"""Streaming ranking metrics for binary targets: exact tallies, or fixed bins in constant memory.

Both accumulators keep, per score value (:class:`RankingStats`) or per score bin
(:class:`BinnedRankingStats`), the weight of the positive and of the negative samples seen so
far. Both merge by adding tallies, and take dask batches chunk by chunk.

* :class:`RankingStats` is exact: its metrics equal ``roc_auc_score``,
  ``average_precision_score``, ``roc_curve`` and ``precision_recall_curve`` of all the batches
  put together (samples of equal score are tied the same way). Its memory grows with the number
  of distinct scores.
* :class:`BinnedRankingStats` keeps ``bins`` bins between ``low`` and ``high`` whatever the
  number of samples. Samples in one bin count as tied, so its ROC AUC is off the exact one by at
  most :meth:`BinnedRankingStats.auc_error_bound`: half the weight of the (positive, negative)
  pairs that share a bin, over the weight of all pairs.
"""

import math

import numpy as np

from .._checks import fits_in_memory, real
from . import _lazy
from ._auc import average_precision_score, roc_auc_score
from ._curves import precision_recall_curve, roc_curve

__all__ = ["RankingStats", "BinnedRankingStats"]


def _binary_batch(y_true, y_score, sample_weight):
    """(labels as bool, scores as float64, weights as float64) of one batch, checked."""
    t = np.asarray(y_true)
    s = np.asarray(y_score)
    if t.ndim != 1 or s.ndim != 1 or t.shape != s.shape:
        raise ValueError(
            f"y_true and y_score must be 1-D of one length, got shapes {t.shape} and {s.shape}"
        )
    if t.dtype.kind not in "biuf" or not np.isin(t, (0, 1)).all():
        raise ValueError("y_true must hold binary labels 0 and 1 (or booleans)")
    if s.dtype.kind not in "biuf":
        raise TypeError(f"y_score must be numeric, got dtype {s.dtype}")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        raise ValueError("y_score must be finite (it holds NaN or inf)")
    if sample_weight is None:
        w = np.ones(t.size)
    else:
        w = np.asarray(sample_weight)
        if w.dtype.kind not in "biuf":  # strings, complex numbers, timedeltas, objects
            raise TypeError(f"sample_weight must be real numbers, got dtype {w.dtype}")
        w = w.astype(np.float64)
        if w.shape != t.shape:
            raise ValueError(f"sample_weight has shape {w.shape}, expected {t.shape}")
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise ValueError("sample_weight must be finite and non-negative")
    return t.astype(bool), s, w


def _chunks_merged(empty, y_true, y_score, sample_weight):
    """A fresh accumulator like ``empty`` holding dask batches, reduced chunk by chunk."""
    from ..dask._metrics import align_rows, row_runner

    arrays = align_rows([y_true, y_score, sample_weight], ["y_true", "y_score", "sample_weight"])

    def one_chunk(t, s, w):
        part = empty()
        part.update(t, s, w)
        return part

    def merge(a, b):
        return a.merge(b)

    return row_runner(arrays)(one_chunk, merge)


class _Tallies:
    """What both accumulators share: the positive and negative weight per score value."""

    def _values(self):
        raise NotImplementedError  # the score of each tally

    def _samples(self):
        """The tallies as a weighted binary problem: each value once as a positive (weight:
        the positives' total) and once as a negative, zero weights left out."""
        values = self._values()
        y = np.concatenate([np.ones(values.size, bool), np.zeros(values.size, bool)])
        scores = np.concatenate([values, values])
        weights = np.concatenate([self._pos, self._neg])
        keep = weights > 0
        if not keep.any():
            raise ValueError("no samples yet: update the accumulator first")
        return y[keep], scores[keep], weights[keep]

    def roc_auc_score(self, *, max_fpr=None):
        """:func:`fastinit.metrics.roc_auc_score` of every batch so far."""
        y, s, w = self._samples()
        return roc_auc_score(y, s, sample_weight=w, max_fpr=max_fpr)

    def average_precision_score(self):
        """:func:`fastinit.metrics.average_precision_score` of every batch so far."""
        y, s, w = self._samples()
        return average_precision_score(y, s, sample_weight=w)

    def roc_curve(self, *, drop_intermediate=True):
        """:func:`fastinit.metrics.roc_curve` of every batch so far (thresholds: the scores,
        or the bins' lower edges)."""
        y, s, w = self._samples()
        return roc_curve(y, s, sample_weight=w, drop_intermediate=drop_intermediate)

    def precision_recall_curve(self, *, drop_intermediate=False):
        """:func:`fastinit.metrics.precision_recall_curve` of every batch so far."""
        y, s, w = self._samples()
        return precision_recall_curve(y, s, sample_weight=w, drop_intermediate=drop_intermediate)


class RankingStats(_Tallies):
    """Exact streaming ranking metrics of a binary target: the positive and negative weight of
    every distinct score seen so far.

    Memory grows with the number of distinct scores (all of them, for continuous scores); use
    :class:`BinnedRankingStats` for constant memory. Batches may be dask arrays (reduced chunk
    by chunk). Accumulators pickle and :meth:`merge`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.metrics import RankingStats, roc_auc_score
    >>> y, s = np.array([0, 1, 1, 0, 1, 0]), np.array([0.1, 0.8, 0.4, 0.35, 0.9, 0.2])
    >>> stats = RankingStats()
    >>> stats.update(y[:3], s[:3])
    >>> stats.update(y[3:], s[3:])
    >>> bool(np.isclose(stats.roc_auc_score(), roc_auc_score(y, s)))
    True
    """

    def __init__(self):
        self._scores = np.empty(0)
        self._pos = np.empty(0)
        self._neg = np.empty(0)

    def _values(self):
        return self._scores

    def update(self, y_true, y_score, sample_weight=None):
        """Add a batch: binary labels (0/1 or bool), finite scores, non-negative weights."""
        if _lazy.any_dask(y_true, y_score, sample_weight):
            self.merge(_chunks_merged(RankingStats, y_true, y_score, sample_weight))
            return
        t, s, w = _binary_batch(y_true, y_score, sample_weight)
        self._add(s, np.where(t, w, 0.0), np.where(t, 0.0, w))

    def _add(self, scores, pos, neg):
        merged, index = np.unique(np.concatenate([self._scores, scores]), return_inverse=True)
        self._pos = np.bincount(index, np.concatenate([self._pos, pos]), merged.size)
        self._neg = np.bincount(index, np.concatenate([self._neg, neg]), merged.size)
        self._scores = merged

    def merge(self, other):
        """Add ``other``'s tallies to this accumulator; returns it."""
        if not isinstance(other, RankingStats):
            raise TypeError(f"other must be a RankingStats, got {type(other).__name__}")
        self._add(other._scores, other._pos, other._neg)
        return self

    @property
    def n_values(self):
        """The number of distinct scores held (the memory used grows with it)."""
        return self._scores.size


class BinnedRankingStats(_Tallies):
    """Streaming ranking metrics of a binary target in constant memory: positive and negative
    weight per score bin.

    ``bins`` equal bins between ``low`` and ``high`` (scores outside go to the end bins).
    Samples in one bin count as tied: the ROC AUC is within :meth:`auc_error_bound` of the
    exact value of the same data (tested). Batches may be dask arrays. Accumulators of the same
    bins :meth:`merge`.

    Parameters
    ----------
    bins : int, default 1000
    low, high : float, default 0.0 and 1.0
        The range the bins cover (probabilities by default).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.metrics import BinnedRankingStats, roc_auc_score
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 100_000)
    >>> s = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.2, y.size), 0, 1)
    >>> stats = BinnedRankingStats(bins=1000)
    >>> stats.update(y, s)
    >>> exact = roc_auc_score(y, s)
    >>> bool(abs(stats.roc_auc_score() - exact) <= stats.auc_error_bound())
    True
    """

    def __init__(self, bins=1000, low=0.0, high=1.0):
        if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
            raise ValueError(f"bins must be a positive int, got {bins!r}")
        fits_in_memory(16 * int(bins), "bins", f"{bins} bins")  # two float64 tallies per bin
        low, high = real(low, "low"), real(high, "high")
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"need finite low < high, got low={low}, high={high}")
        self.bins, self.low, self.high = int(bins), low, high
        self._pos = np.zeros(self.bins)
        self._neg = np.zeros(self.bins)

    def _values(self):
        """Each bin's lower edge: the bins' scores, ordered as the bins are."""
        return self.low + (self.high - self.low) * np.arange(self.bins) / self.bins

    def update(self, y_true, y_score, sample_weight=None):
        """Add a batch: binary labels (0/1 or bool), finite scores, non-negative weights."""
        if _lazy.any_dask(y_true, y_score, sample_weight):
            bins = (self.bins, self.low, self.high)
            empty = lambda: BinnedRankingStats(*bins)  # noqa: E731
            self.merge(_chunks_merged(empty, y_true, y_score, sample_weight))
            return
        t, s, w = _binary_batch(y_true, y_score, sample_weight)
        index = np.floor((s - self.low) / (self.high - self.low) * self.bins)
        index = np.clip(index, 0, self.bins - 1).astype(np.intp)
        self._pos += np.bincount(index[t], w[t], self.bins)
        self._neg += np.bincount(index[~t], w[~t], self.bins)

    def merge(self, other):
        """Add ``other``'s tallies (the same bins) to this accumulator; returns it."""
        if not isinstance(other, BinnedRankingStats):
            raise TypeError(f"other must be a BinnedRankingStats, got {type(other).__name__}")
        if (other.bins, other.low, other.high) != (self.bins, self.low, self.high):
            raise ValueError("other must have the same bins, low and high to be merged")
        self._pos += other._pos
        self._neg += other._neg
        return self

    def auc_error_bound(self):
        """The largest possible gap between :meth:`roc_auc_score` and the exact ROC AUC of the
        same samples: half the weight of the (positive, negative) pairs that share a bin (each
        counted as half ordered, truly ordered either way or tied), over all pairs' weight."""
        pos, neg = self._pos.sum(), self._neg.sum()
        if not (pos > 0 and neg > 0):
            raise ValueError("the bound needs positive and negative samples")
        # each side scaled to sum 1 first: the product of the sums can underflow to 0 (weights
        # of 1e-187) or overflow to inf
        return float(0.5 * ((self._pos / pos) * (self._neg / neg)).sum())
