"""Variance propagation: predict, measure, diagnose and fix vanishing/exploding signals.

* :func:`theory` - mean-field prediction of the forward variance q^l and the gradient factor
  chi^l at every layer, for a whole grid of (sigma_w2, sigma_b2, q0) in one call;
  :func:`critical_sigma_w2` and :func:`fixed_point` for the order-to-chaos boundary.
* :func:`simulate` - the same quantities measured on real random networks built with
  fastinit's initializers (several networks per call, forward and backward).
* :func:`diagnose` - verdict (stable / vanishing / exploding), first failing layer, the gain
  that makes the network critical, a terminal table and a plot.
* :class:`ResidualStack` (of :class:`MLPBranch` and :class:`AttentionBranch`) - pre- or
  post-norm residual stacks; :func:`theory` and :func:`simulate` take one in place of an
  activation and report variance, token correlation and gradients per block.
* :func:`lsuv` - layer-sequential unit-variance initialization (Mishkin & Matas 2016), in place.

The guides with the theory and the reproduced published results are ``docs/propagation.md``
and ``docs/stacks.md``.
"""

from ._block_simulation import BlockSimulationResult
from ._block_theory import BlockTheoryResult
from ._blocks import AttentionBranch, MLPBranch, ResidualStack
from ._depth import (
    DeepNorm,
    DeepNormStack,
    TFixup,
    deepnorm,
    fixup_scale,
    skipinit_alpha,
    tfixup,
    zero_init,
)
from ._diagnosis import HEALTHY_BAND, Diagnosis, diagnose
from ._lsuv import lsuv
from ._mup import CoordCheck, LayerScales, MupScales, coord_check, mup_scales
from ._simulation import SimulationResult, simulate
from ._theory import TheoryResult, critical_sigma_w2, fixed_point, theory

__all__ = [
    "theory", "TheoryResult", "critical_sigma_w2", "fixed_point", "simulate", "SimulationResult",
    "diagnose", "Diagnosis", "HEALTHY_BAND", "lsuv",
    "ResidualStack", "MLPBranch", "AttentionBranch", "BlockTheoryResult", "BlockSimulationResult",
    "deepnorm", "DeepNorm", "DeepNormStack", "tfixup", "TFixup", "fixup_scale", "skipinit_alpha",
    "zero_init", "mup_scales", "MupScales", "LayerScales", "coord_check", "CoordCheck",
]  # fmt: skip
