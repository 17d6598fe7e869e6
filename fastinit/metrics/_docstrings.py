"""Docstring sections that several metric functions share, written once and filled in at import.

A docstring names a shared section by a placeholder alone on its line, ``{name}`` with a key of
:data:`SECTIONS`; :func:`shared_sections` replaces the line with the section, indented as the
placeholder was. The function itself is unchanged, so ``help()`` and the doctests show the
complete text, and so does the API reference: its griffe extension (docs/_runtime_docstrings.py)
takes such docstrings from the imported functions.
"""

import re
import textwrap

_Y_LABELS = """\
y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
    Labels, or 0/1 label indicator matrices."""
_Y_TARGETS = "y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)"
_SAMPLE_WEIGHT = "sample_weight : array-like of shape (n_samples,), optional"
_ZERO_DIVISION = 'zero_division : {"warn", 0.0, 1.0, np.nan}, default "warn"'
_PER_OUTPUT = "float or ndarray of float64"


def _sections(parameters, returns):
    """The Parameters section with the entries ``parameters``, and the Returns section."""
    return "\n".join(["Parameters", "----------", *parameters, "", "Returns", "-------", returns])


SECTIONS = {
    # precision_score, recall_score, f1_score, fbeta_score, jaccard_score
    "one_vs_rest_score": _sections(
        [
            _Y_LABELS,
            "labels : array-like, optional\n    The classes to score.",
            "pos_label : int, float, bool or str, default 1\n"
            '    The positive class when ``average="binary"``.',
            'average : {"binary", "micro", "macro", "weighted", "samples", None}, '
            'default "binary"\n    None returns one score per class.',
            _SAMPLE_WEIGHT,
            _ZERO_DIVISION + "\n"
            '    Value of a score whose denominator is 0 ("warn": 0 and an '
            "``UndefinedMetricWarning``).",
        ],
        "float, or ndarray of float64 when ``average=None``",
    ),
    # mean_squared_error, root_mean_squared_error, mean_absolute_error,
    # mean_absolute_percentage_error, median_absolute_error
    "mean_error": _sections(
        [
            _Y_TARGETS,
            _SAMPLE_WEIGHT,
            'multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)\n'
            "    Return every output's error, their mean, or their weighted mean.",
        ],
        _PER_OUTPUT,
    ),
    # r2_score, explained_variance_score
    "explained_fraction": _sections(
        [
            _Y_TARGETS,
            _SAMPLE_WEIGHT,
            'multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like\n'
            "    Every output's score, their mean, their mean weighted by the variance of\n"
            "    ``y_true``, or their mean weighted by the given array of shape (n_outputs,).",
            "force_finite : bool, default True\n"
            "    Constant ``y_true``: 1.0 for a perfect prediction, else 0.0 (instead of nan or\n"
            "    -inf).",
        ],
        _PER_OUTPUT,
    ),
    # accuracy_score, zero_one_loss
    "sample_fraction": _sections(
        [
            "y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)",
            "normalize : bool, default True\n"
            "    The fraction of samples (True) or their number, weighted (False).",
            _SAMPLE_WEIGHT,
        ],
        "float",
    ),
    # single entries, for docstrings that have their own sections
    "y_labels": _Y_LABELS,
    "sample_weight": _SAMPLE_WEIGHT,
    "zero_division": _ZERO_DIVISION,
}

_PLACEHOLDER = re.compile(r"^([ \t]*)\{(\w+)\}[ \t]*$", re.MULTILINE)


def shared_sections(fn):
    """Fill the ``{name}`` placeholder lines of ``fn``'s docstring (a KeyError names an unknown
    section when the module is imported); returns ``fn`` itself."""

    def section(match):
        return textwrap.indent(SECTIONS[match[2]], match[1])

    fn.__doc__ = _PLACEHOLDER.sub(section, fn.__doc__)
    return fn
