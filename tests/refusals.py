"""Assertions shared by the refusal tests of the initializers and of the random streams."""

import numpy as np
import pytest


def refused_writing_nothing(call, error, fragment, *, shape, fill):
    """``call(out)`` raises ``error`` matching ``fragment`` and leaves ``out``, a float32 array
    of ``shape`` full of ``fill``, as it was."""
    out = np.full(shape, fill, np.float32)
    with pytest.raises(error, match=fragment):
        call(out)
    assert np.all(out == fill)
