"""fastinit.metrics.top_k_accuracy_score (_ranking.py) against scikit-learn, ties included."""

import numpy as np
import pytest

from tests.sklearn_oracle import compare

pytest.importorskip("sklearn.metrics")


def test_top_k_accuracy():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 4))
    scores[:5, :2] = 0.5  # ties
    t = rng.integers(0, 4, 50)
    for k in (1, 2, 3):
        compare("top_k_accuracy_score", t, scores, k=k)
        compare(
            "top_k_accuracy_score", t, scores, k=k, normalize=False, sample_weight=rng.random(50)
        )
    compare("top_k_accuracy_score", t, scores, k=4)
    compare("top_k_accuracy_score", t % 2, scores[:, 0], k=1)
    compare("top_k_accuracy_score", t, scores[:, :3], labels=[0, 1, 2])
