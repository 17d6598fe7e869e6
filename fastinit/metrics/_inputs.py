"""Checks and normalization of what the metric functions are given: labels, targets, weights.

Each check raises a ValueError or TypeError naming the argument (where scikit-learn has a
wording that code matches on, the message starts with it) and returns arrays the kernels can
take: native byte order, integer labels as they are (bool viewed as uint8), float labels checked
integral and finite, regression targets as float32/float64 of shape (n, k), weights as int64 or
float32/float64.
"""

import numbers

import numpy as np

from ._exceptions import (
    ComplexWeightsError,
    NotNumericError,
    SparseInputError,
    ZeroWeightsError,
)

_INT64_MAX = np.iinfo(np.int64).max
# scikit-learn's words for label sets given as sequences of sequences
_SEQUENCES = (
    "You appear to be using a legacy multi-label data representation. Sequence of sequences "
    "are no longer supported; use a binary array or sparse matrix instead - the "
    "MultiLabelBinarizer transformer can convert to this format."
)
_SEQUENCE = list | tuple | np.ndarray


def array_like(value, name):
    """``np.asarray(value)``, or a TypeError naming ``name`` when NumPy cannot make an array."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like: {exc}") from None


# ------------------------------------------------------------------------- class labels ---


def label_array(y, name):
    """``y`` as an ndarray (1-d or 2-d) or a TypeError/ValueError naming ``name``."""
    if y is None:
        raise TypeError(f"{name} must be array-like, got None")
    if hasattr(y, "toarray") and not isinstance(y, np.ndarray):
        y = y.toarray()  # scipy sparse indicator matrices
    try:
        a = np.asarray(y)
    except ValueError:  # ragged: a sequence of sequences of labels
        raise ValueError(f"{_SEQUENCES} ({name})") from None
    except TypeError as exc:
        raise TypeError(f"{name} must be array-like: {exc}") from None
    if a.dtype.kind == "O" and a.ndim == 1 and any(isinstance(e, _SEQUENCE) for e in a.flat):
        raise ValueError(f"{_SEQUENCES} ({name})")
    if a.ndim == 2 and a.shape[1] == 0:  # [[]]: label sets without any label
        raise ValueError(f"{_SEQUENCES} ({name} has shape {a.shape}: no label columns)")
    check_label_meta(a, name)
    if a.dtype.kind in "iuf" and not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def check_label_meta(a, name):
    """The checks of :func:`label_array` that read only the shape and dtype of ``a`` (an
    ndarray or a dask array: the dask branch refuses the same inputs before reading them)."""
    if a.ndim == 0:
        raise ValueError(f"{name} must be a 1-d or 2-d array, got a 0-d array (a scalar)")
    if a.ndim > 2:
        raise ValueError(f"{name} must be a 1-d or 2-d array, got {a.ndim}-d shape {a.shape}")
    if a.dtype.kind not in "biufUSO":
        raise TypeError(f"{name} has unsupported dtype {a.dtype}; pass numbers or strings")


def check_length(name_a, a, name_b, b):
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} have different lengths: {len(a)} != {len(b)}")


def check_not_empty(n, names=("y_true", "y_pred")):
    if n == 0:  # scikit-learn's wording, which its tests and users' code match on
        raise ValueError(
            f"Found empty input array (e.g., `{names[0]}` or `{names[1]}`) while a minimum of 1 "
            "sample is required."
        )


def refuse_sparse(func, **arrays):
    """scikit-learn's refusal of scipy.sparse matrices where its ``func`` takes dense arrays
    only (its parameter validation, before any other check)."""
    for name, a in arrays.items():
        if type(a).__module__.startswith("scipy.sparse"):
            raise SparseInputError(
                f"The '{name}' parameter of {func} must be an array-like. Got {a!r} instead."
            )


def mix_or_unsupported(kind_true, kind_pred):
    """scikit-learn's words for target types (as ``type_of_target`` names them) that its
    classification metrics refuse: a mix of two types, or one type they do not take."""
    kinds = {kind_true, kind_pred}
    if kinds == {"binary", "multiclass"}:
        kinds = {"multiclass"}
    if len(kinds) > 1:
        return f"Classification metrics can't handle a mix of {kind_true} and {kind_pred} targets"
    return f"{kind_true} is not supported"


def pair_error(pair):
    """The ValueError for targets the classification metrics refuse, in scikit-learn's words
    (:func:`mix_or_unsupported`) and naming the types of both; ``pair``: y_true, y_pred and
    their names. The types are computed on this error path only."""
    from ._rank_inputs import target_type  # (that module imports this one)

    a, b, names = pair
    kinds = [target_type(x, n)[0] for x, n in zip((a, b), names, strict=True)]
    return ValueError(
        f"{mix_or_unsupported(*kinds)} ({names[0]} is {kinds[0]}, {names[1]} is {kinds[1]}; "
        "classification metrics take binary, multiclass or multilabel-indicator targets)"
    )


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


def is_indicator(a):
    """Whether 2-d ``a`` is a label indicator matrix as scikit-learn defines one: bool, or at
    most two distinct integral values (0/1 usually; any nonzero value counts as a label)."""
    if a.dtype.kind == "b":
        return True
    if a.dtype.kind not in "iuf":
        return False
    if np.isin(a, (0, 1)).all():
        return True
    values = np.unique(a)
    return len(values) < 3 and bool(np.isfinite(values).all() and (values == values // 1).all())


def _non_finite(a):
    """scikit-learn's words for what is wrong with a non-finite array (NaN first)."""
    return "NaN" if np.isnan(a).any() else f"infinity or a value too large for {a.dtype!r}"


def check_sortable(a, name):
    """Refuse object labels that are not all strings and cannot be sorted together (str with
    int, a None among numbers), with the TypeError (and Python's message) that scikit-learn's
    sort raises, naming ``name``."""
    if label_kind(a) == "string":
        return
    try:
        np.unique(a)
    except TypeError as exc:
        raise TypeError(
            f"{exc} ({name} must hold class labels that sort together: all numbers or all strings)"
        ) from None


def target_kind(a, name, pair=None):
    """'multilabel-indicator', 'numeric', 'string' or 'object' (strings held as objects).

    Refuses what scikit-learn's classification metrics refuse (continuous or multioutput
    targets, objects other than strings); with ``pair`` (both targets and their names) in its
    words, which name the types of both (:func:`pair_error`)."""
    columns = a.ndim == 2 and a.shape[1] != 1
    if columns and is_indicator(a):
        return "multilabel-indicator"
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            # scikit-learn's wording (code that matches on it keeps working), naming the input
            raise ValueError(f"Input {name} contains {_non_finite(a)}; class labels must be finite")
        if not (a == np.round(a)).all():
            if pair is not None:
                raise pair_error(pair)
            raise ValueError(
                f"{name} contains non-integral floats (continuous values); classification "
                "metrics need class labels"
            )
    if a.dtype.kind == "O":
        if a.size and not isinstance(a.flat[0], str):
            if pair is not None:  # scikit-learn's type "unknown"
                raise pair_error(pair)
            raise ValueError(
                f"{name} holds objects other than strings; pass class labels as a numeric or "
                "string array"
            )
        check_sortable(a, name)
    if columns:
        if pair is not None:
            raise pair_error(pair)
        raise ValueError(
            f"{name} is 2-d with {a.shape[1]} columns but is not a label indicator matrix "
            "(multiclass-multioutput targets are not supported)"
        )
    if a.dtype.kind in "US":
        return "string"
    if a.dtype.kind == "O":
        return "object"
    return "numeric"


# ---------------------------------------------------------------------- regression targets ---


def regression_targets(y_true, y_pred, sample_weight=None, *, zero_ok=False, strings=True):
    """Validated float arrays of shape (n, k) and weights (``zero_ok``: see :func:`as_weights`;
    ``strings``: see :func:`as_numbers`)."""
    out = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        a = as_numbers(array_like(y, name), name, strings)
        check_target_meta(a, name)
        if a.dtype != target_dtype(a.dtype):
            a = a.astype(np.float64)
        out.append(a[:, None] if a.ndim == 1 else a)  # (n, 1), also for n == 0
    yt, yp = out
    check_target_shapes(yt.shape, yp.shape)
    return yt, yp, as_weights(sample_weight, len(yt), zero_ok=zero_ok)


def as_numbers(a, name, strings):
    """Strings and objects as float64, converted as scikit-learn's ``check_array`` converts
    them: strings of numbers are taken where the metric asks for floats (``strings``) and
    refused where it asks for any number; objects must convert. Refusals in its words. (A dask
    array converts lazily: its values are read when it is computed.)"""
    if a.dtype.kind in "US" and not strings:
        raise NotNumericError(
            "dtype='numeric' is not compatible with arrays of bytes/strings.Convert your data "
            f"to numeric values explicitly instead. ({name} has dtype {a.dtype})"
        )
    if a.dtype.kind not in "USO":
        return a
    try:
        return a.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise NotNumericError(f"{exc} ({name} must hold numbers)") from None


def target_dtype(dtype):
    """The float dtype targets of ``dtype`` are computed in: float32/float64 as they are, any
    other number as float64 (no kernel is compiled for half floats or swapped bytes)."""
    if dtype.kind != "f" or not dtype.isnative or dtype == np.float16:
        return np.dtype(np.float64)
    return dtype


def check_target_meta(a, name):
    """The checks of one regression input that read only its shape and dtype (``a``: an ndarray
    or a dask array)."""
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {a.dtype}")
    if a.ndim == 0 or a.ndim > 2:
        raise ValueError(f"{name} must be 1-d or 2-d, got {a.ndim}-d shape {a.shape}")


def check_target_shapes(shape_t, shape_p):
    """Refuse targets and predictions whose shapes, (n, k) each, do not match or are empty."""
    if shape_t[0] != shape_p[0]:
        raise ValueError(f"y_true and y_pred have different lengths: {shape_t[0]} != {shape_p[0]}")
    check_not_empty(shape_t[0])
    if shape_t[1] != shape_p[1]:
        raise ValueError(
            f"y_true and y_pred have different number of output ({shape_t[1]}!={shape_p[1]})"
        )


def check_finite_targets(yt, yp):
    """Refuse non-finite targets, naming the input (called once a result came out non-finite:
    finite data is never scanned twice)."""
    for name, a in (("y_true", yt), ("y_pred", yp)):
        if not np.isfinite(a).all():  # scikit-learn's wording, naming the input
            raise ValueError(f"Input {name} contains {_non_finite(a)}")


# -------------------------------------------------------------------------- sample weights ---


def as_weights(sample_weight, n, name="sample_weight", *, zero_ok=False):
    """Validated 1-d sample weights of length ``n`` (None stays None): int64 or float32/64.

    All-zero weights are refused unless ``zero_ok`` (as scikit-learn's metrics); accumulators
    pass ``zero_ok``: a zero-weight batch is fine when another batch carries weight."""
    if sample_weight is None:
        return None
    w = array_like(sample_weight, name)
    if w.ndim == 0:
        w = np.full(n, w)
    if w.dtype == object:  # numbers (or numeric strings) in Python objects: as scikit-learn
        try:
            w = w.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{name}: {e}") from None
    check_weight_meta(w, n, name)
    if w.dtype.kind == "b":
        w = w.astype(np.int64)
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
        raise zero_weights_error(name)
    return w


def check_weight_meta(w, n, name="sample_weight"):
    """The checks of :func:`as_weights` that read only the shape and dtype of ``w`` (1-d by
    now; an ndarray or a dask array)."""
    # the messages start as scikit-learn's, which its users (and its test suite) match on
    if w.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar: {name} has shape {w.shape}")
    if len(w) != n:
        raise ValueError(  # the lengths as scikit-learn lists them: targets, then weights
            f"Found input variables with inconsistent numbers of samples: [{n}, {n}, {len(w)}] "
            f"({name} has length {len(w)}, expected {n}, the number of samples)"
        )
    if w.dtype.kind == "c":
        raise ComplexWeightsError(f"Complex data not supported: {name} has dtype {w.dtype}")
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {w.dtype}")


def zero_weights_error(name="sample_weight"):
    """The refusal of weights that are all zero (the one-shot metrics' wording)."""
    return ZeroWeightsError(f"{name} must contain at least one non-zero number (every weight is 0)")
