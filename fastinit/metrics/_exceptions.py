"""The warning and the errors of fastinit.metrics beyond plain ValueError and TypeError.

Each error class is a ValueError or TypeError, as fastinit refuses arguments, and also the
exception scikit-learn raises in the same case, so code written against either catches it.
"""


class UndefinedMetricWarning(UserWarning):
    """A metric is ill-defined (a zero division) and was set by ``zero_division``.

    fastinit's own class (scikit-learn is not a dependency); it plays the role of
    ``sklearn.exceptions.UndefinedMetricWarning`` and subclasses :class:`UserWarning` like it.
    """


class ZeroWeightsError(ValueError, ZeroDivisionError):
    """Every sample weight is zero: a ValueError (as fastinit refuses arguments) that is also the
    ZeroDivisionError scikit-learn's ``top_k_accuracy_score`` raises there (``np.average``)."""


class ComplexWeightsError(TypeError, ValueError):
    """Complex sample weights: a TypeError (a wrong dtype) and the ValueError scikit-learn
    raises for them."""


class DaskUnsupportedError(NotImplementedError, ValueError):
    """Input that the metrics of dask arrays refuse although the in-memory function takes it
    (label indicator matrices, negative weights of a median): a NotImplementedError, since the
    input itself may be fine, and a ValueError, as fastinit refuses arguments, so code that
    catches the in-memory refusals of bad input catches it too."""
