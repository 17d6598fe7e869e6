"""From raw label arrays to the counts every classification metric is computed from.

Integer labels go straight into the counting kernel (no temporary of the input's size); bool
labels are viewed as uint8; float labels must be integral and finite and are remapped with
``np.unique``, and so are strings and other hashables (never a Python loop over samples).

The result is a :class:`Counts` object: the confusion matrix over the labels present in
``y_true`` or ``y_pred`` (sorted, as scikit-learn's ``unique_labels``), which labels occur in
``y_true``, and the target type. Multilabel indicator input gives a :class:`MultilabelCounts`.
The input checks are in :mod:`._inputs`; how the count is split into parts and threads, in
:mod:`._parallel`.
"""

import numbers

import numpy as np

from . import _parallel
from ._inputs import (
    as_weights,
    check_length,
    check_not_empty,
    common_integers,
    label_array,
    pair_error,
    target_kind,
)
from ._lazy import any_dask
from ._parallel import count_parts, thread_parts

_MAX_WINDOW_CELLS = 1 << 26  # cap on (parts * R * R) counters for the dense integer window
_MAX_BINS = 0xFFFFFFFF  # the kernels number the R * R + R cells of a table with uint32
MAX_CLASSES = 65_535  # the largest R with R * R + R <= _MAX_BINS
_NUMPY_SUM_MAX_CELLS = 1 << 16  # tables up to this size are summed by NumPy (no compile)


def count_window(t, p, w, lo, R):
    """Run the counting kernel once over ``[lo, lo + R)``.

    Returns (counts (R, R) int64/float64, pairs outside the window (they are not counted),
    weighted margins or None, (row sums, column sums) of the counts).
    """
    from .. import _threads
    from ..kernels import confusion

    n = t.size
    if R * R + R > _MAX_BINS:
        raise ValueError(
            f"y_true and y_pred hold {R} classes, too many for a dense confusion matrix "
            f"(at most {MAX_CLASSES:,})"
        )
    parts = count_parts(n, R)
    dtype = np.int32 if w is None else (np.int64 if w.dtype.kind in "iu" else np.float64)
    # each part's counts start a cache line of their own, with one spare line between parts:
    # adjacent buffers sharing a line made two threads slower than one at 10 classes (measured
    # 14.9 vs 11.5 ms for 10^7 labels), the line bouncing between the cores
    per_line = 64 // np.dtype(dtype).itemsize
    stride = -(-(R * R + R) // per_line) * per_line + per_line  # R * R + R: see the kernels
    buf = np.empty((parts, stride), dtype)  # zeroed in the kernel, by each counting thread
    outside = np.zeros(parts, np.int64)
    threads = thread_parts(n, _parallel.COUNT_MIN_PART)
    lo, R = np.int64(lo), np.int64(R)
    if w is None:
        margins = None
        _threads.run(confusion.count_unweighted, parts, t, p, lo, R, buf, outside, threads=threads)
    else:
        rows = np.empty((parts, R), dtype)
        cols = np.empty((parts, R), dtype)
        _threads.run(
            confusion.count_weighted, parts, t, p, w, lo, R, buf, outside, rows, cols,
            threads=threads,
        )  # fmt: skip
        margins = np.stack([rows.sum(axis=0), cols.sum(axis=0)])  # in part order
    acc = np.int64 if dtype != np.float64 else np.float64
    cells = int(R * R)
    if cells <= _NUMPY_SUM_MAX_CELLS:
        # small tables: NumPy adds the parts in part order, like sum_parts (which then need not
        # be compiled: about 1.5 s of a first call)
        counts = buf[:, :cells].sum(axis=0, dtype=acc).reshape(int(R), int(R))
        sums = np.stack([counts.sum(axis=1), counts.sum(axis=0)])
    else:
        counts = np.empty(cells, acc)
        sums = np.empty((2, R), acc)
        confusion.sum_parts(buf, counts, sums[0], sums[1])
        counts = counts.reshape(int(R), int(R))
    return counts, int(outside.sum()), margins, sums


def _count_integers(t, p, w):
    """(lo, dense counts over [lo, lo + R)) or None when the label range is too wide."""
    n = t.size
    step = max(1, n // 4096)
    lo = int(min(t[::step].min(), p[::step].min()))
    hi = int(max(t[::step].max(), p[::step].max()))
    for _ in range(2):
        R = hi - lo + 1
        if R * R > 16 * n + 4096 or R * R > _MAX_WINDOW_CELLS // count_parts(n, R):
            return None
        counts, outside, margins, sums = count_window(t, p, w, lo, R)
        if not outside:
            return lo, counts, margins, sums
        # rare (a wrong guess, e.g. sorted labels): a second read for the exact label range, by
        # NumPy (a compiled min/max pass is faster but costs its compile on every first call)
        lo = int(min(t.min(), p.min()))
        hi = int(max(t.max(), p.max()))
    raise AssertionError("the exact label range must contain every label")  # pragma: no cover


class Counts:
    """Confusion matrix over the present labels, plus what the metrics need to know.

    ``cm[i, j]`` is the (weighted) number of samples with true label ``classes[i]`` and
    predicted label ``classes[j]``; ``in_true`` marks the classes that occur in ``y_true``.
    """

    multilabel = False

    def __init__(self, cm, classes, in_true, in_pred, true_sum=None, pred_sum=None):
        self.cm = cm
        # weighted per-class totals summed in sample order (None: the margins of cm)
        self.true_sum = true_sum
        self.pred_sum = pred_sum
        self.classes = classes
        self.in_true = in_true
        self.in_pred = in_pred

    @property
    def y_type(self):
        return "binary" if len(self.classes) <= 2 else "multiclass"

    def positions(self, labels):
        """Index of each of ``labels`` in ``classes`` (-1 when absent)."""
        return positions(self.classes, labels)

    def label_sums(self, labels=None):
        """(tp, pred_sum, true_sum) per label (every label given, absent ones are 0)."""
        cm = self.cm
        tp = np.diagonal(cm).copy()
        pred = cm.sum(axis=0) if self.pred_sum is None else self.pred_sum
        true = cm.sum(axis=1) if self.true_sum is None else self.true_sum
        if labels is None:
            return tp, pred, true
        pos = self.positions(labels)
        ok = pos >= 0
        out = []
        for v in (tp, pred, true):
            r = np.zeros(len(pos), v.dtype)
            r[ok] = v[pos[ok]]
            out.append(r)
        return tuple(out)

    def total(self):
        return self.cm.sum()


class MultilabelCounts:
    """Label indicator matrices (n_samples, n_labels) as 0/1 int8, plus weights."""

    multilabel = True
    y_type = "multilabel-indicator"

    def __init__(self, y_true, y_pred, sample_weight, values=None):
        self.y_true = y_true
        self.y_pred = y_pred
        self.sample_weight = sample_weight
        self.classes = np.arange(y_true.shape[1])
        # the matrices as given: accuracy and hamming loss compare their values (as scikit-learn
        # does, for indicators of other values than 0/1), the other metrics count nonzero ones
        self.values = (y_true, y_pred) if values is None else values

    def label_sums(self, labels=None, samplewise=False):
        yt, yp = self.y_true, self.y_pred
        if labels is not None:
            labels = np.asarray(labels)
            if labels.dtype.kind not in "biu" or labels.dtype.kind == "b":
                raise ValueError(
                    f"labels must be column indices in [0, {yt.shape[1]}) for multilabel "
                    f"targets, got {labels}"
                )
            # scikit-learn's words (the greatest label first)
            bounds = "All labels must be in [0, n labels) for multilabel targets."
            if labels.size and labels.max() >= yt.shape[1]:
                raise ValueError(f"{bounds} Got {labels.max()} > {yt.shape[1] - 1} (labels)")
            if labels.size and labels.min() < 0:
                raise ValueError(f"{bounds} Got {labels.min()} < 0 (labels)")
            yt, yp = yt[:, labels], yp[:, labels]
        both = yt & yp
        w = self.sample_weight
        if samplewise:
            return both.sum(axis=1), yp.sum(axis=1), yt.sum(axis=1)
        if w is None:
            return both.sum(axis=0), yp.sum(axis=0), yt.sum(axis=0)
        return w @ both, w @ yp, w @ yt

    def n_labels(self, labels=None):
        return self.y_true.shape[1] if labels is None else len(labels)


def positions(classes, labels):
    """Index of each label in sorted ``classes``, -1 where absent (int64 array)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        labels = labels.reshape(-1)
    out = np.full(labels.shape, -1, np.int64)
    if len(classes) == 0 or labels.size == 0:
        return out
    numeric = {"b", "i", "u", "f"}
    if (classes.dtype.kind in numeric) != (labels.dtype.kind in numeric) and "O" not in (
        classes.dtype.kind,
        labels.dtype.kind,
    ):
        return out
    if classes.dtype.kind in "biu" and labels.dtype.kind in "biu":
        classes, labels = common_integers(classes, labels)  # exact, never through float64
    try:
        pos = np.searchsorted(classes, labels)
    except TypeError:
        return out
    pos = np.minimum(pos, len(classes) - 1)
    found = classes[pos] == labels
    out[found] = pos[found]
    return out


def _mixed_error(yt, yp, names):
    """scikit-learn's refusal of string labels beside numbers (computed on this path only)."""
    return ValueError(
        f"Mix of label input types (string and number); Got {np.unique(yt)} and "
        f"{np.unique(yp)}. ({names[0]} and {names[1]}: class labels must be all strings or all "
        "numbers)"
    )


def _encode(yt, yp, names):
    """np.unique remap of non-integer labels: (classes, codes_true, codes_pred)."""
    if yt.dtype.kind in "biu" and yp.dtype.kind in "biu":
        yt, yp = common_integers(yt, yp)  # int8 with uint64 would meet in float64
    both = np.concatenate([yt, yp])
    try:
        classes, codes = np.unique(both, return_inverse=True)
    except TypeError:
        raise _mixed_error(yt, yp, names) from None
    if classes.dtype.kind == "O":
        kinds = {isinstance(c, str) for c in classes}
        if len(kinds) > 1:
            raise _mixed_error(yt, yp, names)
        if not kinds.pop():
            nums = [isinstance(c, numbers.Number) for c in classes]
            if not all(nums):
                raise TypeError("y_true and y_pred labels must be numbers or strings")
            if any(isinstance(c, float) and not float(c).is_integer() for c in classes):
                raise ValueError("y_true or y_pred contains non-integral float labels")
    codes = codes.reshape(-1).astype(np.int64)
    return classes, codes[: len(yt)], codes[len(yt) :]


def build(y_true, y_pred, sample_weight=None, *, names=("y_true", "y_pred"), zero_ok=False):
    """Validate a (y_true, y_pred[, sample_weight]) triple and count it (``zero_ok``: see
    :func:`._inputs.as_weights`); dask arrays are counted chunk by chunk (:mod:`._lazy`)."""
    if any_dask(y_true, y_pred, sample_weight):
        from ._lazy import label_counts

        return label_counts(y_true, y_pred, sample_weight, names=names, zero_ok=zero_ok)
    yt = label_array(y_true, names[0])
    yp = label_array(y_pred, names[1])
    check_length(names[0], yt, names[1], yp)
    check_not_empty(len(yt), names)
    pair = (yt, yp, names)
    kt, kp = target_kind(yt, names[0], pair), target_kind(yp, names[1], pair)
    w = as_weights(sample_weight, len(yt), zero_ok=zero_ok)
    if (kt == "multilabel-indicator") != (kp == "multilabel-indicator"):
        raise pair_error(pair)
    if kt == "multilabel-indicator":
        if yt.shape[1] != yp.shape[1]:
            raise ValueError(
                "Multi-label binary indicator input with different numbers of labels "
                f"({names[0]} has {yt.shape[1]}, {names[1]} {yp.shape[1]})"
            )
        masks = [(y != 0).view(np.int8) for y in (yt, yp)]
        return MultilabelCounts(*masks, w, values=(yt, yp))
    yt, yp = yt.reshape(-1), yp.reshape(-1)
    if {kt, kp} == {"numeric", "string"}:
        raise _mixed_error(yt, yp, names)
    return _count_1d(yt, yp, w, kt, kp, names)


def _count_1d(yt, yp, w, kt, kp, names):
    c = _count_labels(yt, yp, w, kt, kp, names)
    # scikit-learn's unique_labels keeps the first of equal labels, and y_true comes first: the
    # classes are of y_true's dtype when it has them all (int, not float, report names)
    if c.classes.dtype != yt.dtype and yt.dtype.kind in "biu" and c.in_true.all():
        c.classes = c.classes.astype(yt.dtype)
    return c


def _count_labels(yt, yp, w, kt, kp, names):
    if kt == kp == "numeric" and yt.dtype.kind in "biu" and yp.dtype.kind in "biu":
        out_dtype = np.result_type(yt.dtype, yp.dtype)
        t = yt.view(np.uint8) if yt.dtype.kind == "b" else yt
        p = yp.view(np.uint8) if yp.dtype.kind == "b" else yp
        dense = None
        if t.dtype != np.uint64 and p.dtype != np.uint64:
            dense = _count_integers(t, p, w)
        if dense is not None:
            lo, full, margins, sums = dense
            return _from_window(full, margins, sums, lo, t, p, w, out_dtype)
    classes, t, p = _encode(yt, yp, names)
    full, _, margins, sums = count_window(t, p, w, 0, len(classes))
    c = _from_window(full, margins, sums, 0, t, p, w, np.int64)
    c.classes = classes  # every class of the remap is present
    return c


def _from_window(full, margins, sums, lo, t, p, w, out_dtype):
    if w is not None and not (w > 0).all():
        # zero/negative weights: a label can occur and still have no weight in its row
        _, _, _, sums = count_window(t, p, None, lo, full.shape[0])
    in_true = sums[0] != 0
    in_pred = sums[1] != 0
    present = in_true | in_pred
    R = full.shape[0]
    if present.all():  # the usual case: no gather of the (R, R) counts
        cm, idx = full, slice(None)
        classes = np.arange(lo, lo + R, dtype=np.int64).astype(out_dtype, copy=False)
    else:
        idx = np.flatnonzero(present)
        cm = full[np.ix_(idx, idx)]
        classes = (idx + lo).astype(out_dtype)
    sums = (None, None) if margins is None else (margins[0][idx], margins[1][idx])
    return Counts(cm, classes, in_true[idx], in_pred[idx], *sums)
