"""Probabilistic losses of binary problems in one pass: Brier score and log loss.

:func:`brier_tasks` and :func:`log_tasks` read binary labels and probabilities once: per task,
the (at most two) label values met, the sums of the per-sample loss for either value being the
positive class, the total weight and the number of probabilities outside [0, 1]. The caller
decides afterwards which label is positive; a third label value stops the task (the caller then
reports the target type). Tasks cover blocks fixed by the data, and the caller adds their sums
in task order: the same bits for any thread count.
"""

import numpy as np

from ._jit import FASTMATH, jit
from .elementary import log_f64
from .ranking import BLOCK, admit_values

# per-task outputs: sums for slot 0/1 (label values vals[k, 0/1]) when that value is the
# positive class (POS) or the negative one (NEG), and the total weight
POS0, NEG0, POS1, NEG1, WSUM = range(5)
N_SUMS = 5
BRIER, LOG = 0, 1


@jit(inline="always")
def _sample_losses(p, one, eps, mode):
    """(loss if the sample is positive, loss if negative) for the probability ``p`` of the
    positive class, computed as scikit-learn does on the two columns ``[1 - p, p]``: ``1 - p``
    and the clipping in ``p``'s dtype, the rest in float64."""
    q = one - p
    if mode == LOG:
        hi = one - eps
        a = min(max(p, eps), hi)
        b = min(max(q, eps), hi)
        return -log_f64(np.float64(a)), -log_f64(np.float64(b))
    qq = np.float64(q)
    r = np.float64(one - q)
    pp = np.float64(p)
    return qq * qq + qq * qq, r * r + pp * pp


def _loss_tasks_for(mode):
    """The task kernel of one loss (``mode`` is a constant of it, so each loss compiles its own
    loop). Task k covers ``chunk`` samples in blocks of :data:`BLOCK`; it writes the label
    values it met to ``vals[k]``, their number (3: three or more, or a NaN label) to
    ``counts[k]``, the :data:`N_SUMS` sums to ``sums[k]`` and to ``bad[k]`` the number of
    probabilities that are not in [0, 1] (NaN included): the caller finds out which, on the
    rare inputs that have one (tracking the smallest and largest value here kept the loop
    from vectorizing: 59 against 13 ms for 10^7 samples)."""

    @jit(fastmath=FASTMATH)
    def _block(y, p, w, v0, one, eps, acc, lo, hi):
        # the loop vectorizes: slot 1 is selected by a 0/1 factor, not by a branch
        p0 = 0.0
        n0 = 0.0
        p1 = 0.0
        n1 = 0.0
        ws = 0.0
        outside = 0
        for i in range(lo, hi):
            pi = p[i]
            outside += not (pi >= 0 and pi <= 1)
            lp, ln = _sample_losses(pi, one, eps, mode)
            wi = 1.0 if w is None else w[i]
            m = np.float64(y[i] != v0)
            lp *= wi
            ln *= wi
            p1 += m * lp
            n1 += m * ln
            p0 += lp - m * lp
            n0 += ln - m * ln
            ws += wi
        acc[POS0] += p0
        acc[NEG0] += n0
        acc[POS1] += p1
        acc[NEG1] += n1
        acc[WSUM] += ws
        return outside

    @jit
    def loss_tasks(y, p, w, one, eps, chunk, vals, counts, sums, bad, task_lo, task_hi):
        n = y.size
        for k in range(task_lo, task_hi):
            s = k * chunk
            e = min(n, s + chunk)
            acc = sums[k]
            for c in range(N_SUMS):
                acc[c] = 0.0
            v0 = y[s]
            v1 = v0
            c = 1
            outside = 0
            for b in range(s, e, BLOCK):
                be = min(e, b + BLOCK)
                v1, c = admit_values(y, b, be, v0, v1, c)
                if c == 3:
                    break
                # with one value so far (v1 == v0) every sample counts in slot 0
                outside += _block(y, p, w, v0, one, eps, acc, b, be)
            vals[k, 0] = v0
            vals[k, 1] = v1
            counts[k] = c
            bad[k] = outside

    return loss_tasks


brier_tasks = _loss_tasks_for(BRIER)
log_tasks = _loss_tasks_for(LOG)
