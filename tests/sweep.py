"""Shared tools of the bad-input sweeps (``pytest -m sweep``; the default run skips them).

A sweep feeds a public function arguments drawn from :func:`junk` (and from well-formed values
next to it) and asks three things of every call:

* it returns, or it refuses with a ``ValueError`` or ``TypeError`` whose message names the
  argument at fault (:func:`call`); any other exception, a crash or a hang fails the sweep;
* after a refusal every input is as it was: arrays, seeds, generators, accumulators
  (:func:`snapshot` before, :func:`assert_unchanged` after);
* nothing is attempted that cannot fit: absurd sizes are refused before anything is allocated.

``FASTINIT_SWEEP_EXAMPLES`` sets the number of cases per test (10^4 by default, as the sweeps
are meant to be run; a smaller number makes a quick smoke run).
"""

import copy
import faulthandler
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("FASTINIT_SWEEP_EXAMPLES", "10000"))

# one profile for every sweep: many cheap cases, no per-case deadline (a first call compiles),
# no example database (the sweeps run from clean checkouts)
SWEEP = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# a case that runs longer than this is a hang: dump every thread's stack and exit
HANG_SECONDS = 120

# ------------------------------------------------------------------------------ junk values ---
_ODD_ARRAYS = [
    np.zeros(0),
    np.array(1.5),
    np.array([np.nan, np.inf, -np.inf]),
    np.array([1, 2, 3], dtype=np.int8),
    np.array([2**64 - 1, 0], dtype=np.uint64),
    np.array([1 + 2j, 3j]),
    np.array(["a", "b"]),
    np.array([None, 1], dtype=object),
    np.array([True, False]),
    np.ones(3, np.float16),
    np.ones(3, ">f4"),
    np.ones(3, ">f8"),
    np.ones((2, 3), np.float32)[:, ::2],
    np.ones((2, 0, 3)),
    np.array([np.timedelta64(3, "s")]),
]

_ODD_SCALARS = [
    None, True, False, 0, -1, 1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30,
    0.5, -0.0, float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, 1e-45,
    1j, np.complex128(1), np.float16(65504), np.float32(3.4e38), np.int8(-128),
    np.uint64(2**64 - 1), np.timedelta64(3), np.datetime64("2026-01-01"),
    "1", "", "abc", b"1", [], [1], (), (1, 2), {}, {"a": 1}, object(), np.nan, Ellipsis,
    slice(1), np.float64, int, lambda: 0,
]  # fmt: skip


def junk():
    """Any value a careless or hostile caller might pass where an argument is expected."""
    # drawn by index: hypothesis hashes what sampled_from draws, and a generic
    # np.timedelta64 cannot be hashed
    return st.one_of(
        st.integers(0, len(_ODD_SCALARS) - 1).map(lambda i: _ODD_SCALARS[i]),
        st.integers(0, len(_ODD_ARRAYS) - 1).map(lambda i: _ODD_ARRAYS[i].copy()),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4),
        st.lists(st.one_of(st.integers(-3, 3), st.floats(-3, 3), st.none()), max_size=4),
    )


def maybe(valid):
    """A strategy that is ``valid`` half the time and :func:`junk` the other half."""
    return st.one_of(valid, junk())


# ------------------------------------------------------------------------- snapshot / check ---
def snapshot(value, _seen=None):
    """A deep, comparable copy of ``value``: arrays (with their bytes), generators' and seed
    sequences' states, containers and objects' attributes (cycles followed once), other values
    through ``copy.deepcopy``; an object without value equality (``object()``) by identity."""
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return ("seen", id(value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype, value.shape, value.tobytes())
    if isinstance(value, np.random.Generator):
        return ("generator", copy.deepcopy(value.bit_generator.state))
    if isinstance(value, np.random.RandomState):
        state = value.get_state()
        return ("randomstate", state[0], state[1].tobytes(), state[2:])
    if isinstance(value, np.random.SeedSequence):  # spawn() advances n_children_spawned
        return ("seedsequence", repr(value.entropy), value.spawn_key, value.n_children_spawned)
    if isinstance(value, (list, tuple, dict)) or hasattr(value, "__dict__"):
        seen.add(id(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [snapshot(v, seen) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: snapshot(v, seen) for k, v in value.items()})
    if hasattr(value, "__dict__") and not callable(value):
        # the object's own __dict__, not a copy: ``seen`` holds ids, and a temporary copy's id
        # could be reused by the next one, which would then be taken for one already seen
        return ("object", type(value).__name__, snapshot(vars(value), seen))
    if type(value).__eq__ is object.__eq__:
        return ("identity", id(value))
    try:
        return ("value", copy.deepcopy(value))
    except Exception:  # noqa: BLE001 - an object that cannot be copied is compared by identity
        return ("identity", id(value))


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        equal = a == b
        if isinstance(equal, (bool, np.bool_)) and not equal:
            return bool(a != a and b != b)  # NaN, of any float type, is itself
        return bool(np.all(equal))
    except Exception:  # noqa: BLE001 - values that cannot be compared are not "the same"
        return False


def assert_unchanged(before, value, what):
    """Fail when ``value`` no longer matches its :func:`snapshot` ``before``."""
    assert _same(before, snapshot(value)), f"{what} was modified by a refused call"


def call(fn, args=(), kwargs=None, *, names):
    """Call ``fn``; return ``(result, None)`` or ``(None, error)`` for a proper refusal.

    A refusal must be a ValueError or TypeError whose message names one of ``names`` (the
    arguments the caller considers possibly at fault); every input is checked unchanged after
    it. Any other exception propagates and fails the sweep.
    """
    kwargs = kwargs or {}
    before = snapshot((list(args), kwargs))
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        return fn(*args, **kwargs), None
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(name in message for name in names), (
            f"{type(error).__name__} does not name any of {names}: {message!r}"
        )
        assert_unchanged(before, (list(args), kwargs), "an input")
        return None, error
    finally:
        faulthandler.cancel_dump_traceback_later()


def call_on(state, fn, args, kwargs, names, what):
    """:func:`call` with warnings and floating-point errors silenced; on a refusal ``state``
    (an accumulator the call may update) must be as it was. Returns (result, error)."""
    before = snapshot(state)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result, error = call(fn, args, kwargs, names=names)
    if error is not None:
        assert_unchanged(before, state, what)
    return result, error


def memory_limit(limit):
    """A module-wide autouse fixture that lowers fastinit's memory guard to ``limit`` bytes, so
    that a sweep's refusals of huge sizes are reached without allocating them."""

    @pytest.fixture(autouse=True, scope="module")
    def limited():
        from fastinit import _checks

        before = _checks.MEMORY_BYTES
        _checks.MEMORY_BYTES = limit
        try:
            yield
        finally:
            _checks.MEMORY_BYTES = before

    return limited
