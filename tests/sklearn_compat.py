"""pytest plugin: run scikit-learn's own metric tests against ``fastinit.metrics``.

Loaded with ``-p tests.sklearn_compat`` in a pytest run over the installed scikit-learn's test
modules (``--pyargs sklearn.metrics.tests.test_classification ...``). Before those modules are
imported, every public name that ``fastinit.metrics`` shares with ``sklearn.metrics`` is rebound
in ``sklearn.metrics`` to fastinit's function; every other name stays scikit-learn's, and so does
scikit-learn's own internal use of its functions. A test is *applicable* when it called at least
one rebound function. The plugin writes one JSON record per test (node id, outcome, applicable,
the rebound names it called, the error's first line) to the file named by
``FASTINIT_SKLEARN_REPORT``; ``tests/test_sklearn_suite.py`` runs it and reads that file.
"""

import functools
import json
import os

_called = set()
_records = []


def rebound_names():
    """The public functions of fastinit.metrics that sklearn.metrics also has."""
    import sklearn.metrics

    import fastinit.metrics

    return sorted(
        name
        for name in fastinit.metrics.__all__
        if callable(getattr(sklearn.metrics, name, None))
        and not isinstance(getattr(fastinit.metrics, name), type)
    )


def _tracked(name, fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        _called.add(name)
        return fn(*args, **kwargs)

    return call


def pytest_configure(config):
    import sklearn.metrics

    import fastinit.metrics

    for name in rebound_names():
        setattr(sklearn.metrics, name, _tracked(name, getattr(fastinit.metrics, name)))


def pytest_runtest_setup(item):
    _called.clear()


def pytest_runtest_logreport(report):
    # one record per test: its call phase, or the setup phase when setup failed or skipped
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        error = ""
        if report.failed and report.longrepr is not None:
            crash = getattr(report.longrepr, "reprcrash", None)
            error = crash.message.splitlines()[0] if crash is not None else str(report.longrepr)
        _records.append(
            {
                "test": report.nodeid,
                "outcome": report.outcome,
                "applicable": bool(_called),
                "called": sorted(_called),
                "error": error[:300],
            }
        )


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("FASTINIT_SKLEARN_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_records, f)
