"""What ``fastinit compile`` runs: one small workload per family of kernels (:data:`TASKS`).

Each task calls public functions with inputs that take every compiled path of its family (see
``_precompile.py`` for how the tasks are run, in parallel processes, into the cache).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Task:
    """One family of kernels: ``run(dtype)`` calls public functions so that each compiles."""

    name: str
    run: Callable[[np.dtype | None], None]
    description: str
    per_dtype: bool = True


# ------------------------------------------------------------------------------- tasks ---
def _sizes():
    from . import config

    return 1000, 2 * config.RANDOM_PARALLEL_MIN  # serial and threaded streams


def _random(dtype):
    from . import random as fr

    for n in _sizes():
        fr.uniform(n, -1.0, 1.0, seed=0, dtype=dtype)
        fr.normal(n, seed=0, dtype=dtype)
        fr.trunc_normal(n, std=0.02, a=-0.04, b=0.04, seed=0, dtype=dtype)  # narrow window
        fr.trunc_normal(n, a=-5.0, b=5.0, seed=0, dtype=dtype)  # wide: rejection sampling
        fr.trunc_normal(n, a=3.0, b=6.0, seed=0, dtype=dtype)  # a tail: exponential proposals
        fr.trunc_normal(n, a=0.5, b=0.6, seed=0, dtype=dtype)  # short interval: uniform proposals
        for distribution in ("uniform", "normal", "trunc_normal"):
            fr.block(distribution, 7, 7 + n, seed=0, dtype=dtype)
        # boxes: short runs (a column block) and whole superblocks (a row block)
        for region in ((slice(None), slice(3, 60)), (slice(1, 3),)):
            fr.uniform((4, n), seed=0, dtype=dtype, region=region)
            fr.normal((4, n), seed=0, dtype=dtype, region=region)
            fr.trunc_normal((4, n), std=0.02, a=-0.04, b=0.04, seed=0, dtype=dtype, region=region)
            fr.trunc_normal((4, n), a=-5.0, b=5.0, seed=0, dtype=dtype, region=region)
            fr.trunc_normal((4, n), a=3.0, b=6.0, seed=0, dtype=dtype, region=region)
            fr.trunc_normal((4, n), a=0.5, b=0.6, seed=0, dtype=dtype, region=region)
        if dtype == np.float32:
            fr.normal(n, seed=0, dtype=np.float16)


def _initializers(dtype):
    from . import init as fi

    for shape in ((64, 32), (512, 256), (16, 8, 3, 3)):  # 512 x 256 takes the threaded path
        for fn in (fi.xavier_uniform, fi.xavier_normal, fi.kaiming_uniform, fi.kaiming_normal,
                   fi.lecun_uniform, fi.lecun_normal):  # fmt: skip
            fn(shape, seed=0, dtype=dtype)
        for distribution in ("truncated_normal", "untruncated_normal", "uniform"):
            fi.variance_scaling(shape, 2.0, "fan_avg", distribution, seed=0, dtype=dtype)
    for shape in ((64, 32), (512, 256)):
        fi.sparse(shape, 0.3, seed=0, dtype=dtype)
        fi.eye(shape, dtype=dtype)
        fi.constant(shape, 0.5, dtype=dtype)
    fi.dirac((8, 4, 3, 3), groups=2, dtype=dtype)


def _orthogonal(dtype):
    from . import init as fi

    cases = (
        ((16, 16), 0),  # unblocked
        ((256, 256), 0),  # blocked, whole blocks
        ((300, 300), 0),  # blocked, a partial last block
        ((300, 100), 0), ((100, 300), 0),  # tall and wide
        ((8, 32, 32), 1),  # a batch of small matrices, serial
        ((64, 64, 64), 1),  # a batch spread over the threads
        ((2, 2, 130, 130), 2),  # a batch of blocked matrices
    )  # fmt: skip
    for shape, batch_ndim in cases:
        fi.orthogonal(shape, batch_ndim=batch_ndim, seed=0, dtype=dtype)
        if shape[-1] == shape[-2]:
            fi.special_orthogonal(shape, 2.0, batch_ndim=batch_ndim, seed=0, dtype=dtype)


def _clip_with(*dtypes):
    """A clipping task over lists of arrays of ``dtypes``: the kernels compile the float16 and
    float64 code only for the lists that hold such arrays, so each set of dtypes is a task."""

    def run(dtype):
        from . import _threads

        with _threads.ignoring_load():  # beside the other compiling processes
            _compile_clipping(dtypes)

    return run


def _compile_clipping(dtypes):
    """Every clipping kernel that lists of ``dtypes`` take, on one thread and on several."""
    from . import clip, config

    rng = np.random.default_rng(0)

    def arrays(n, strided):
        out = [rng.uniform(-1.0, 1.0, n).astype(t) for t in dtypes]
        if strided:  # a view whose rows are not contiguous: the gathering loops
            out.append(rng.standard_normal((64, 48)).astype(dtypes[-1])[::2, 1::3])
        return out

    # long lists are described by the compiled header reader
    clip.global_norm(arrays(10, False) * config.CLIP_HEADER_READER_MIN)
    for strided in (False, True):
        for n in (1000, config.CLIP_PARALLEL_MIN + 1):  # one thread, then several
            for norm_type in (2.0, 1.0, math.inf, 3.0):
                clip.global_norm(arrays(n, strided), norm_type)
                clip.clip_grad_norm(arrays(n, strided), 1.0, norm_type=norm_type)
                clip.clip_by_norm(arrays(n, strided), 1.0, norm_type=norm_type)
            clip.clip_grad_norm(arrays(n, strided), 1.0, nonfinite="skip")
            clip.clip_grad_value(arrays(n, strided), 0.5)
        if np.float64 in dtypes:  # squares overflow float64 sums: the rescaled norms
            for norm_type in (2.0, 3.0):
                huge = [*arrays(1000, strided), np.full(1000, 1e300)]
                clip.global_norm(huge, norm_type)
                clip.clip_grad_norm(huge, 1.0, norm_type=norm_type)
                clip.clip_by_norm([*arrays(1000, strided), np.full(1000, 1e300)], 1.0,
                                  norm_type=norm_type)  # fmt: skip
    for rows in (64, 2048):  # adaptive clipping, one thread and several
        shapes = ((rows, 600), (rows,), (rows, 8, 3, 3))
        for t in dtypes:
            params = [rng.standard_normal(s).astype(t) for s in shapes]
            grads = [rng.standard_normal(s).astype(t) for s in shapes]
            clip.adaptive_clip(grads, params, 0.01)
            clip.adaptive_clip(grads, params, 0.01, layout="jax")
        if len(dtypes) > 1:  # one call over mixed dtypes
            mixed = [rng.standard_normal(s).astype(t) for s, t in zip(shapes, dtypes, strict=False)]
            clip.adaptive_clip(mixed, [m.copy() for m in mixed], 0.01)


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _classification(dtype):
    from . import metrics as M

    rng = np.random.default_rng(0)
    for label_dtype in (np.int32, np.int64):
        for n in (1000, 1_000_000):  # serial and threaded counting
            t = rng.integers(0, 10, n).astype(label_dtype)
            p = np.where(rng.random(n) < 0.7, t, rng.integers(0, 10, n)).astype(label_dtype)
            M.confusion_matrix(t, p)
            M.confusion_matrix(t, p, sample_weight=rng.random(n))
            M.confusion_matrix(t, p, sample_weight=rng.integers(1, 4, n))
            M.f1_score(t, p, average="macro")
            M.precision_recall_fscore_support(t, p, average="weighted")
            M.classification_report(t, p, output_dict=True)
            M.accuracy_score(t, p)
            M.balanced_accuracy_score(t, p)
            M.matthews_corrcoef(t, p)
            M.cohen_kappa_score(t, p)
            M.jaccard_score(t, p, average="micro")
            M.multilabel_confusion_matrix(t, p)
            M.hamming_loss(t, p)
            M.zero_one_loss(t, p)
            M.f1_score(t % 2, p % 2)  # binary
            cm, other = M.ConfusionMatrix(num_classes=10), M.ConfusionMatrix()
            cm.update(t, p)
            other.update(t, p, sample_weight=rng.random(n))
            cm.merge(other)
            cm.f1_score(average="macro")
            t, p = _read_only(t), _read_only(p)  # e.g. the chunks of a dask array
            M.confusion_matrix(t, p)
            M.confusion_matrix(t, p, sample_weight=_read_only(rng.random(n)))
        t = rng.integers(0, 10, 1000).astype(label_dtype)
        for score_dtype in (np.float32, np.float64):
            M.top_k_accuracy_score(t, rng.random((1000, 10)).astype(score_dtype), k=3)
        indicator = rng.integers(0, 2, (1000, 5)).astype(label_dtype)
        M.multilabel_confusion_matrix(indicator, indicator[::-1])
        M.f1_score(indicator, indicator[::-1], average="samples")


def _regression(dtype):
    from . import metrics as M

    rng = np.random.default_rng(0)
    weighted = (M.mean_squared_error, M.root_mean_squared_error, M.mean_absolute_error,
                M.mean_absolute_percentage_error, M.median_absolute_error, M.r2_score,
                M.explained_variance_score)  # fmt: skip
    for n in (1000, 1_000_000):  # serial and threaded moments
        for shape in ((n,), (n // 3, 3)):  # one output, and the (strided) columns of a 2-D array
            t = rng.standard_normal(shape).astype(dtype)
            p = (t + 0.1 * rng.standard_normal(shape)).astype(dtype)
            w = rng.random(shape[0])
            multi = {} if len(shape) == 1 else {"multioutput": "raw_values"}
            for fn in weighted:
                fn(t, p, **multi)
                fn(t, p, sample_weight=w, **multi)
            if len(shape) == 1:
                M.max_error(t, p)
            stats, other = M.RegressionStats(), M.RegressionStats()
            stats.update(t, p)
            other.update(t, p, sample_weight=w)
            stats.merge(other)
            stats.r2_score()
            if len(shape) == 1:  # read-only inputs, e.g. the chunks of a dask array
                t, p, w = _read_only(t), _read_only(p), _read_only(w)
                M.mean_squared_error(t, p)
                M.mean_squared_error(t, p, sample_weight=w)
                M.RegressionStats().update(t, p, sample_weight=w)


def _theory(dtype):
    from . import propagation as P
    from .propagation._activations import ACTIVATIONS

    # the kernels specialize on the layout of the broadcast inputs (one configuration or a grid;
    # one layer or more) and on whether q0 is one value or one per configuration
    grid_w, grid_b = np.linspace(0.5, 4.0, 100)[:, None], np.linspace(0.0, 0.3, 30)[None, :]
    small_w, small_b = grid_w[:3], grid_b[:, :3]
    for activation in ACTIVATIONS:
        for depth in (1, 10):  # one thread
            P.theory(activation, 1.5, 0.1, depth=depth)
            P.theory(activation, small_w, small_b, depth=depth)
            P.theory(activation, small_w, small_b, depth=depth, q0=np.ones((3, 3)))
        # 3,000 configurations x 100 layers: several threads
        P.theory(activation, grid_w, grid_b, depth=100)
        P.theory(activation, grid_w, grid_b, depth=100, q0=np.ones((100, 30)))
        P.fixed_point(activation, 1.5, 0.1)
        try:
            P.critical_sigma_w2(activation)
        except ValueError:  # no order-to-chaos transition for this activation
            pass


def _simulate(dtype):
    from . import propagation as P
    from .propagation._activations import ACTIVATIONS

    for activation in ACTIVATIONS:
        P.simulate([32] * 4, activation, n_networks=2, batch=16, seed=0, dtype=dtype)
    P.simulate([256] * 3, "tanh", n_networks=4, batch=256, seed=0, dtype=dtype)  # many blocks
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((32, 32)).astype(dtype) for _ in range(3)]
    P.lsuv(weights, rng.standard_normal((64, 32)).astype(dtype), "relu", seed=0)


def _diagnose(dtype):
    from . import propagation as P

    P.diagnose([32] * 6, "tanh", n_networks=2, batch=16, seed=0)
    P.diagnose([32] * 6, "relu", init=1.2, n_networks=2, batch=16, seed=0)


def _stacks(dtype):
    """Residual stacks: the correlation maps of every activation, attention's tables, and the
    simulation's float32 GELU passes."""
    from . import propagation as P
    from .propagation._activations import ACTIVATIONS

    attention = P.AttentionBranch(heads=2)
    for activation in ACTIVATIONS:
        stack = P.ResidualStack((attention, P.MLPBranch(activation)), depth=2, width=8, seq_len=4)
        P.theory(stack)
        P.theory(P.ResidualStack(stack.branches, depth=2, width=8, seq_len=4, norm=None,
                                 beta=np.array([0.5, 1.0])))  # fmt: skip
        P.simulate(stack, batch=2, seed=0, dtype=dtype)


# the slowest families first, so that the last ones to finish are short
def _ranking(dtype):
    """Ranking curves and scores (the sort and the few-distinct-scores paths, weighted and
    not) and the probabilistic losses."""
    from . import metrics as fm

    rng = np.random.default_rng(0)
    for n in (1000, 300_000):  # one thread, then several
        y = rng.integers(0, 2, n)
        distinct = rng.random(n).astype(dtype)
        few = np.round(distinct, 1)
        w = rng.random(n)
        for scores in (distinct, few):
            for weights in (None, w):
                fm.roc_auc_score(y, scores, sample_weight=weights)
                fm.average_precision_score(y, scores, sample_weight=weights)
                fm.roc_curve(y, scores, sample_weight=weights)
                fm.precision_recall_curve(y, scores, sample_weight=weights)
        proba = np.clip(distinct, 0.01, 0.99)
        fm.log_loss(y, proba)
        fm.brier_score_loss(y, proba)
        labels = rng.integers(0, 3, n)
        scores3 = rng.random((n, 3)).astype(dtype)
        scores3 /= scores3.sum(axis=1, keepdims=True)
        fm.roc_auc_score(labels, scores3, multi_class="ovr")
        fm.log_loss(labels, scores3)


def _torch_adapter(dtype):
    """fastinit.torch's own kernel paths (bfloat16 gradients, counts of non-finite values),
    when torch is installed; the rest of what it runs is compiled by the tasks above."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return
    import torch

    from .torch import clip_grad_norm_, clip_grad_value_, grad_stats, init_module_

    for tensor_dtype in (torch.bfloat16, torch.float32, torch.float16):
        for n in (1000, 2 * 10**6):  # one thread, then several
            model = torch.nn.Linear(n // 1000, 1000).to(tensor_dtype)
            init_module_(model, seed=0)
            for p in model.parameters():
                p.grad = torch.ones_like(p)
            for norm_type in (2.0, 1.0, math.inf, 3.0):
                clip_grad_norm_(model.parameters(), 1.0, norm_type=norm_type)
                grad_stats(model.named_parameters(), norm_type=norm_type)
            clip_grad_value_(model.parameters(), 0.5)


TASKS = (
    Task("metrics.classification", _classification,
         "confusion counting: int32/int64 labels, weighted, read-only, serial and threaded; "
         "every classification metric, top-k, ConfusionMatrix", per_dtype=False),
    Task("random", _random, "uniform, normal, trunc_normal (narrow, wide, tail) streams, "
         "blocks and boxes, serial and threaded"),
    Task("clip.float32", _clip_with(np.float32), "global_norm, clip_grad_norm, clip_grad_value, "
         "clip_by_norm (every norm), adaptive_clip on float32 arrays, contiguous or not, one "
         "thread and several", per_dtype=False),
    Task("clip.mixed", _clip_with(np.float16, np.float32, np.float64),
         "the same on lists mixing float16, float32 and float64", per_dtype=False),
    Task("clip.float16", _clip_with(np.float16), "the same on float16 arrays", per_dtype=False),
    Task("clip.float64", _clip_with(np.float64), "the same on float64 arrays", per_dtype=False),
    Task("orthogonal", _orthogonal, "orthogonal and special_orthogonal: unblocked, blocked, "
         "tall, wide, batched"),
    Task("metrics.regression", _regression, "regression metrics, 1-D and 2-D, weighted, "
         "read-only, serial and threaded; RegressionStats"),
    Task("init", _initializers, "every fan-based initializer, variance_scaling, sparse, eye, "
         "constant, dirac"),
    Task("propagation.theory", _theory, "mean-field theory for every activation, serial and "
         "threaded; fixed points", per_dtype=False),
    Task("propagation.simulate", _simulate, "simulate for every activation, lsuv"),
    Task("propagation.diagnose", _diagnose, "diagnose (float32 networks)", per_dtype=False),
    Task("propagation.stacks", _stacks, "residual stacks: theory and simulate for every "
         "activation in an MLP branch beside attention"),
    Task("metrics.ranking", _ranking, "roc_auc_score, average_precision_score, the curves "
         "(sorted and tallied scores, weighted and not), log_loss, brier_score_loss"),
    Task("torch", _torch_adapter, "fastinit.torch clipping and grad_stats over bfloat16, "
         "float16 and float32 gradients (when torch is installed)", per_dtype=False),
)  # fmt: skip
