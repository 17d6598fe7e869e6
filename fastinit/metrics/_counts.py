"""From raw label arrays to the counts every classification metric is computed from.

Integer labels go straight into the counting kernel (no temporary of the input's size); bool
labels are viewed as uint8; float labels must be integral and finite and are remapped with
``np.unique``, and so are strings and other hashables (never a Python loop over samples).

The result is a :class:`Counts` object: the confusion matrix over the labels present in
``y_true`` or ``y_pred`` (sorted, as scikit-learn's ``unique_labels``), which labels occur in
``y_true``, and the target type. Multilabel indicator input gives a :class:`MultilabelCounts`.
"""

import numbers

import numpy as np

__all__ = ["UndefinedMetricWarning"]


class UndefinedMetricWarning(UserWarning):
    """A metric is ill-defined (a zero division) and was set by ``zero_division``.

    fastinit's own class (scikit-learn is not a dependency); it plays the role of
    ``sklearn.exceptions.UndefinedMetricWarning`` and subclasses :class:`UserWarning` like it.
    """


# Counting is split into parts, each counted into its own table (one task per part, run on
# fastinit's threads) and summed in part order. The parts depend on the data only (never on the
# thread count), so weighted counts are the same bits for any thread count:
_MIN_PART = 1 << 16  # labels per part at least: below, splitting the work does not pay
_MAX_PARTS = 8  # parts at most (each holds a whole table)
_TABLE_SHARE = 4  # and all tables together hold at most n / 4 cells: zeroing and summing them
# costs a fraction of reading the labels (K=1000, 10^7 labels: 2 parts; K=10: 8)
_MAX_PART = (1 << 31) - 1  # int32 per-part counts cannot overflow below this part length
_MAX_WINDOW_CELLS = 1 << 26  # cap on (parts * R * R) counters for the dense integer window
_MAX_BINS = 0xFFFFFFFF  # the kernels number the R * R + R cells of a table with uint32
_MAX_CLASSES = 65_535  # the largest R with R * R + R <= _MAX_BINS
_NUMPY_SUM_MAX_CELLS = 1 << 16  # tables up to this size are summed by NumPy (no compile)


# ------------------------------------------------------------------------------- inputs ---


def as_array(y, name):
    """``y`` as an ndarray (1-d or 2-d) or a TypeError/ValueError naming ``name``."""
    if y is None:
        raise TypeError(f"{name} must be array-like, got None")
    if hasattr(y, "toarray") and not isinstance(y, np.ndarray):
        y = y.toarray()  # scipy sparse indicator matrices
    try:
        a = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like: {exc}") from None
    if a.ndim == 0:
        raise ValueError(f"{name} must be a 1-d or 2-d array, got a 0-d array (a scalar)")
    if a.ndim > 2:
        raise ValueError(f"{name} must be a 1-d or 2-d array, got {a.ndim}-d shape {a.shape}")
    if a.dtype.kind not in "biufUSO":
        raise TypeError(f"{name} has unsupported dtype {a.dtype}; pass numbers or strings")
    if a.dtype.kind in "iuf" and not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def check_length(name_a, a, name_b, b):
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} have different lengths: {len(a)} != {len(b)}")


class ZeroWeightsError(ValueError, ZeroDivisionError):
    """Every sample weight is zero: a ValueError (as fastinit refuses arguments) that is also the
    ZeroDivisionError scikit-learn's ``top_k_accuracy_score`` raises there (``np.average``)."""


class ComplexWeightsError(TypeError, ValueError):
    """Complex sample weights: a TypeError (a wrong dtype) and the ValueError scikit-learn
    raises for them."""


_INT64_MAX = np.iinfo(np.int64).max


def as_weights(sample_weight, n, name="sample_weight", *, zero_ok=False):
    """Validated 1-d sample weights of length ``n`` (None stays None): int64 or float32/64.

    All-zero weights are refused unless ``zero_ok`` (as scikit-learn's metrics); accumulators
    pass ``zero_ok``: a zero-weight batch is fine when another batch carries weight."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like: {exc}") from None
    if w.ndim == 0:
        w = np.full(n, w)
    # the messages start as scikit-learn's, which its users (and its test suite) match on
    if w.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar: {name} has shape {w.shape}")
    if len(w) != n:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {name} has length "
            f"{len(w)}, expected {n} (the number of samples)"
        )
    if w.dtype.kind == "b":
        w = w.astype(np.int64)
    if w.dtype.kind == "c":
        raise ComplexWeightsError(f"Complex data not supported: {name} has dtype {w.dtype}")
    if w.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got dtype {w.dtype}")
    if w.dtype.kind == "f":
        if w.dtype == np.float16:
            # no kernel is compiled for half weights; float64 holds every float16 exactly
            w = w.astype(np.float64)
        elif not w.dtype.isnative:
            w = w.astype(w.dtype.newbyteorder("="))
        if np.isnan(w).any():
            raise ValueError(f"Input {name} contains NaN.")
        if not np.isfinite(w).all():
            raise ValueError(f"Input {name} contains infinity or a value too large for float64.")
    elif w.dtype.kind == "u" and w.dtype.itemsize == 8 and w.size and w.max() > _INT64_MAX:
        # uint64 weights past int64 would wrap to negative numbers; as floats they keep their
        # value (what NumPy's astype(float64) gives), and the counts become float64
        w = w.astype(np.float64)
    elif w.dtype != np.int64:
        w = w.astype(np.int64)
    if not zero_ok and n and not w.any():
        raise ZeroWeightsError(
            f"{name} must contain at least one non-zero number (every weight is 0)"
        )
    return w


def common_integers(*arrays):
    """Integer (or bool) arrays cast to one dtype that holds all their values exactly.

    NumPy promotes int64 with uint64 (and any signed type with uint64) to float64, which merges
    distinct labels from 2**53 on: int64 when every value fits, else uint64 when none is
    negative, else Python ints (object).
    """
    dt = np.result_type(*arrays)
    if dt.kind != "f":
        return tuple(np.asarray(a, dt) for a in arrays)
    fits = all(a.dtype.kind != "u" or not a.size or a.max() <= _INT64_MAX for a in arrays)
    if fits:
        return tuple(a.astype(np.int64) for a in arrays)
    if all(a.dtype.kind != "i" or not a.size or a.min() >= 0 for a in arrays):
        return tuple(a.astype(np.uint64) for a in arrays)
    return tuple(np.array(a.tolist(), dtype=object) for a in arrays)


def label_kind(a):
    """'number', 'string' or None (empty, or neither) for an array of class labels."""
    if a.size == 0:
        return None
    if a.dtype.kind in "biuf":
        return "number"
    if a.dtype.kind in "US":
        return "string"
    if a.dtype.kind == "O":
        values = a.reshape(-1).tolist()
        if all(isinstance(v, str) for v in values):
            return "string"
        if all(isinstance(v, numbers.Real) for v in values):
            return "number"
    return None


def _is_indicator(a):
    if a.dtype.kind == "b":
        return True
    if a.dtype.kind not in "iuf":
        return False
    return bool(np.isin(a, (0, 1)).all())


def target_kind(a, name):
    """'multilabel-indicator', 'numeric' or 'string' (raises for continuous / multioutput)."""
    if a.ndim == 2 and a.shape[1] != 1:
        if _is_indicator(a):
            return "multilabel-indicator"
        raise ValueError(
            f"{name} is 2-d with {a.shape[1]} columns but is not a 0/1 label indicator "
            "matrix (multiclass-multioutput targets are not supported)"
        )
    if a.dtype.kind == "f":
        finite = np.isfinite(a)
        if not finite.all():
            # scikit-learn's wording (code that matches on it keeps working), naming the input
            bad = "NaN" if np.isnan(a).any() else f"infinity or a value too large for {a.dtype!r}"
            raise ValueError(f"Input {name} contains {bad}; class labels must be finite")
        if not (a == np.round(a)).all():
            raise ValueError(
                f"{name} contains non-integral floats (continuous values); classification "
                "metrics need class labels"
            )
    if a.dtype.kind in "US":
        return "string"
    if a.dtype.kind == "O":
        return "object"
    return "numeric"


# ------------------------------------------------------------------------------ counting ---


def thread_parts(n, min_part=_MIN_PART):
    """How many threads a kernel over ``n`` samples may use (results never depend on it).

    1 below ``2 * min_part`` samples or with one thread (:func:`fastinit.config.use_threads`);
    otherwise :func:`fastinit.config.thread_count`, at most one thread per ``min_part`` samples.
    """
    from .. import config

    if n < 2 * min_part or not config.use_threads(n):
        return 1
    return max(1, min(config.thread_count(), n // min_part))


def count_parts(n, R):
    """Parts of a count of ``n`` labels into an R x R window: a function of the data size only."""
    cells = R * R + R
    parts = min(_MAX_PARTS, n // _MIN_PART, n // (_TABLE_SHARE * cells))
    return max(1, parts, -(-n // _MAX_PART))


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
            f"(at most {_MAX_CLASSES:,})"
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
    threads = thread_parts(n)
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

    def __init__(self, y_true, y_pred, sample_weight):
        self.y_true = y_true
        self.y_pred = y_pred
        self.sample_weight = sample_weight
        self.classes = np.arange(y_true.shape[1])

    def label_sums(self, labels=None, samplewise=False):
        yt, yp = self.y_true, self.y_pred
        if labels is not None:
            labels = np.asarray(labels)
            if labels.dtype.kind not in "biu" or labels.dtype.kind == "b":
                raise ValueError(
                    f"labels must be column indices in [0, {yt.shape[1]}) for multilabel "
                    f"targets, got {labels}"
                )
            if labels.size and (labels.max() >= yt.shape[1] or labels.min() < 0):
                bad = labels.max() if labels.max() >= yt.shape[1] else labels.min()
                raise ValueError(
                    f"labels must be in [0, {yt.shape[1]}) for multilabel targets, got {bad}"
                )
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


def _mixed_error():
    return ValueError("Mix of label input types (string and number) in y_true and y_pred")


def _encode(yt, yp):
    """np.unique remap of non-integer labels: (classes, codes_true, codes_pred)."""
    if yt.dtype.kind in "biu" and yp.dtype.kind in "biu":
        yt, yp = common_integers(yt, yp)  # int8 with uint64 would meet in float64
    both = np.concatenate([yt, yp])
    try:
        classes, codes = np.unique(both, return_inverse=True)
    except TypeError:
        raise _mixed_error() from None
    if classes.dtype.kind == "O":
        kinds = {isinstance(c, str) for c in classes}
        if len(kinds) > 1:
            raise _mixed_error()
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
    :func:`as_weights`)."""
    yt = as_array(y_true, names[0])
    yp = as_array(y_pred, names[1])
    check_length(names[0], yt, names[1], yp)
    if len(yt) == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty; at least 1 sample is required")
    kt, kp = target_kind(yt, names[0]), target_kind(yp, names[1])
    w = as_weights(sample_weight, len(yt), zero_ok=zero_ok)
    if (kt == "multilabel-indicator") != (kp == "multilabel-indicator"):
        raise ValueError(
            f"Classification metrics can't handle a mix of {kt} and {kp} targets "
            f"({names[0]} and {names[1]})"
        )
    if kt == "multilabel-indicator":
        if yt.shape[1] != yp.shape[1]:
            raise ValueError(
                f"{names[0]} and {names[1]} have different numbers of labels: "
                f"{yt.shape[1]} != {yp.shape[1]}"
            )
        return MultilabelCounts((yt != 0).view(np.int8), (yp != 0).view(np.int8), w)
    yt, yp = yt.reshape(-1), yp.reshape(-1)
    if {kt, kp} == {"numeric", "string"}:
        raise _mixed_error()
    return _count_1d(yt, yp, w, kt, kp)


def _count_1d(yt, yp, w, kt, kp):
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
    classes, t, p = _encode(yt, yp)
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
