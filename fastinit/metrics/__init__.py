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

from . import (
    _auc,
    _curves,
    _precision_recall,
    _probabilistic,
    _ranking,
    _report,
    _streaming_ranking,
    classification,
    regression,
    streaming,
)
from ._auc import *  # noqa: F403
from ._curves import *  # noqa: F403
from ._exceptions import UndefinedMetricWarning
from ._precision_recall import *  # noqa: F403
from ._probabilistic import *  # noqa: F403
from ._ranking import *  # noqa: F403
from ._report import *  # noqa: F403
from ._streaming_ranking import *  # noqa: F403
from .classification import *  # noqa: F403
from .regression import *  # noqa: F403
from .streaming import *  # noqa: F403

# each module lists its public names once; the package exports them all
__all__ = [
    "UndefinedMetricWarning",
    *classification.__all__,
    *_precision_recall.__all__,
    *_report.__all__,
    *_ranking.__all__,
    *_auc.__all__,
    *_curves.__all__,
    *_probabilistic.__all__,
    *regression.__all__,
    *streaming.__all__,
    *_streaming_ranking.__all__,
]
