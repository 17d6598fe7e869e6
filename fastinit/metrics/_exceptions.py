"""The warning and the errors of fastinit.metrics beyond plain ValueError and TypeError.

Each error class is a ValueError or TypeError, as fastinit refuses arguments, and also the
exception scikit-learn raises in the same case, so code written against either catches it.
"""

import functools
import sys


class UndefinedMetricWarning(UserWarning):
    """A metric is ill-defined (a zero division) and was set by ``zero_division``.

    fastinit's own class (scikit-learn is not a dependency); it plays the role of
    ``sklearn.exceptions.UndefinedMetricWarning`` and subclasses :class:`UserWarning` like it.
    When scikit-learn's exceptions module is loaded, the warnings are issued with a subclass of
    both classes, so filters and ``pytest.warns`` on either catch them.
    """


def undefined_metric_warning():
    """The category of an undefined-metric warning: :class:`UndefinedMetricWarning`, or, when
    ``sklearn.exceptions`` is loaded, a subclass of it and of scikit-learn's class. scikit-learn
    is never imported here: code that filters on its class has loaded it already."""
    theirs = getattr(sys.modules.get("sklearn.exceptions"), "UndefinedMetricWarning", None)
    return UndefinedMetricWarning if theirs is None else _with_theirs(theirs)


@functools.cache
def _with_theirs(theirs):
    return type(
        "UndefinedMetricWarning",
        (UndefinedMetricWarning, theirs),
        {"__module__": __name__, "__doc__": UndefinedMetricWarning.__doc__},
    )


class ZeroWeightsError(ValueError, ZeroDivisionError):
    """Every sample weight is zero: a ValueError (as fastinit refuses arguments) that is also the
    ZeroDivisionError scikit-learn's ``top_k_accuracy_score`` raises there (``np.average``)."""


class NotNumericError(TypeError, ValueError):
    """Scores, probabilities or targets that are not real numbers: a TypeError (a wrong dtype)
    that is also the ValueError scikit-learn raises when it fails to convert them."""


class SparseInputError(TypeError, ValueError):
    """A scipy.sparse matrix where scikit-learn's function takes dense arrays only: a TypeError
    (a wrong type) that is also a ValueError, as scikit-learn's ``InvalidParameterError`` is."""


class ComplexWeightsError(TypeError, ValueError):
    """Complex sample weights: a TypeError (a wrong dtype) and the ValueError scikit-learn
    raises for them."""


class DaskUnsupportedError(NotImplementedError, ValueError):
    """Input that the metrics of dask arrays refuse although the in-memory function takes it
    (label indicator matrices, negative weights of a median): a NotImplementedError, since the
    input itself may be fine, and a ValueError, as fastinit refuses arguments, so code that
    catches the in-memory refusals of bad input catches it too."""
