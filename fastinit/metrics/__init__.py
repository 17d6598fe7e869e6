"""Confusion-matrix and regression metrics: scikit-learn's names and results, compiled kernels.

``import fastinit.metrics as M`` can replace ``sklearn.metrics`` for the functions below: same
names, arguments, defaults, return types and values (scikit-learn is a test oracle here, never a
dependency). Labels are counted once into a confusion matrix by a multi-threaded kernel and every
metric is derived from it; :class:`ConfusionMatrix` and :class:`RegressionStats` accumulate the
same statistics over batches.

>>> import fastinit.metrics as M
>>> M.f1_score([0, 1, 1, 0], [0, 1, 0, 0])
0.6666666666666666
"""

from ._exceptions import UndefinedMetricWarning
from ._precision_recall import (
    f1_score,
    fbeta_score,
    jaccard_score,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)
from ._ranking import top_k_accuracy_score
from ._report import classification_report
from .classification import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    hamming_loss,
    matthews_corrcoef,
    multilabel_confusion_matrix,
    zero_one_loss,
)
from .regression import (
    explained_variance_score,
    max_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    median_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from .streaming import ConfusionMatrix, RegressionStats

__all__ = [
    "UndefinedMetricWarning",
    "confusion_matrix",
    "multilabel_confusion_matrix",
    "accuracy_score",
    "balanced_accuracy_score",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "f1_score",
    "fbeta_score",
    "jaccard_score",
    "matthews_corrcoef",
    "cohen_kappa_score",
    "classification_report",
    "hamming_loss",
    "zero_one_loss",
    "top_k_accuracy_score",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "median_absolute_error",
    "max_error",
    "r2_score",
    "explained_variance_score",
    "ConfusionMatrix",
    "RegressionStats",
]
