"""Streaming metrics: accumulate counts and moments over batches, merge partial results.

:class:`ConfusionMatrix` keeps the confusion matrix over the labels met so far (or a fixed label
set) and computes every classification metric from it; :class:`RegressionStats` keeps the
mergeable moments of :mod:`fastinit.kernels.moments` (Chan's pairwise update) and computes the
regression metrics that are functions of them. Streaming then equals one-shot: the metrics of
the concatenated batches. Every update validates the whole batch before touching the state, so
a failed update leaves the accumulated state unchanged.
"""

import numpy as np

from .._checks import positive_int
from . import _lazy, _precision_recall, _report, classification
from ._averaging import check_bool
from ._counts import Counts, build, positions
from ._exceptions import ZeroWeightsError
from ._inputs import check_finite_targets, common_integers, label_kind, regression_targets
from ._moments import (
    check_multioutput,
    column_moments,
    explained_variance_from,
    mean_error_from,
    merge_stats,
    r2_from,
)
from ._stream_inputs import check_label_count, count_matrix, fixed_labels, state_fits

__all__ = ["ConfusionMatrix", "RegressionStats"]


class ConfusionMatrix:
    """Confusion matrix accumulated over batches, with every classification metric as a method.

    Parameters
    ----------
    num_classes : int, optional
        Labels are the integers ``0 .. num_classes - 1``; others are rejected by ``update``.
    labels : array-like, optional
        The fixed label set (any sortable values); others are rejected by ``update``.
        With neither, the label set grows with the data (like scikit-learn's present labels).

    A batch may be dask arrays (counted chunk by chunk); :meth:`from_matrix` takes a matrix
    counted elsewhere; accumulators pickle and merge across processes.

    Examples
    --------
    >>> from fastinit.metrics import ConfusionMatrix, f1_score
    >>> cm = ConfusionMatrix(num_classes=3)
    >>> cm.update([0, 1, 2], [0, 2, 2])
    >>> cm.update([1, 1], [1, 0])
    >>> cm.matrix
    array([[1, 0, 0],
           [1, 1, 1],
           [0, 0, 1]])
    >>> cm.f1_score(average="macro") == f1_score([0, 1, 2, 1, 1], [0, 2, 2, 1, 0], average="macro")
    True
    """

    def __init__(self, num_classes=None, labels=None):
        if num_classes is not None and labels is not None:
            raise ValueError("pass num_classes or labels, not both")
        self._fixed = None
        if num_classes is not None:
            k = positive_int(num_classes, "num_classes")
            state_fits(k, "num_classes")
            self._fixed = np.arange(k)
        elif labels is not None:
            self._fixed = fixed_labels(labels)
        self._num_classes = num_classes
        classes = np.empty(0, np.int64) if self._fixed is None else np.sort(self._fixed)
        self._classes = classes
        self._cm = np.zeros((len(classes), len(classes)), np.int64)
        self._in_true = np.zeros(len(classes), bool)
        self._in_pred = np.zeros(len(classes), bool)
        self._true_sum = np.zeros(len(classes), np.int64)
        self._pred_sum = np.zeros(len(classes), np.int64)
        # whether some sample so far had a non-zero weight: the metrics of all-zero weights are
        # refused, as by the one-shot functions, but a zero-weight batch alone is not an error
        self._weighted = False

    # ------------------------------------------------------------------------- updates ---

    def _union(self, classes, name):
        """The sorted union of the state's labels and ``classes``, exact for any dtypes."""
        old = self._classes
        if not len(old):
            return classes
        kinds = label_kind(old), label_kind(classes)
        if None not in kinds and kinds[0] != kinds[1]:
            raise ValueError(
                f"{name} hold {kinds[1]} labels but the labels counted so far are "
                f"{kinds[0]}s: mix of label input types (string and number)"
            )
        if old.dtype.kind in "biu" and classes.dtype.kind in "biu":
            old, classes = common_integers(old, classes)  # never through float64
        try:
            return np.union1d(old, classes)
        except TypeError:  # e.g. bytes and str labels, which NumPy does not compare
            raise ValueError(
                f"{name} hold labels of type {classes.dtype}, which cannot be compared with the "
                f"labels counted so far ({old.dtype}): mix of label input types"
            ) from None

    def _embed(self, classes, cm, in_true, in_pred, true_sum, pred_sum, name):
        """Add counts over ``classes`` into the state (growing the label set when free).

        Everything is computed first and assigned at the end: a refusal changes nothing.
        """
        union = self._union(classes, name) if self._fixed is None else self._classes
        pos_old = positions(union, self._classes)
        pos_new = positions(union, classes)
        dtype = np.result_type(self._cm.dtype, cm.dtype)
        k = len(union)
        out = np.zeros((k, k), dtype)
        out[np.ix_(pos_old, pos_old)] = self._cm
        out[np.ix_(pos_new, pos_new)] += cm
        vecs = []
        for old, new in ((self._in_true, in_true), (self._in_pred, in_pred)):
            v = np.zeros(k, bool)
            v[pos_old] = old
            v[pos_new] |= new
            vecs.append(v)
        for old, new in ((self._true_sum, true_sum), (self._pred_sum, pred_sum)):
            v = np.zeros(k, np.result_type(old.dtype, new.dtype))
            v[pos_old] = old
            v[pos_new] += new
            vecs.append(v)
        self._classes, self._cm = union, out
        self._in_true, self._in_pred, self._true_sum, self._pred_sum = vecs

    def _check_known(self, classes, name):
        if self._fixed is None:
            return
        unknown = positions(self._classes, classes) < 0
        if unknown.any():
            bad = classes[unknown][:5]
            if self._num_classes is not None:
                raise ValueError(f"{name} contain labels outside [0, {self._num_classes}): {bad}")
            raise ValueError(f"{name} contain labels not in `labels`: {bad}")

    def update(self, y_true, y_pred, sample_weight=None):
        """Add a batch of labels (optionally weighted); all-or-nothing.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n_samples,)
            Labels of the same type as those counted so far (numbers or strings, not both).
            Dask arrays are counted chunk by chunk.
        sample_weight : array-like of shape (n_samples,), optional
            A batch of zero weights is accepted; the metrics are refused while every weight
            so far is zero (as the one-shot functions refuse all-zero weights).
        """
        if _lazy.any_dask(y_true, y_pred, sample_weight):
            self._absorb(_lazy.confusion_state(y_true, y_pred, sample_weight), "y_true/y_pred")
            return
        self._update(y_true, y_pred, sample_weight)

    def _update(self, y_true, y_pred, sample_weight, names=("y_true", "y_pred")):
        counts = build(y_true, y_pred, sample_weight, names=names, zero_ok=True)
        if counts.multilabel:
            raise ValueError(
                f"{names[0]} and {names[1]} are label indicator matrices; ConfusionMatrix "
                "accumulates 1-d labels"
            )
        names = "/".join(names)
        self._check_known(counts.classes, names)
        tp, pred, true = counts.label_sums()
        weighted = sample_weight is None or bool(np.any(np.asarray(sample_weight) != 0))
        self._embed(counts.classes, counts.cm, counts.in_true, counts.in_pred, true, pred, names)
        self._weighted |= weighted

    def merge(self, other):
        """Add the counts of another :class:`ConfusionMatrix` (returns ``self``)."""
        if not isinstance(other, ConfusionMatrix):
            raise TypeError(f"other must be a ConfusionMatrix, got {type(other).__name__}")
        return self._absorb(other, "other")

    def _absorb(self, other, name):
        present = other._in_true | other._in_pred
        if not present.any():
            return self  # nothing counted: nothing to add (whatever its label type)
        classes = other._classes[present]
        self._check_known(classes, name)
        self._embed(
            classes,
            other._cm[np.ix_(present, present)],
            other._in_true[present],
            other._in_pred[present],
            other._true_sum[present],
            other._pred_sum[present],
            name,
        )
        self._weighted |= other._weighted
        return self

    @classmethod
    def from_matrix(cls, matrix, labels=None):
        """An accumulator holding a confusion matrix counted elsewhere (by
        :func:`fastinit.dask.confusion_matrix`, a job summing per-worker matrices ...).

        Parameters
        ----------
        matrix : array-like of shape (K, K)
            ``matrix[i, j]``: the number (or weight) of samples of true class ``labels[i]``
            predicted as ``labels[j]``. Integers, or floats for weighted counts; non-negative
            and finite.
        labels : array-like of shape (K,), optional
            The class of each row and column (unique numbers or strings); default ``0 .. K-1``.
            They become the accumulator's fixed label set, so :attr:`matrix` returns the
            counts in this order and later updates may use these labels only.

        Returns
        -------
        ConfusionMatrix

        Notes
        -----
        A class is present in ``y_true`` (``y_pred``) when its row (column) sum is not zero, so
        the metrics equal the one-shot ones unless a class had only zero-weight samples.

        Examples
        --------
        >>> from fastinit.metrics import ConfusionMatrix, confusion_matrix, f1_score
        >>> t, p = ["a", "b", "b", "c"], ["a", "b", "c", "c"]
        >>> cm = ConfusionMatrix.from_matrix(confusion_matrix(t, p), labels=["a", "b", "c"])
        >>> cm.f1_score(average="macro") == f1_score(t, p, average="macro")
        True
        >>> ConfusionMatrix.from_matrix([[3, 1], [0, 2]]).recall_score()
        1.0
        """
        m = count_matrix(matrix)
        k = m.shape[0]
        out = cls(num_classes=k) if labels is None else cls(labels=labels)
        check_label_count(len(out._fixed), k)
        order = np.argsort(out._fixed, kind="stable")  # the state keeps its classes sorted
        m = m[np.ix_(order, order)]
        rows, cols = m.sum(axis=1), m.sum(axis=0)
        out._embed(out._classes, m, rows != 0, cols != 0, rows, cols, "matrix")
        out._weighted = bool(m.any())
        return out

    # ----------------------------------------------------------------------- results ---

    @property
    def classes(self):
        """The labels of :attr:`matrix`'s rows and columns."""
        return self._classes if self._fixed is None else self._fixed

    @property
    def matrix(self):
        """The accumulated confusion matrix over :attr:`classes` (a copy)."""
        if self._fixed is None:
            return self._cm.copy()
        pos = positions(self._classes, self._fixed)
        return self._cm[np.ix_(pos, pos)]

    def counts(self):
        """The state as the counts object the metric functions take."""
        present = self._in_true | self._in_pred
        if not present.any():
            raise ValueError("no samples yet: call update() first")
        if not self._weighted:
            raise ZeroWeightsError(
                "sample_weight must contain at least one non-zero number: every weight given "
                "to update() so far is 0"
            )
        idx = np.flatnonzero(present)
        sums = (None, None)
        if self._cm.dtype.kind == "f":
            sums = (self._true_sum[idx], self._pred_sum[idx])
        return Counts(
            self._cm[np.ix_(idx, idx)],
            self._classes[idx],
            self._in_true[idx],
            self._in_pred[idx],
            *sums,
        )

    def confusion_matrix(self, *, labels=None, normalize=None):
        """:func:`fastinit.metrics.confusion_matrix` of every batch so far."""
        return classification.confusion_from(self.counts(), labels, normalize)

    def multilabel_confusion_matrix(self, *, labels=None):
        """:func:`fastinit.metrics.multilabel_confusion_matrix` of every batch so far."""
        return classification.multilabel_from(self.counts(), labels)

    def accuracy_score(self, *, normalize=True):
        """:func:`fastinit.metrics.accuracy_score` of every batch so far."""
        return classification.accuracy_from(self.counts(), normalize)

    def balanced_accuracy_score(self, *, adjusted=False):
        """:func:`fastinit.metrics.balanced_accuracy_score` of every batch so far."""
        return classification.balanced_from(self.counts(), adjusted)

    def precision_recall_fscore_support(self, **kwargs):
        """:func:`fastinit.metrics.precision_recall_fscore_support` of every batch so far
        (``average`` defaults to None, per-class results)."""
        kwargs.setdefault("average", None)
        return _precision_recall.prfs_from(self.counts(), **kwargs)

    def _score(self, metric, beta, labels, pos_label, average, zero_division):
        counts = self.counts()
        return _precision_recall.one_score(
            counts, metric, beta, labels, pos_label, average, zero_division
        )

    def precision_score(self, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
        """:func:`fastinit.metrics.precision_score` of every batch so far."""
        return self._score("precision", 1.0, labels, pos_label, average, zero_division)

    def recall_score(self, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
        """:func:`fastinit.metrics.recall_score` of every batch so far."""
        return self._score("recall", 1.0, labels, pos_label, average, zero_division)

    def f1_score(self, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
        """:func:`fastinit.metrics.f1_score` of every batch so far."""
        return self._score("f-score", 1.0, labels, pos_label, average, zero_division)

    def fbeta_score(
        self, *, beta, labels=None, pos_label=1, average="binary", zero_division="warn"
    ):
        """:func:`fastinit.metrics.fbeta_score` of every batch so far."""
        return self._score("f-score", beta, labels, pos_label, average, zero_division)

    def jaccard_score(self, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
        """:func:`fastinit.metrics.jaccard_score` of every batch so far."""
        return _precision_recall.jaccard_from(
            self.counts(),
            labels=labels,
            pos_label=pos_label,
            average=average,
            zero_division=zero_division,
        )

    def matthews_corrcoef(self):
        """:func:`fastinit.metrics.matthews_corrcoef` of every batch so far."""
        return classification.matthews_from(self.counts())

    def cohen_kappa_score(self, *, labels=None, weights=None, replace_undefined_by=np.nan):
        """:func:`fastinit.metrics.cohen_kappa_score` of every batch so far."""
        return classification.kappa_from(self.counts(), labels, weights, replace_undefined_by)

    def hamming_loss(self):
        """:func:`fastinit.metrics.hamming_loss` of every batch so far."""
        return classification.hamming_from(self.counts())

    def zero_one_loss(self, *, normalize=True):
        """:func:`fastinit.metrics.zero_one_loss` of every batch so far."""
        c = self.counts()
        normalize = check_bool(normalize, "normalize")
        if not normalize and c.cm.dtype.kind == "f":
            return np.float64(c.total() - classification.accuracy_from(c, False))
        return classification.zero_one_from(c, normalize)

    def classification_report(self, **kwargs):
        """:func:`fastinit.metrics.classification_report` of every batch so far."""
        return _report.report_from(self.counts(), **kwargs)


class RegressionStats:
    """Mergeable regression moments over batches (exact for targets with a large mean).

    Batches may be dask arrays (reduced chunk by chunk); :func:`fastinit.dask.regression_stats`
    returns one of these for whole dask arrays. Accumulators pickle and :meth:`merge`, which is
    how partial results from other processes are combined: the moments themselves are an
    internal layout, not an interchange format.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.metrics import RegressionStats, r2_score
    >>> rng = np.random.default_rng(0)
    >>> t = 1e6 + rng.normal(size=1000)
    >>> p = t + 0.1 * rng.normal(size=1000)
    >>> stats = RegressionStats()
    >>> for i in range(0, 1000, 300):
    ...     stats.update(t[i : i + 300], p[i : i + 300])
    >>> bool(np.isclose(stats.r2_score(), r2_score(t, p), rtol=1e-12))
    True
    """

    def __init__(self):
        self._stats = None
        self._n = 0
        self._weighted = False  # some sample had a non-zero weight (see ConfusionMatrix)

    @property
    def n_samples(self):
        """Number of samples seen."""
        return self._n

    def update(self, y_true, y_pred, sample_weight=None):
        """Add a batch (shape (n,) or (n, n_outputs)); all-or-nothing.

        A batch of zero weights is accepted; the metrics are refused while every weight so far
        is zero (as the one-shot functions refuse all-zero weights).
        """
        from ..kernels import moments

        if _lazy.any_dask(y_true, y_pred, sample_weight):
            other = _lazy.regression_state(y_true, y_pred, sample_weight)
            self._check_outputs(other._stats.shape[0])
            self.merge(other)
            return
        yt, yp, w = regression_targets(y_true, y_pred, sample_weight, zero_ok=True)
        self._check_outputs(yt.shape[1])
        stats = column_moments(yt, yp, w, moments.FULL)
        if not np.isfinite(stats).all():
            check_finite_targets(yt, yp)
        self._stats = stats if self._stats is None else merge_stats(self._stats, stats)
        self._n += len(yt)
        self._weighted |= w is None or bool(w.any())

    def _check_outputs(self, k):
        if self._stats is not None and k != self._stats.shape[0]:
            raise ValueError(
                f"y_true has {k} outputs, the accumulated stats {self._stats.shape[0]}"
            )

    def merge(self, other):
        """Add another :class:`RegressionStats` (returns ``self``)."""
        if not isinstance(other, RegressionStats):
            raise TypeError(f"other must be a RegressionStats, got {type(other).__name__}")
        if other._stats is None:
            return self
        if self._stats is not None and other._stats.shape != self._stats.shape:
            raise ValueError(
                f"other has {other._stats.shape[0]} outputs, the accumulated stats "
                f"{self._stats.shape[0]}: cannot merge stats with different numbers of outputs"
            )
        self._stats = (
            other._stats.copy() if self._stats is None else merge_stats(self._stats, other._stats)
        )
        self._n += other._n
        self._weighted |= other._weighted
        return self

    def _get(self, multioutput, allow_variance=False, single=False):
        if self._stats is None:
            raise ValueError("no samples yet: call update() first")
        if not self._weighted:
            raise ZeroWeightsError(
                "sample_weight must contain at least one non-zero number: every weight given "
                "to update() so far is 0"
            )
        k = self._stats.shape[0]
        return self._stats, check_multioutput(multioutput, k, allow_variance, single=single)

    def _mean_error(self, column, multioutput, root=False):
        stats, mo = self._get(multioutput, single=root)  # root: as root_mean_squared_error
        return mean_error_from(stats, column, mo, root=root)

    def mean_squared_error(self, *, multioutput="uniform_average"):
        """:func:`fastinit.metrics.mean_squared_error` of every batch so far."""
        from ..kernels import moments

        return self._mean_error(moments.SSE, multioutput)

    def root_mean_squared_error(self, *, multioutput="uniform_average"):
        """:func:`fastinit.metrics.root_mean_squared_error` of every batch so far."""
        from ..kernels import moments

        return self._mean_error(moments.SSE, multioutput, root=True)

    def mean_absolute_error(self, *, multioutput="uniform_average"):
        """:func:`fastinit.metrics.mean_absolute_error` of every batch so far."""
        from ..kernels import moments

        return self._mean_error(moments.SAE, multioutput)

    def mean_absolute_percentage_error(self, *, multioutput="uniform_average"):
        """:func:`fastinit.metrics.mean_absolute_percentage_error` of every batch so far."""
        from ..kernels import moments

        return self._mean_error(moments.SAPE, multioutput)

    def max_error(self):
        """:func:`fastinit.metrics.max_error` of every batch so far."""
        from ..kernels import moments

        stats, _ = self._get("uniform_average")
        if stats.shape[0] != 1:
            raise ValueError(
                f"y_true had {stats.shape[0]} outputs in update(): Multioutput not supported "
                "in max_error"
            )
        return float(stats[0, moments.MAX_E])

    def r2_score(self, *, multioutput="uniform_average", force_finite=True):
        """:func:`fastinit.metrics.r2_score` of every batch so far."""
        stats, mo = self._get(multioutput, True)
        return r2_from(stats, self._n, mo, force_finite)

    def explained_variance_score(self, *, multioutput="uniform_average", force_finite=True):
        """:func:`fastinit.metrics.explained_variance_score` of every batch so far."""
        stats, mo = self._get(multioutput, True)
        return explained_variance_from(stats, mo, force_finite)
