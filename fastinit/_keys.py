"""Seeds and keys: what a seed resolves to, and keys derived from keys (``Key.fold_in``).

Public through :mod:`fastinit.random`; the stream format (``kernels/stream_format.py``) fixes
how a derived key is computed.
"""

import hashlib
import numbers
import operator
from typing import NamedTuple

import numpy as np

_NOT_INTS = bool | np.bool_ | np.timedelta64  # Integral (timedelta64) or int-like, yet no ints


def _int(value, name):
    """``value`` as a Python int; bools, floats, strings and timedeltas are refused, not cast."""
    if isinstance(value, _NOT_INTS) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return operator.index(value)


class _KeyWords(NamedTuple):
    k0: int
    k1: int
    ext: int


class Key(_KeyWords):
    """A resolved stream key: the Philox key words and a 32-bit key extension.

    Pass a ``Key`` as ``seed`` to regenerate exactly the same values, e.g. shard by shard.
    Each field is an int in [0, 2**32).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.random import Key, key, uniform
    >>> k = key(np.random.default_rng(0))  # a Generator is consumed once, here
    >>> isinstance(k, Key) and np.array_equal(uniform(5, seed=k), uniform(5, seed=k))
    True
    """

    __slots__ = ()

    def __new__(cls, k0, k1, ext):
        # checked here, once: a word outside 32 bits would otherwise fail deep in a kernel call
        words = []
        for name, value in zip(cls._fields, (k0, k1, ext), strict=True):
            word = _int(value, f"Key.{name}")
            if not 0 <= word < 2**32:
                raise ValueError(f"Key.{name} must be in [0, 2**32), got {word}")
            words.append(word)
        return super().__new__(cls, *words)

    def fold_in(self, data):
        """A child key derived from this key and ``data``: one key per tensor, layer or shard.

        Reusing one seed for several tensors reuses one stream: two tensors of different shapes
        filled from ``seed=0`` start with the same uniforms. Fold a name (or an index) into a
        parent key instead, so that each tensor gets its own stream.

        Parameters
        ----------
        data : str, int or bytes
            What tells the child apart from its siblings: a parameter's qualified name, a layer
            index, a shard number. Strings are encoded as UTF-8; ``"0"``, ``0`` and ``b"0"``
            give three different children.

        Returns
        -------
        Key
            The child. The derivation is part of the stream format: BLAKE2b (12-byte digest,
            personalization ``b"fastinit.fold"``) of the parent's three words (little-endian
            uint32), a type byte (``s``, ``i`` or ``b``) and the data (UTF-8; an int as its
            shortest little-endian two's-complement bytes), read as three little-endian words.
            It is the same on every platform and in every version.

        Examples
        --------
        >>> from fastinit.random import key, normal
        >>> root = key(0)
        >>> w1 = normal((4, 4), seed=root.fold_in("layer1.weight"))
        >>> w2 = normal((4, 4), seed=root.fold_in("layer2.weight"))
        >>> bool((w1 != w2).all())
        True
        >>> root.fold_in("a") == key(0).fold_in("a")
        True
        """
        return Key(*_fold_words(self, data))


def _fold_bytes(data):
    """``data`` as (type byte, payload) for :meth:`Key.fold_in`; the type byte separates
    ``"0"``, ``0`` and ``b"0"``."""
    if isinstance(data, str):
        return b"s", data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return b"b", bytes(data)
    if isinstance(data, numbers.Integral) and not isinstance(data, _NOT_INTS):
        value = operator.index(data)
        return b"i", value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    raise TypeError(f"fold_in data must be a str, an int or bytes, got {type(data).__name__}")


def _fold_words(parent, data):
    kind, payload = _fold_bytes(data)
    digest = hashlib.blake2b(digest_size=12, person=b"fastinit.fold")
    digest.update(np.asarray(parent, dtype="<u4").tobytes())
    digest.update(kind)
    digest.update(payload)
    return (int(w) for w in np.frombuffer(digest.digest(), dtype="<u4"))


def _check_seed(seed):
    """Refuse a ``seed`` of the wrong kind, without drawing anything from it."""
    if isinstance(seed, Key):
        Key(*seed)  # fields changed through _replace or _make bypass Key's checks
    elif isinstance(seed, _NOT_INTS) or not (
        seed is None
        or isinstance(seed, numbers.Integral | np.random.Generator | np.random.SeedSequence)
    ):
        raise TypeError(
            "seed must be None, an int, a numpy.random.SeedSequence, a numpy.random.Generator "
            f"or a fastinit.random.Key; got {type(seed).__name__}"
        )
    elif isinstance(seed, numbers.Integral) and seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")


def key(seed=None):
    """Resolve ``seed`` into a :class:`Key`.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence, numpy.random.Generator or Key
        ``None`` draws fresh OS entropy; an int (>= 0) or a SeedSequence is hashed by NumPy's
        SeedSequence; a Generator is advanced by one draw (so repeated calls differ, as with
        NumPy); a Key is returned as is. NumPy's global state is never touched.

    Examples
    --------
    >>> from fastinit.random import key
    >>> key(42) == key(42)
    True
    >>> key(key(7)) == key(7)
    True
    """
    _check_seed(seed)
    if isinstance(seed, Key):
        return Key(*seed)
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=3, dtype=np.uint64)
    elif isinstance(seed, np.random.SeedSequence):
        words = seed.generate_state(3, np.uint32)
    else:  # None or an int
        seq = np.random.SeedSequence(None if seed is None else int(seed))
        words = seq.generate_state(3, np.uint32)
    return Key(*(int(w) for w in words))
