"""torch's default initialization, layer type by layer type, as data: which initializer each
parameter and buffer gets.

Each rule reads only shapes and module attributes, never values, so it applies as well to a
module built on the meta device. The distributions and bounds are the ones torch's
``reset_parameters`` (or ``_reset_parameters``) of the same layer draws.
"""

import math
from typing import NamedTuple

from torch import nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd

from ..init import compute_fans


class Rule(NamedTuple):
    """Initialize a tensor with ``scheme(**kwargs)``; then zero row ``zero_row`` if not None
    (an embedding's padding index)."""

    scheme: str
    kwargs: dict
    zero_row: int | None = None


ONES, ZEROS = Rule("constant", {"value": 1.0}), Rule("zeros", {})


def _symmetric_uniform(bound):
    # torch draws U(-0, 0) for an empty fan; that is zeros
    return Rule("uniform", {"low": -bound, "high": bound}) if bound > 0 else ZEROS


def _weight_and_bias(module):
    """Linear and convolutions: kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), and the
    bias U(+-1/sqrt(fan_in)) with the weight's fan_in."""
    rules = {"weight": Rule("kaiming_uniform", {"a": math.sqrt(5)})}
    if module.bias is not None:
        fan_in = compute_fans(tuple(module.weight.shape))[0] if module.weight.dim() >= 2 else 0
        rules["bias"] = _symmetric_uniform(1 / math.sqrt(fan_in) if fan_in > 0 else 0.0)
    return rules


def _bilinear(module):
    bound = 1 / math.sqrt(module.weight.shape[1])
    rules = {"weight": _symmetric_uniform(bound)}
    if module.bias is not None:
        rules["bias"] = _symmetric_uniform(bound)
    return rules


def _embedding(module):
    return {"weight": Rule("normal", {}, module.padding_idx)}


def _affine(module, present):
    """Norm layers: weight ones and bias zeros, when the module has them."""
    if not present:
        return {}
    rules = {"weight": ONES}
    if getattr(module, "bias", None) is not None:
        rules["bias"] = ZEROS
    return rules


def _batch_norm(module):
    rules = _affine(module, module.affine)
    if module.track_running_stats:
        rules |= {"running_mean": ZEROS, "running_var": ONES, "num_batches_tracked": ZEROS}
    return rules


def _recurrent(module):
    """RNN, LSTM, GRU and their cells: every parameter U(+-1/sqrt(hidden_size))."""
    bound = 1 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
    return {name: _symmetric_uniform(bound) for name, _ in module.named_parameters(recurse=False)}


def _attention(module):
    """MultiheadAttention: Xavier-uniform projections, zero biases (its out_proj's included,
    overriding that Linear's own rule), Xavier-normal bias_k and bias_v."""
    xavier = Rule("xavier_uniform", {})
    if module._qkv_same_embed_dim:
        rules = {"in_proj_weight": xavier}
    else:
        rules = {name: xavier for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight")}
    if module.in_proj_bias is not None:
        rules |= {"in_proj_bias": ZEROS, "out_proj.bias": ZEROS}
    for name in ("bias_k", "bias_v"):
        if getattr(module, name) is not None:
            rules[name] = Rule("xavier_normal", {})
    return rules


def _transformer(module):
    """nn.Transformer: Xavier-uniform for every parameter of 2 or more dimensions inside it,
    overriding its layers' own rules."""
    xavier = Rule("xavier_uniform", {})
    return {name: xavier for name, p in module.named_parameters() if p.dim() > 1}


# Checked in order, by isinstance: subclasses (NonDynamicallyQuantizableLinear, LazyLinear once
# materialized, SyncBatchNorm...) follow their base's rule, as they do in torch.
RULES = (
    (nn.Linear, _weight_and_bias),
    (_ConvNd, _weight_and_bias),
    (nn.Bilinear, _bilinear),
    (nn.Embedding, _embedding),
    (nn.EmbeddingBag, _embedding),
    (nn.LayerNorm, lambda m: _affine(m, m.elementwise_affine)),
    (nn.GroupNorm, lambda m: _affine(m, m.affine)),
    (_NormBase, _batch_norm),
    (nn.RNNBase, _recurrent),
    (nn.RNNCellBase, _recurrent),
    (nn.PReLU, lambda m: {"weight": Rule("constant", {"value": float(m.init)})}),
    (nn.MultiheadAttention, _attention),
    (nn.Transformer, _transformer),
)
if hasattr(nn, "RMSNorm"):  # torch >= 2.4
    RULES += ((nn.RMSNorm, lambda m: _affine(m, m.elementwise_affine)),)


def rules_for(module):
    """``{name relative to module: Rule}`` for a module torch knows, else None."""
    for kind, rules in RULES:
        if isinstance(module, kind):
            return rules(module)
    return None
