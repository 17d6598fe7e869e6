"""Depth-aware initialization: DeepNorm, T-Fixup, Fixup, SkipInit/ReZero and ZerO.

Each scheme makes a deep residual (or plain) network start close to a function whose output
does not grow with depth, by one of three means: shrink the residual branches (DeepNorm's beta,
T-Fixup, Fixup), weight the skip path up (DeepNorm's alpha), or start every branch at exactly zero
(SkipInit, ReZero, Fixup's last layer). ZerO goes further and makes the whole network a
deterministic identity-like map. The formulas and their sources are in ``docs/depth.md``.
"""

import math
from typing import NamedTuple

import numpy as np

from .. import _checks, _output


class DeepNormStack(NamedTuple):
    """DeepNorm's two constants for one stack (encoder or decoder).

    Attributes
    ----------
    alpha : float
        Multiplies the skip path inside the post-norm: ``x = LayerNorm(alpha * x + f(x))``.
    beta : float
        Xavier-normal gain of the feed-forward weights and of the attention's value and output
        projections (the query and key projections keep gain 1).
    """

    alpha: float
    beta: float


class DeepNorm(NamedTuple):
    """:func:`deepnorm`'s answer: the constants of each stack, None for an absent stack."""

    encoder: DeepNormStack | None
    decoder: DeepNormStack | None


class TFixup(NamedTuple):
    """:func:`tfixup`'s answer: weight multipliers per stack, None for an absent stack.

    Attributes
    ----------
    encoder, decoder : float or None
        Multiply the Xavier-initialized value and output projections of every attention block
        and both weights of every MLP block of that stack by this.
    encoder_embedding, decoder_embedding : float or None
        Multiply the N(0, d^-1/2) token embeddings of that stack by this.
    """

    encoder: float | None
    decoder: float | None
    encoder_embedding: float | None
    decoder_embedding: float | None


# the largest layer count, branch count or width accepted (int64, as simulate's widths): the
# formulas convert counts to floats, which a much larger Python int would overflow
MAX_COUNT = 2**63 - 1


def bounded_count(value, name):
    """``value`` as an int in [1, MAX_COUNT]."""
    count = _checks.positive_int(value, name)
    if count > MAX_COUNT:
        raise ValueError(f"{name} must be at most 2**63 - 1, got {count}")
    return count


def _layer_counts(encoder_layers, decoder_layers):
    """(N, M) as positive ints or None; at least one of them must be given."""
    if encoder_layers is None and decoder_layers is None:
        raise ValueError(
            "give encoder_layers, decoder_layers or both (the number of layers of each stack)"
        )
    n = None if encoder_layers is None else bounded_count(encoder_layers, "encoder_layers")
    m = None if decoder_layers is None else bounded_count(decoder_layers, "decoder_layers")
    return n, m


def deepnorm(*, encoder_layers=None, decoder_layers=None):
    """DeepNorm's residual multiplier alpha and init gain beta (Wang et al. 2022, DeepNet).

    A DeepNorm sub-layer (attention or feed-forward) computes ``x = LayerNorm(alpha * x + f(x))``:
    a post-norm block whose skip path is weighted up by alpha. The weights of the feed-forward
    network and the value and output projections of attention are Xavier-normal with gain beta;
    the query and key projections keep gain 1. Together they bound the size of each update to
    the model so that post-norm Transformers of hundreds of layers train without warm-up.

    | architecture             | alpha                 | beta                   |
    |--------------------------|-----------------------|------------------------|
    | encoder only (N layers)  | (2N)^(1/4)            | (8N)^(-1/4)            |
    | decoder only (M layers)  | (2M)^(1/4)            | (8M)^(-1/4)            |
    | encoder of enc.-dec.     | 0.81 (N^4 M)^(1/16)   | 0.87 (N^4 M)^(-1/16)   |
    | decoder of enc.-dec.     | (3M)^(1/4)            | (12M)^(-1/4)           |

    Parameters
    ----------
    encoder_layers : int, optional
        N, the number of encoder layers (each with an attention and a feed-forward sub-layer).
    decoder_layers : int, optional
        M, the number of decoder layers. Give one of the two for a single stack, both for an
        encoder-decoder model.

    Returns
    -------
    DeepNorm
        ``.encoder`` and ``.decoder``, each a :class:`DeepNormStack` ``(alpha, beta)`` or None.

    Notes
    -----
    The table is the paper's. Microsoft's torchscale divides the encoder weights of an
    encoder-decoder model by ``(N^4 M)^(1/16) / 1.15``, that is a beta of
    ``1.15 (N^4 M)^(-1/16)`` rather than the paper's 0.87 (= 1/1.15); the other three rows agree.

    Examples
    --------
    >>> from fastinit.propagation import deepnorm
    >>> enc = deepnorm(encoder_layers=18).encoder
    >>> round(enc.alpha, 4), round(enc.beta, 4)
    (2.4495, 0.2887)
    >>> both = deepnorm(encoder_layers=6, decoder_layers=6)
    >>> round(both.encoder.alpha, 4), round(both.decoder.beta, 4)
    (1.4179, 0.3433)
    """
    n, m = _layer_counts(encoder_layers, decoder_layers)
    if n is not None and m is not None:
        depth = float(n) ** 0.25 * float(m) ** 0.0625  # (N^4 M)^(1/16), without N^4 overflowing
        return DeepNorm(
            DeepNormStack(0.81 * depth, 0.87 / depth),
            DeepNormStack((3.0 * m) ** 0.25, (12.0 * m) ** -0.25),
        )
    layers = n if n is not None else m
    stack = DeepNormStack((2.0 * layers) ** 0.25, (8.0 * layers) ** -0.25)
    return DeepNorm(stack, None) if n is not None else DeepNorm(None, stack)


def tfixup(*, encoder_layers=None, decoder_layers=None):
    """T-Fixup's weight multipliers (Huang et al. 2020), for Transformers without LayerNorm.

    T-Fixup removes layer normalization and learning-rate warm-up from a Transformer by
    initializing it so that the size of its first updates is bounded:

    1. every weight is Xavier-initialized except the token embeddings, which are Gaussian with
       standard deviation d^-1/2 (d the embedding dimension);
    2. in each encoder layer, the value and output projections of attention and both MLP weights
       are multiplied by ``0.67 N^(-1/4)``;
    3. in each decoder layer, the value and output projections of self- and cross-attention and
       both MLP weights are multiplied by ``(9M)^(-1/4)``;
    4. the token embeddings are multiplied by ``(9N)^(-1/4)`` (encoder) and ``(9M)^(-1/4)``
       (decoder).

    Query and key projections are not scaled.

    Parameters
    ----------
    encoder_layers : int, optional
        N, the number of encoder layers.
    decoder_layers : int, optional
        M, the number of decoder layers. At least one of the two.

    Returns
    -------
    TFixup
        ``.encoder``, ``.decoder``, ``.encoder_embedding``, ``.decoder_embedding``; None for an
        absent stack.

    Notes
    -----
    The paper states the scheme for an encoder-decoder model whose stacks have the same depth;
    each stack's own layer count is used here, as in the authors' fairseq code (which also
    multiplies the value projection by sqrt(2) to undo fairseq's Xavier gain of 1/sqrt(2) on it:
    the net gain is the one above).

    Examples
    --------
    >>> from fastinit.propagation import tfixup
    >>> s = tfixup(encoder_layers=6, decoder_layers=6)
    >>> round(s.encoder, 4), round(s.decoder, 4), round(s.decoder_embedding, 4)
    (0.4281, 0.3689, 0.3689)
    >>> tfixup(decoder_layers=12).encoder is None
    True
    """
    n, m = _layer_counts(encoder_layers, decoder_layers)
    encoder = None if n is None else 0.67 * n**-0.25
    decoder = None if m is None else (9.0 * m) ** -0.25
    encoder_embedding = None if n is None else (9.0 * n) ** -0.25
    return TFixup(encoder, decoder, encoder_embedding, decoder)


def fixup_scale(n_branches, branch_layers):
    """Fixup's multiplier for the weight layers inside residual branches (Zhang et al. 2019).

    Fixup trains deep residual networks without normalization:

    1. the classification layer and the last layer of every residual branch start at zero;
    2. every other layer is initialized by a standard method (e.g. He's), and the weight layers
       inside residual branches are then multiplied by ``L^(-1/(2m-2))``, where L is the number
       of residual branches and m the number of layers in each;
    3. a scalar multiplier (starting at 1) is added in every branch, and a scalar bias (starting
       at 0) before each convolution, linear and element-wise activation layer.

    Parameters
    ----------
    n_branches : int
        L, the number of residual branches (blocks) in the network.
    branch_layers : int
        m >= 2, the number of weight layers in each branch (2 for a basic ResNet block, 3 for
        a bottleneck block).

    Returns
    -------
    float
        ``L ** (-1 / (2 * m - 2))``.

    Examples
    --------
    >>> from fastinit.propagation import fixup_scale
    >>> round(fixup_scale(54, 2), 4)        # ResNet-110: 54 basic blocks
    0.1361
    >>> round(fixup_scale(16, 3), 4)        # ResNet-50: 16 bottleneck blocks
    0.5
    """
    n_branches = bounded_count(n_branches, "n_branches")
    branch_layers = bounded_count(branch_layers, "branch_layers")
    if branch_layers == 1:
        # 2m - 2 = 0: and a one-layer branch has nothing to scale, its only layer is its last,
        # which Fixup sets to zero
        raise ValueError(
            "branch_layers must be >= 2, got 1: L^(-1/(2m-2)) is undefined for m = 1, and a "
            "one-layer branch has no layer to scale (its last layer starts at zero)"
        )
    return float(n_branches) ** (-1.0 / (2 * branch_layers - 2))


def skipinit_alpha():
    """The starting value of the residual-branch multiplier of SkipInit and ReZero: 0.

    SkipInit (De & Smith 2020) puts a learnable scalar alpha at the end of every residual
    branch, ``x + alpha * f(x)``, and starts it at 0; ReZero (Bachlechner et al. 2020) does the
    same for every layer, Transformers included, and drops the normalization. With alpha = 0
    every block is the identity at initialization, whatever its depth and its weights, so the
    signal and its gradient pass unchanged; the gradient with respect to alpha is
    ``<dL/dx, f(x)>``, generally not zero, so the branches switch on as training starts.

    Returns
    -------
    float
        0.0

    Examples
    --------
    >>> from fastinit.propagation import skipinit_alpha
    >>> skipinit_alpha()
    0.0
    """
    return 0.0


def zero_init(shape, *, dtype=None, out=None):
    """ZerO initialization (Zhao et al. 2021): a deterministic matrix of zeros and +-1 (scaled).

    For a weight of PyTorch's shape ``(P, Q) = (out, in)`` (Algorithm 1 of the paper):

    * ``P == Q``: the identity;
    * ``P < Q``: the partial identity (ones on the main diagonal, as :func:`fastinit.eye`);
    * ``P > Q``: ``c * H[:P, :Q]``, the top-left block of the Sylvester Hadamard matrix H of
      order 2^m with ``m = ceil(log2(P))``, scaled by ``c = 2^(-(m-1)/2)``.

    When P is a power of two the columns of the expanding case are orthogonal, each of squared
    norm ``c^2 P = 2``, so ``||W x||^2 = 2 ||x||^2`` exactly: a layer that doubles the width keeps
    the mean square of the signal per coordinate.

    Parameters
    ----------
    shape : tuple of 2 ints
        ``(out, in)``; may be None when ``out`` is given.
    dtype : float32 (default), float64 or float16
    out : ndarray, optional
        A writable float array of ``shape`` filled in place and returned.

    Returns
    -------
    ndarray

    Notes
    -----
    The authors' MNIST notebook scales the Hadamard block by ``2^(-m/2)`` (orthonormal columns
    when P is a power of two) rather than the paper's ``2^(-(m-1)/2)``; the paper's is used here.
    Only 2-D weights are handled (the paper's Algorithm 2 for convolutions is not).

    Examples
    --------
    >>> from fastinit.propagation import zero_init
    >>> zero_init((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> zero_init((4, 2))                   # m = 2, c = 2^(-1/2)
    array([[ 0.70710677,  0.70710677],
           [ 0.70710677, -0.70710677],
           [ 0.70710677,  0.70710677],
           [ 0.70710677, -0.70710677]], dtype=float32)
    """
    output = _output.resolve(shape, dtype, out)
    if len(output.shape) != 2:
        raise ValueError(f"shape must be 2-D (out, in) for zero_init, got {output.shape}")
    n_out, n_in = output.shape
    if n_out <= n_in:
        from ..init import eye

        return eye(output.shape, dtype=output.dtype, out=out)
    if output.view is None:
        _output.room(output.shape, output.dtype)
    result, target = _output.allocate(output)
    order = math.ceil(math.log2(n_out))
    _fill_hadamard_block(target, 2.0 ** (-(order - 1) / 2.0))
    return result


# rows of the Hadamard block written at a time: bounds the temporary sign array (one byte per
# element) for any output size
_HADAMARD_ROWS_BYTES = 1 << 22


def _hadamard_signs(rows, cols):
    """Parity of popcount(i & j) for i in ``rows``, j in ``cols`` (uint8, 1 where -1).

    Sylvester's H of order 2^m has ``H[i, j] = (-1)^popcount(i & j)``: each doubling step
    H -> [[H, H], [H, -H]] adds one bit to the row and column indices, and flips the sign only
    where both new bits are 1. So any block of H is computed without building H itself.
    """
    parity = np.zeros((rows.size, cols.size), dtype=np.uint8)
    for bit in range(max(int(rows[-1]), int(cols[-1]), 1).bit_length()):
        row_bit = ((rows >> bit) & 1).astype(np.uint8)
        col_bit = ((cols >> bit) & 1).astype(np.uint8)
        parity ^= row_bit[:, None] & col_bit[None, :]
    return parity


def _fill_hadamard_block(target, scale):
    """Write ``scale * H[:P, :Q]`` into the (P, Q) ``target``, a few rows at a time."""
    n_out, n_in = target.shape
    if target.size == 0:
        return
    cols = np.arange(n_in, dtype=np.int64)
    step = max(1, _HADAMARD_ROWS_BYTES // max(n_in, 1))
    values = np.array([scale, -scale], dtype=target.dtype)
    for start in range(0, n_out, step):
        rows = np.arange(start, min(start + step, n_out), dtype=np.int64)
        target[start : start + rows.size] = values[_hadamard_signs(rows, cols)]
