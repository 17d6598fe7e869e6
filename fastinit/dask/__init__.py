"""Scale-out on Dask: random initializers whose chunks are drawn alone, and metrics of dask
arrays computed chunk by chunk.

Initializers (``fastinit.dask.kaiming_normal(shape, chunks=..., seed=...)``, every random
initializer but ``orthogonal``) return lazy dask arrays equal, bit for bit and for any chunking,
to the in-memory result. Metrics (:func:`confusion_matrix`, :func:`regression_stats`) reduce
per-chunk results in a tree. dask is imported on first use (``pip install 'fastinit[dask]'``).

Examples
--------
>>> import dask.array as da
>>> import numpy as np
>>> from fastinit.dask import confusion_matrix
>>> t = da.from_array(np.array([0, 1, 2, 2, 1]), chunks=2)
>>> p = da.from_array(np.array([0, 2, 2, 2, 1]), chunks=2)
>>> confusion_matrix(t, p, num_classes=3)
array([[1, 0, 0],
       [0, 1, 1],
       [0, 0, 2]])
"""

from ._init import (
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    sparse,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)
from ._metrics import confusion_matrix, regression_stats

__all__ = [
    "uniform", "normal", "trunc_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "lecun_uniform", "lecun_normal", "variance_scaling", "sparse",
    "confusion_matrix", "regression_stats",
]  # fmt: skip
