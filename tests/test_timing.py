"""The timing harness of `fastinit bench` and benchmarks/ (fastinit/comparisons/timing.py)."""

import itertools

from fastinit.comparisons import timing


def _ticking_clock():
    """A clock that advances one second per reading: every timed call then takes 1 s."""
    counter = itertools.count()
    return lambda: float(next(counter))


def test_repeat_times_warms_up_and_runs_setup_before_every_call():
    log = []
    times = timing.repeat_times(
        lambda: log.append("call"), 3, warmup=2, setup=lambda: log.append("setup"),
        clock=_ticking_clock(),
    )  # fmt: skip
    assert times == [1.0, 1.0, 1.0]
    assert log == ["setup", "call"] * 5


def test_interleaved_times_round_robin_after_warmup():
    log = []
    fns = {"a": lambda: log.append("a"), "b": lambda: log.append("b")}
    medians = timing.interleaved(fns, 3, warmup=1, clock=_ticking_clock())
    assert medians == {"a": 1.0, "b": 1.0}
    assert log == ["a", "b"] * 4


def test_median_time_and_report(capsys):
    assert timing.median_time(lambda: None, 5, clock=_ticking_clock()) == 1.0
    timing.report([("speed", "2.0x", ">= 1x", True), ("size", "3 GB", "< 2 GB", False)], "title")
    out = capsys.readouterr().out
    assert "title" in out and "met" in out and "NOT MET" in out
