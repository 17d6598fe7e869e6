"""The format of fastinit's random streams: its constants, and the fill kernels' arguments.

One definition for both layers: the kernels (``streams.py``) and the public layer
(``fastinit.random``) import these names from here. Plain Python, no Numba: importing this module
compiles and loads nothing.

The stream format (fixed: changing it changes every value users have seen)
---------------------------------------------------------------------------
Element ``i`` of a stream with key (k0, k1), stream tag ``tag`` and key extension ``ext`` is a
function of those and ``i`` alone, never of the thread count or of where a call starts:

* float32 streams take 4 values from one Philox block, float64 streams 2 (53-bit mantissas need
  two words each). With V values per block and G = :data:`GROUP` blocks per *superblock*,
  ``i = superblock * (V*G) + lane * G + j`` uses block ``superblock * G + j`` and its ``lane``-th
  value. This layout makes every store of the inner loop contiguous, so it vectorizes without
  shuffles.
* The Philox counter of block ``b`` is (b mod 2^32, b div 2^32, tag, ext).
* Normals come from Box-Muller: the first word of a pair gives the radius, the second the angle.
  In float32 the radius uses 31 bits (|z| <= 6.66 reachable, the tail beyond has mass 2.7e-11), in
  float64 53 bits (|z| <= 8.65, tail mass beyond 5.1e-18).
* A truncated-normal draw that falls outside the window is redrawn from the retry counter
  (i mod 2^32, (i div 2^32) | attempt << 24, tag | 2^31, ext), attempts 1, 2, ... in order, with
  the sampler chosen per call (see :data:`TRUNC_NORMAL`, :data:`TRUNC_UNIFORM`, :data:`TRUNC_EXP`).
  In float32 with the normal sampler, attempt 1 yields four candidates (two Box-Muller pairs) and
  the first inside the window is taken; every other attempt yields one float64 candidate.
* Float32 truncated normals on a window inside [-:data:`INVCDF_MAX_Z`, :data:`INVCDF_MAX_Z`]
  standard deviations (the common +-2 std init, and every narrow window there) skip all of the
  above: element ``i`` is ``sqrt(2) erfinv(x)`` with x uniform on
  [erf(alpha/sqrt 2), erf(beta/sqrt 2)) from the top 24 bits of the element's word (the uniform
  stream's layout), so there is no rejection at all.
* Element indices must stay below 2^56 for the truncated normal (the attempt number shares the
  counter's second word) and below 2^62 otherwise (:data:`TRUNC_MAX_STOP`, :data:`MAX_STOP`).
* Derived keys (``Key.fold_in(data)``): the child's three words are the BLAKE2b digest (12
  bytes, personalization ``b"fastinit.fold"``) of the parent's words as little-endian uint32,
  a type byte (``s`` str, ``i`` int, ``b`` bytes) and the data (UTF-8; an int as its shortest
  little-endian two's-complement bytes), read back as three little-endian uint32.
* The arithmetic is part of the format too: every multiply-add of the polynomials and of the
  affine maps (``low + scale * u``, ``mean + std * z``) is one explicit fused multiply-add
  (``_bits.fma``), so values are the same on every CPU, with or without FMA units.
"""

from typing import NamedTuple

GROUP = 256  # blocks per superblock

# Distributions, one fill kernel each (``streams.FILL``).
UNIFORM = 0
NORMAL = 1
TRUNCATED = 2
# float32 truncated normal on a window inside [-INVCDF_MAX_Z, INVCDF_MAX_Z] standard deviations:
# one word per value through the inverse CDF, no rejection.
TRUNCATED_INVCDF = 3

# Samplers for truncated-normal retries (Robert 1995), chosen per call by the caller as the one
# with the highest acceptance rate for the standardized window [alpha, beta].
TRUNC_NORMAL = 0  # redraw a normal, keep it when inside the window
TRUNC_UNIFORM = 1  # uniform proposal on the window, accept with exp((m^2 - x^2) / 2)
TRUNC_EXP = (
    2  # shifted exponential proposal for a window in the upper tail (mirrored for the lower)
)

# Windows holding at least this much normal mass redraw normals; narrower or tail windows use
# Robert's (1995) uniform or exponential proposals.
TRUNC_NORMAL_MIN_MASS = 0.25
# Float32 windows inside [-2.9, 2.9] standard deviations use the inverse CDF (the polynomial
# erfinv_f32 covers |z| <= 2.93).
INVCDF_MAX_Z = 2.9

# Largest block stop: kernels index in int64 (rounding up to superblocks); truncated-normal retries
# keep the attempt number above bit 56 of the counter's index words.
MAX_STOP = 2**62
TRUNC_MAX_STOP = 2**56


class Params(NamedTuple):
    """The ``params`` argument of the fill kernels: six floats, named as the kernels name them.

    By distribution:

    * UNIFORM: ``p0`` = low, ``p1`` = high - low, ``b`` = the cap, the largest output value below
      high (``low + (high - low) * u`` can round up to high); the others are unused.
    * NORMAL: ``p0`` = mean, ``p1`` = std.
    * TRUNCATED: ``p0`` = mean, ``p1`` = std, ``alpha``, ``beta`` the standardized window (for
      :data:`TRUNC_EXP` with ``sign`` -1, the mirrored one), ``a``, ``b`` the absolute bounds.
    * TRUNCATED_INVCDF: as TRUNCATED, but ``alpha``, ``beta`` hold erf(alpha / sqrt 2) and
      erf(beta / sqrt 2), the bounds of the uniform that the inverse CDF maps.

    The kernels take it as a plain tuple of floats: a named tuple would be another Numba type,
    and every fill kernel would be compiled a second time for it.
    """

    p0: float
    p1: float
    alpha: float = 0.0
    beta: float = 0.0
    a: float = 0.0
    b: float = 0.0


class Retry(NamedTuple):
    """The ``retry`` argument of the TRUNCATED fill kernel (None for the others): the retry
    sampler, the sign that mirrors a lower-tail window and the exponential proposal's rate."""

    mode: int
    sign: float = 1.0
    lam: float = 1.0
