"""The exact (weighted) median of ``|y_pred - y_true|`` of data in chunks, never gathered.

Non-negative floats sort as their bit patterns read as unsigned integers (the errors are never
negative or NaN), so the median is found digit by digit, most significant first, a radix
selection: a pass over the chunks counts (and weighs) the errors of the current bucket by their
next :data:`DIGIT` bits, which tells the bucket that holds the median. Once a bucket holds at
most :data:`GATHER_MAX` errors, those alone are brought together, in sample order, and the
median is picked among them as the in-memory function picks it; a value tied by more errors
than that is known once all its bits are fixed. A float64 error takes at most four passes and
a float32 one two; typically two passes and one gather (10^9 float64 errors spread over a few
octaves leave some hundreds in the second pass's bucket). When the median is the mean of two
values and the second lies outside the bucket, one more pass finds the smallest error above it.

The selection runs on the caller's side and reaches the data only through
``run(fn, merge, *args)``, given by the integration: ``fn(t, p, w, *args)`` on every chunk,
the results merged pairwise (in chunk order) by ``merge``. The chunk functions validate their
chunk as the in-memory function validates its input.
"""

import numpy as np

from ._exceptions import DaskUnsupportedError
from ._inputs import as_weights, check_finite_targets, regression_targets, zero_weights_error

DIGIT = 16  # bits per pass: a (k, 65,536) table per chunk
BINS = 1 << DIGIT
GATHER_MAX = 1 << 18  # errors brought together per output for the exact pick (4 MB with weights)
_NONE = np.iinfo(np.uint64).max  # "no such error" in the search for the next value
_EPS = np.finfo(np.float64).eps  # the in-memory weighted median's tolerance on half the weight


# ----------------------------------------------------------------------- per chunk ---


def _errors(t, p, w):
    """Sort keys (n, k) uint64 of the chunk's errors and its weights (float64 or None)."""
    yt, yp, _ = regression_targets(t, p)
    check_finite_targets(yt, yp)
    err = np.abs(yp - yt)
    if err.dtype == np.float32:  # its 32 bits at the top, so both dtypes share the digits
        keys = err.view(np.uint32).astype(np.uint64) << np.uint64(32)
    else:
        keys = err.view(np.uint64)
    if w is not None:
        w = as_weights(w, len(yt), zero_ok=True).astype(np.float64)
    return keys, w


def _in_bucket(keys, prefix, fixed):
    """Which of one output's ``keys`` have ``prefix`` as their top ``fixed`` bits."""
    if fixed == 0:
        return slice(None)
    return (keys >> np.uint64(64 - fixed)) == prefix


def histogram(t, p, w, prefix, fixed, active):
    """(counts, weights or None, [some weight is not 0, some weight is negative]) of the
    chunk's errors in each active output's bucket, by their next DIGIT bits."""
    k = len(prefix)
    counts = np.zeros((k, BINS), np.int64)
    sums = None if w is None else np.zeros((k, BINS))
    flags = np.zeros(2, bool)
    if len(t) == 0:
        return counts, sums, flags
    keys, w = _errors(t, p, w)
    if w is not None:
        flags[:] = w.any(), (w < 0).any()
    shift = np.uint64(64 - fixed - DIGIT)
    for j in np.flatnonzero(active):
        sel = _in_bucket(keys[:, j], prefix[j], fixed)
        digits = ((keys[:, j][sel] >> shift) & np.uint64(BINS - 1)).astype(np.intp)
        counts[j] = np.bincount(digits, minlength=BINS)
        if w is not None:
            sums[j] = np.bincount(digits, weights=w[sel], minlength=BINS)
    return counts, sums, flags


def merge_histograms(a, b):
    sums = None if a[1] is None else a[1] + b[1]
    return a[0] + b[0], sums, a[2] | b[2]


def members(t, p, w, prefix, bits, active):
    """Per output, the (keys, weights) of the chunk's errors in its bucket (the keys whose top
    ``bits[j]`` bits are ``prefix[j]``), in sample order."""
    out = [None] * len(prefix)
    if len(t) == 0:
        return out
    keys, w = _errors(t, p, w)
    for j in np.flatnonzero(active):
        sel = _in_bucket(keys[:, j], prefix[j], int(bits[j]))
        out[j] = (keys[:, j][sel], None if w is None else w[sel])
    return out


def merge_members(a, b):
    out = []
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            out.append(x if y is None else y)
        else:
            pairs = zip(x, y, strict=True)
            out.append(tuple(None if u is None else np.concatenate([u, v]) for u, v in pairs))
    return out


def above(t, p, w, floor, active):
    """Per output, the smallest key above ``floor`` (of a positive weight when weighted)."""
    out = np.full(len(floor), _NONE, np.uint64)
    if len(t) == 0:
        return out
    keys, w = _errors(t, p, w)
    for j in np.flatnonzero(active):
        sel = keys[:, j] > floor[j]
        if w is not None:
            sel &= w > 0
        if sel.any():
            out[j] = keys[:, j][sel].min()
    return out


# ----------------------------------------------------------------------- selection ---


def _value(key, dtype):
    """The error whose sort key is ``key``, as a NumPy scalar of ``dtype``."""
    if dtype == np.float32:
        return np.array([key >> np.uint64(32)], np.uint64).astype(np.uint32).view(np.float32)[0]
    return np.array([key], np.uint64).view(np.float64)[0]


def median_errors(run, n, k, dtype, weighted):
    """The median error of each of ``k`` outputs over ``n`` samples of errors of ``dtype``
    (float32 or float64), weighted or not: ``np.median(err, axis=0)`` or the in-memory
    weighted median, exactly (weights: up to the order in which partial sums are added)."""
    dtype = np.dtype(dtype)
    nbits = 32 if dtype == np.float32 else 64
    prefix = np.zeros(k, np.uint64)  # per output, the top ``bits`` bits of its bucket's keys
    bits = np.zeros(k, np.int64)
    below = np.zeros(k, np.float64 if weighted else np.int64)  # weight or count under the bucket
    size = np.zeros(k, np.int64)  # errors in the bucket
    bucket_weight = np.zeros(k)
    active = np.ones(k, bool)
    rank, half = (n - 1) // 2, None
    fixed = 0  # the bits fixed so far for every active output
    while active.any() and fixed < nbits:
        counts, sums, flags = run(histogram, merge_histograms, prefix, fixed, active)
        if fixed == 0 and weighted:
            if not flags[0]:
                raise zero_weights_error()
            if flags[1]:
                raise DaskUnsupportedError(
                    "sample_weight has negative weights: the median of dask arrays needs "
                    "weights >= 0 (the weighted median is not defined for negative ones)"
                )
            half = 0.5 * sums.sum(axis=1)
        for j in np.flatnonzero(active):
            d = _bucket(counts[j], None if sums is None else sums[j], below[j], rank, half, j)
            below[j] += counts[j][:d].sum() if sums is None else sums[j][:d].sum()
            prefix[j] = (prefix[j] << np.uint64(DIGIT)) | np.uint64(d)
            size[j] = counts[j][d]
            if sums is not None:
                bucket_weight[j] = sums[j][d]
        fixed += DIGIT
        bits[active] = fixed
        active &= size > GATHER_MAX
    gather = size <= GATHER_MAX  # the others are one value, tied more than GATHER_MAX times
    found = run(members, merge_members, prefix, bits, gather) if gather.any() else [None] * k
    lowest = prefix << (64 - bits).astype(np.uint64)  # the bucket's smallest key
    if weighted:
        return _weighted_pick(run, found, lowest, below, bucket_weight, half, dtype)
    return _pick(run, found, lowest, below, size, n, dtype)


def _bucket(counts, sums, below, rank, half, j):
    """The digit of the bucket that holds the median (a non-empty one)."""
    if sums is None:
        return int(np.searchsorted(np.cumsum(counts), rank - below, side="right"))
    # the first bucket where the cumulative weight reaches half of the total; partial sums
    # added in another order may round past it: then the last non-empty bucket
    full = np.flatnonzero(counts)
    reach = full[below + np.cumsum(sums)[full] >= half[j]]
    return int(reach[0] if len(reach) else full[-1])


def _pick(run, found, lowest, below, size, n, dtype):
    """np.median's pick: the error of rank (n - 1) // 2, averaged with that of rank n // 2."""
    k = len(lowest)
    lo, hi = np.zeros(k, np.uint64), np.zeros(k, np.uint64)
    missing = np.zeros(k, bool)
    for j in range(k):
        if found[j] is None:  # one value tied more than GATHER_MAX times: the bucket's key
            lo[j] = hi[j] = lowest[j]
            missing[j] = n // 2 - below[j] >= size[j]
            continue
        keys = np.sort(found[j][0])
        lo[j] = keys[(n - 1) // 2 - below[j]]
        at = n // 2 - below[j]
        missing[j] = at >= len(keys)
        hi[j] = keys[min(at, len(keys) - 1)]
    if missing.any():  # the next value lies in a bucket above
        nxt = run(above, np.minimum, lo, missing)
        hi[missing] = nxt[missing]
    out = np.empty(k, dtype)
    for j in range(k):
        pair = [_value(lo[j], dtype)] + ([_value(hi[j], dtype)] if n % 2 == 0 else [])
        out[j] = np.mean(np.array(pair, dtype))  # np.median's arithmetic
    return out


def _weighted_pick(run, found, lowest, below, bucket_weight, half, dtype):
    """The in-memory weighted median's pick: the first error whose cumulative weight reaches
    half the total, averaged with the next error of positive weight when it lands on half."""
    k = len(lowest)
    value = np.zeros(k, np.uint64)
    tied = np.zeros(k, bool)  # the cumulative weight lands on half: average with the next
    nxt = np.full(k, _NONE, np.uint64)
    for j in range(k):
        if found[j] is None:  # a tied value: where half falls among the ties cannot matter
            value[j] = lowest[j]
            tied[j] = below[j] + bucket_weight[j] - half[j] <= _EPS
            continue
        keys, w = found[j]
        order = np.argsort(keys, kind="stable")  # sample order among ties, as in memory
        keys, w = keys[order], w[order]
        cdf = below[j] + np.cumsum(w)
        i = min(int(np.searchsorted(cdf, half[j])), len(keys) - 1)
        value[j] = keys[i]
        if cdf[i] - half[j] <= _EPS:
            tied[j] = True
            later = np.flatnonzero(w[i + 1 :] > 0)
            if later.size:
                nxt[j] = keys[i + 1 + later[0]]
    search = tied & (nxt == _NONE)
    if search.any():  # the next error of positive weight lies in a bucket above
        nxt[search] = run(above, np.minimum, value, search)[search]
    out = np.empty(k)
    for j in range(k):
        v = _value(value[j], dtype)
        if tied[j] and nxt[j] != _NONE:
            v = (v + _value(nxt[j], dtype)) / 2
        out[j] = v
    return out
