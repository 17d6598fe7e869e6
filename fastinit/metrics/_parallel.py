"""How the metric kernels split their work, and on how many threads it runs.

The split depends on the data only, never on the thread count: the confusion-matrix count is
cut into parts (each counted into its own table, the tables summed in part order) and the
regression moments into tasks of :data:`MOMENTS_TASK` elements (merged in task order). So a
result, weighted counts and floating-point moments included, is the same bits for any number of
threads; the thread count (:func:`thread_parts`) only decides how fast it comes.
"""

MIN_PART = 1 << 16  # samples per part (and per thread) at least: below, splitting does not pay
# The light kernels (about a nanosecond a sample) run on threads only from twice these many
# samples: counting labels into a table, and the regression moments. On a 2-core Xeon VM, where
# handing work to a thread costs about 0.1 ms, all threads' time over one thread's
# (benchmarks/bench_thresholds.py, two runs): at 2^17 samples 1.18-1.48 counting (f1_score of
# binary labels, a 10-class confusion_matrix) and 1.59-1.98 for the moments (mean_squared_error,
# r2_score); at 2^19, counting 0.84-1.03 and the moments 1.17-1.32; at 2^20, counting 0.70-0.91
# and the moments 0.82-0.94. Only the thread count depends on them, never the split, so no
# result does.
COUNT_MIN_PART = 1 << 18
MOMENTS_MIN_PART = 1 << 19
_MAX_PARTS = 8  # count parts at most (each holds a whole table)
_TABLE_SHARE = 4  # and all tables together hold at most n / 4 cells: zeroing and summing them
# costs a fraction of reading the labels (K=1000, 10^7 labels: 2 parts; K=10: 8)
_MAX_PART = (1 << 31) - 1  # int32 per-part counts cannot overflow below this part length

# Elements per task of the moments kernels (a multiple of their 1024-element blocks). Statistics
# are merged per task, then in task order: changing it may change results in the last bits,
# changing the thread count never does.
MOMENTS_TASK = 1 << 16


def thread_parts(n, min_part=MIN_PART):
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
    parts = min(_MAX_PARTS, n // MIN_PART, n // (_TABLE_SHARE * cells))
    return max(1, parts, -(-n // _MAX_PART))


def moment_tasks(n):
    """Tasks of :data:`MOMENTS_TASK` elements over a column of ``n`` values (at least one)."""
    return max(1, -(-n // MOMENTS_TASK))
