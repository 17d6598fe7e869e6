"""Slow, obviously-correct oracles for the random streams (plain Python integers and floats)."""

import math

MASK32 = 0xFFFFFFFF


def philox4x32_10(counter, key):
    """Philox4x32-10 written from the paper's description, on Python ints."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for round_index in range(10):
        if round_index:
            k0 = (k0 + 0x9E3779B9) & MASK32
            k1 = (k1 + 0xBB67AE85) & MASK32
        product0 = 0xD2511F53 * c0
        product1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (
            (product1 >> 32) ^ c1 ^ k0,
            product1 & MASK32,
            (product0 >> 32) ^ c3 ^ k1,
            product0 & MASK32,
        )
    return c0, c1, c2, c3


def stream_words(index, key, *, per_block, group=256, tag=0, ext=0):
    """The Philox words of the block holding stream element ``index`` and the element's lane."""
    width = per_block * group
    superblock, rest = divmod(index, width)
    lane, j = divmod(rest, group)
    block = superblock * group + j
    words = philox4x32_10((block & MASK32, block >> 32, tag, ext), key)
    return words, lane


def uniform_f32(index, key, **kw):
    """Float32 uniform element: the top 24 bits of the lane's word, times 2^-24."""
    words, lane = stream_words(index, key, per_block=4, **kw)
    return (words[lane] >> 8) * 2.0**-24


def uniform_f64(index, key, **kw):
    """Float64 uniform element: 27 + 26 bits of the lane's word pair, times 2^-53."""
    words, lane = stream_words(index, key, per_block=2, **kw)
    hi, lo = words[2 * lane], words[2 * lane + 1]
    return ((hi >> 5) * 2**26 + (lo >> 6)) * 2.0**-53


def normal_f64(index, key, **kw):
    """Float64 normal element by Box-Muller with libm log/sin/cos (the kernel uses polynomials)."""
    words, lane = stream_words(index, key, per_block=2, **kw)
    w0, w1, w2, w3 = words
    u = (((w0 >> 5) * 2**26 + (w1 >> 6)) + 0.5) * 2.0**-53
    radius = math.sqrt(-2.0 * math.log(u))
    fraction = ((w2 & 0x3FFFFFFF) * 2**23 + (w3 >> 9)) * 2.0**-53
    quadrant = w2 >> 30
    angle = (fraction - 0.5) * math.pi / 2 + quadrant * math.pi / 2
    return radius * (math.cos(angle) if lane == 0 else math.sin(angle))
