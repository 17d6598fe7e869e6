"""Initializing torch tensors and whole modules from fastinit's streams.

A module's parameters are planned first (which initializer each one gets, by torch's rule for
its layer or by ``scheme=``), every plan is checked, and only then is anything written: a call
that raises leaves the module as it was. Each tensor is drawn from its own key, the root key
folded with the tensor's qualified name, so its values depend on that name and the seed only.
"""

import warnings

import torch
from torch import nn

from .. import _checks, _threads
from ._rules import ZEROS, Rule, rules_for
from ._tensors import (
    SHARDABLE,
    check_kwargs,
    check_scheme_for,
    check_tensor,
    fill,
    rehearse,
    resolve_key,
    scheme_function,
)

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def init_(tensor, scheme, *, seed=None, **kwargs):
    """Fill ``tensor`` in place with the fastinit initializer named ``scheme``; return it.

    Parameters
    ----------
    tensor : torch.Tensor
        A float16, bfloat16, float32 or float64 tensor on any device, an ``nn.Parameter``
        included, any strides. CPU float16/32/64 tensors are filled in place through a NumPy
        view of their memory; bfloat16 tensors and tensors on other devices are drawn on the
        host (bfloat16 in float32) and copied in, rounding to nearest even, so a tensor gets
        the same bits on every device.
    scheme : str
        The name of an initializer of :mod:`fastinit.init` (``"kaiming_uniform"``,
        ``"trunc_normal"``, ``"orthogonal"``, ...); torch's trailing underscore is accepted.
    seed : None, int, SeedSequence, Generator or fastinit.random.Key
        As for fastinit's NumPy functions: the same seed gives the same values as
        ``fastinit.<scheme>(tensor.shape, seed=seed, ...)``. ``None`` draws the key from
        torch's default generator, so ``torch.manual_seed`` makes runs repeat.
    **kwargs
        The initializer's own arguments (``std=``, ``a=``, ``mode=``, ``gain=`` ...).

    Returns
    -------
    torch.Tensor
        ``tensor``.

    Raises
    ------
    TypeError
        For a non-tensor, an integer, complex or sparse tensor, or an argument the initializer
        does not take (``shape``, ``dtype``, ``out`` and ``seed`` are set by ``init_``).
    ValueError
        For a meta tensor, an expanded view, an unknown scheme, a fan-based scheme on a tensor
        of fewer than 2 dimensions, or a bad initializer argument.

    Examples
    --------
    >>> import torch, fastinit, fastinit.torch
    >>> layer = torch.nn.Linear(64, 32)
    >>> w = fastinit.torch.init_(layer.weight, "kaiming_normal", nonlinearity="relu", seed=0)
    >>> w is layer.weight
    True
    >>> bool((w.detach().numpy() == fastinit.kaiming_normal((32, 64), nonlinearity="relu",
    ...                                                    seed=0)).all())
    True
    >>> fastinit.torch.init_(torch.empty(3, 4, dtype=torch.bfloat16), "trunc_normal",
    ...                      std=0.02, a=-0.04, b=0.04, seed=1).dtype
    torch.bfloat16
    """
    scheme = scheme_function(scheme)
    check_kwargs(scheme, kwargs)
    check_tensor(tensor)
    check_scheme_for(tensor, scheme)
    if seed is None:  # a refused call must not have drawn from torch's generator
        rehearse(tensor, scheme, kwargs)
    return fill(tensor, scheme, kwargs, resolve_key(seed))


def init_shard_(local_tensor, global_shape, offsets, scheme, *, seed, name=None, **kwargs):
    """Fill one shard of a tensor, so that the shards of any split equal the whole tensor.

    ``local_tensor`` holds the box ``[offsets[d], offsets[d] + local_tensor.shape[d])`` of a
    tensor of ``global_shape``; it gets exactly those values of
    ``init_(whole, scheme, seed=key(seed).fold_in(name), **kwargs)`` (with ``name=None``,
    ``seed=seed``), which is also what :func:`init_module_` gives a parameter called ``name``.
    So the shards of any world size and any placement (rows, columns, a grid) put together
    equal the single-process tensor bit for bit, and fans come from ``global_shape``, not from
    the shard. Each shard is drawn alone, in time proportional to its size.

    Parameters
    ----------
    local_tensor : torch.Tensor
        This rank's shard (any float dtype, any device, as for :func:`init_`).
    global_shape : tuple of ints
        The shape of the whole tensor.
    offsets : tuple of ints
        Where the shard starts in the whole tensor, one per axis.
    scheme : str
        A random initializer but ``orthogonal`` (an orthogonal matrix has no shards that can
        be drawn alone), or ``"constant"``, ``"zeros"``, ``"ones"``.
    seed : int, SeedSequence or fastinit.random.Key
        Required, and the same on every rank (torch's generator may differ between ranks).
    name : str, optional
        The parameter's name, folded into the key.
    **kwargs
        The initializer's own arguments.

    Returns
    -------
    torch.Tensor
        ``local_tensor``.

    Examples
    --------
    >>> import torch, fastinit, fastinit.torch as ft
    >>> whole = ft.init_(torch.empty(8, 6), "kaiming_normal",
    ...                  seed=fastinit.random.key(0).fold_in("fc.weight"))
    >>> left, right = torch.empty(8, 3), torch.empty(8, 3)  # Shard(1) over two ranks
    >>> _ = ft.init_shard_(left, (8, 6), (0, 0), "kaiming_normal", seed=0, name="fc.weight")
    >>> _ = ft.init_shard_(right, (8, 6), (0, 3), "kaiming_normal", seed=0, name="fc.weight")
    >>> torch.equal(torch.cat([left, right], dim=1), whole)
    True
    """
    scheme = scheme_function(scheme)
    if scheme not in SHARDABLE:
        raise ValueError(
            f"scheme={scheme!r} cannot be drawn shard by shard (every entry of an orthogonal "
            "matrix depends on the whole matrix; eye and dirac depend on the whole shape); "
            f"choose from {sorted(SHARDABLE)}"
        )
    check_kwargs(scheme, kwargs)
    check_tensor(local_tensor, "local_tensor")
    whole = _checks.shape_tuple(global_shape, "global_shape")
    corner = _checks.shape_tuple(offsets, "offsets")
    local = tuple(local_tensor.shape)
    if not len(corner) == len(whole) == len(local):
        raise ValueError(
            f"local_tensor ({len(local)} axes), global_shape {whole} and offsets {corner} "
            "must have one entry per axis"
        )
    if any(o + n > w for o, n, w in zip(corner, local, whole, strict=True)):
        raise ValueError(
            f"a shard of shape {local} at offsets {corner} does not fit in global_shape {whole}"
        )
    check_scheme_for(local_tensor, scheme, "local_tensor")
    rehearse(local_tensor, scheme, kwargs)
    if seed is None:
        raise TypeError("init_shard_ needs an explicit seed, the same on every rank")
    key = resolve_key(seed)
    if name is not None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {type(name).__name__}")
        key = key.fold_in(name)
    region = tuple(slice(o, o + n) for o, n in zip(corner, local, strict=True))
    return fill(local_tensor, scheme, kwargs, key, whole, region)


def _override(scheme):
    """``scheme=`` as a function ``(name, tensor) -> Rule or None``."""
    if scheme is None:
        return lambda name, tensor: None
    if callable(scheme):

        def chosen(name, tensor):
            return None if (answer := scheme(name, tensor)) is None else _rule_of(answer, name)

        return chosen
    rule = _rule_of(scheme, "scheme")
    return lambda name, tensor: rule if tensor.dim() >= 2 else None


def _rule_of(answer, name):
    """A scheme name, or a (name, kwargs) pair, as a checked Rule."""
    if isinstance(answer, str):
        answer = (answer, {})
    if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[1], dict)):
        raise TypeError(
            f"scheme for {name} must be an initializer name or a (name, kwargs) pair, "
            f"got {answer!r}"
        )
    scheme = scheme_function(answer[0], f"scheme for {name}")
    check_kwargs(scheme, answer[1])
    return Rule(scheme, dict(answer[1]))


class _Plan:
    """Every parameter and buffer of a module, each once (tied tensors under their first
    name), with the rule that initializes it, or none."""

    def __init__(self, module, scheme, *, allow_meta):
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        named = [*module.named_parameters(remove_duplicate=False)]
        self.parameters = {id(t): name for name, t in reversed(named)}
        named += [*module.named_buffers(remove_duplicate=False)]
        first = {id(t): name for name, t in reversed(named)}  # the first name of each tensor
        self.canonical = {name: first[id(t)] for name, t in named}
        self.tensors = {name: t for name, t in named if name == first[id(t)]}
        for name, t in self.tensors.items():
            if isinstance(t, nn.parameter.UninitializedTensorMixin):
                raise ValueError(f"{name} is a lazy, uninitialized tensor: run a forward first")
        self.rules, self.unknown = {}, {}
        # descendants before ancestors: a parent's rule (MultiheadAttention's zeroed out_proj
        # bias, Transformer's Xavier weights) overrides its children's, as in torch
        for prefix, child in reversed([*module.named_modules()]):
            own = rules_for(child)
            if own is None:
                for local, _ in child.named_parameters(prefix=prefix, recurse=False):
                    self.unknown[self.canonical[local]] = type(child).__name__
                continue
            for local, rule in own.items():
                self.rules[self.canonical[f"{prefix}.{local}" if prefix else local]] = rule
        override, chosen_by_caller = _override(scheme), set()
        for name in self.parameters.values():
            chosen = override(name, self.tensors[name])
            if chosen is not None:
                self.rules[name] = chosen
                chosen_by_caller.add(name)
        rehearsed = set()
        for name, rule in self.rules.items():
            tensor = self.tensors[name]
            if not tensor.is_floating_point() and rule == ZEROS:
                continue  # a counter buffer (BatchNorm's num_batches_tracked)
            check_tensor(tensor, name, allow_meta=allow_meta)
            check_scheme_for(tensor, rule.scheme, name)
            # torch's rules are known to be valid; the caller's are tried once per kind of
            # tensor (a few hundred parameters share a handful of rules)
            trial = (rule.scheme, repr(rule.kwargs), tensor.dim(), tensor.dtype)
            if name in chosen_by_caller and trial not in rehearsed:
                rehearse(tensor, rule.scheme, rule.kwargs)
                rehearsed.add(trial)

    def untouched(self):
        """{parameter name: module type} of the parameters no rule initializes."""
        return {n: kind for n, kind in self.unknown.items() if n not in self.rules}


def _apply(tensor, rule, key):
    if not tensor.is_floating_point():
        with torch.no_grad():
            tensor.zero_()
        return
    fill(tensor, rule.scheme, rule.kwargs, key)
    if rule.zero_row is not None:
        with torch.no_grad():
            tensor[rule.zero_row].zero_()


def _apply_all(jobs):
    """:func:`_apply` every ``(tensor, rule, key)``, the tensors spread over fastinit's threads,
    largest first; each tensor is filled on one thread. Splitting each tensor instead wakes the
    pool once per tensor: GPT-2 small's 50 weight matrices took 110 ms that way against 92 ms
    for their values in one call (2-core Intel Xeon, where a wake costs some 150 us)."""
    jobs = sorted(jobs, key=lambda job: job[0].numel(), reverse=True)

    def fill_jobs(lo, hi):
        for tensor, rule, key in jobs[lo:hi]:
            _apply(tensor, rule, key)

    _threads.run(fill_jobs, len(jobs), grain=1)


def _warn_untouched(plan, what):
    untouched = plan.untouched()
    if untouched:
        listed = ", ".join(f"{n} ({kind})" for n, kind in untouched.items())
        warnings.warn(
            f"{what}: no initialization rule for {listed}; they were left as they are. Pass "
            "scheme=callable(name, tensor) -> (initializer, kwargs) to initialize them",
            UserWarning,
            stacklevel=3,
        )


def init_module_(module, *, seed=None, scheme=None):
    """Re-initialize a module's parameters and buffers in place, as torch's own layers do.

    Every parameter and buffer that torch's ``reset_parameters`` of its layer would set gets the
    same distribution and bounds as there: Linear, Bilinear, Conv1d/2d/3d and ConvTranspose
    (``kaiming_uniform(a=sqrt(5))`` and ``U(+-1/sqrt(fan_in))`` biases), Embedding and
    EmbeddingBag (``N(0, 1)``, the padding row zeroed), LayerNorm, GroupNorm, RMSNorm and the
    BatchNorm / InstanceNorm family (ones, zeros, running statistics reset), RNN, LSTM, GRU and
    their cells (``U(+-1/sqrt(hidden_size))``, projections included), PReLU,
    MultiheadAttention (Xavier-uniform projections, zero biases, Xavier-normal ``bias_k`` /
    ``bias_v``) and Transformer (Xavier-uniform for every weight inside it); the Transformer
    layers through their submodules.

    Each tensor is drawn from ``key(seed).fold_in(qualified name)`` (``"0.weight"``,
    ``"encoder.layers.3.linear1.bias"``): its values depend on the seed and its name only, not
    on the thread count, the order of modules, other layers, or the device.

    Parameters
    ----------
    module : torch.nn.Module
    seed : None, int, SeedSequence, Generator or fastinit.random.Key
        The root key. ``None`` draws it from torch's default generator (one draw per call), so
        ``torch.manual_seed`` makes runs repeat.
    scheme : None, str, (str, dict) or callable, optional
        ``None``: torch's default rule everywhere. An initializer name, or a (name, kwargs)
        pair such as ``("normal", {"std": 0.02})``: used for every parameter of 2 or more
        dimensions (the weights and embeddings); biases and norm parameters keep their rule.
        A callable ``(name, tensor) -> (initializer, kwargs) or None`` chooses per parameter
        (``None``: the default rule); it is also how parameters of modules torch has no rule
        for are initialized.

    Returns
    -------
    torch.nn.Module
        ``module``.

    Warns
    -----
    UserWarning
        Naming the parameters of module types without a rule (custom modules that own
        parameters directly) that ``scheme`` did not cover: they are left as they are. Buffers
        of such modules (masks, rotary tables) are never touched.

    Examples
    --------
    >>> import torch, fastinit.torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    >>> _ = fastinit.torch.init_module_(net, seed=0)
    >>> bound = 1 / 8 ** 0.5
    >>> bool(net[0].weight.abs().max() <= bound and net[0].bias.abs().max() <= bound)
    True
    >>> gpt2 = ("normal", {"std": 0.02})  # every weight N(0, 0.02); biases keep their rule
    >>> _ = fastinit.torch.init_module_(net, seed=0, scheme=gpt2)
    """
    plan = _Plan(module, scheme, allow_meta=False)
    root = resolve_key(seed)
    _apply_all([(plan.tensors[n], rule, root.fold_in(n)) for n, rule in plan.rules.items()])
    _warn_untouched(plan, "init_module_")
    return module


def materialize_module_(module, *, device="cpu", dtype=None, seed=None, scheme=None):
    """Allocate and initialize a module built on the meta device.

    Every meta parameter and buffer is replaced by a tensor on ``device`` holding exactly the
    values :func:`init_module_` gives the same module built eagerly, with the same ``seed`` and
    ``scheme``. Tensors that are not on the meta device are left as they are; tied parameters
    stay tied.

    Parameters
    ----------
    module : torch.nn.Module
        Typically built under ``with torch.device("meta"):``.
    device : str or torch.device, default "cpu"
        Where the tensors are allocated. Values are drawn on the host and copied.
    dtype : torch.dtype, optional
        float16, bfloat16, float32 or float64 for the floating tensors (integer buffers keep
        theirs); by default each keeps its dtype.
    seed, scheme
        As for :func:`init_module_`.

    Returns
    -------
    torch.nn.Module
        ``module``.

    Raises
    ------
    ValueError
        Naming every meta tensor no rule covers (parameters of custom modules that ``scheme``
        does not cover, buffers of modules without a rule): their values cannot be known, and
        nothing is allocated.

    Examples
    --------
    >>> import torch, fastinit.torch
    >>> with torch.device("meta"):
    ...     lazy = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.LayerNorm(16))
    >>> _ = fastinit.torch.materialize_module_(lazy, seed=0)
    >>> eager = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.LayerNorm(16))
    >>> _ = fastinit.torch.init_module_(eager, seed=0)
    >>> all(torch.equal(a, b) for a, b in zip(lazy.parameters(), eager.parameters()))
    True
    """
    device = torch.device(device)
    if dtype is not None and dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"dtype must be None or one of {', '.join(map(str, _FLOAT_DTYPES))}; got {dtype!r}"
        )
    plan = _Plan(module, scheme, allow_meta=True)
    missing = [n for n, t in plan.tensors.items() if t.is_meta and n not in plan.rules]
    if missing:
        raise ValueError(
            f"materialize_module_: no initialization rule for the meta tensors {missing}; pass "
            "scheme=callable(name, tensor) -> (initializer, kwargs) for parameters, and build "
            "buffers of custom modules after materializing"
        )
    root = resolve_key(seed)
    made, jobs, places = {}, [], []  # made: id(meta tensor) -> its replacement (ties stay)
    for prefix, child in module.named_modules():
        for local, kind in (
            *((n, "p") for n in child._parameters),
            *((n, "b") for n in child._buffers),
        ):
            old = getattr(child, local)
            if old is None or not old.is_meta:
                continue
            if id(old) not in made:
                name = plan.canonical[f"{prefix}.{local}" if prefix else local]
                new = torch.empty(
                    old.shape, device=device,
                    dtype=dtype if (dtype and old.is_floating_point()) else old.dtype,
                )  # fmt: skip
                jobs.append((new, plan.rules[name], root.fold_in(name)))
                made[id(old)] = nn.Parameter(new, old.requires_grad) if kind == "p" else new
            places.append((child, local, made[id(old)]))
    _apply_all(jobs)
    for child, local, tensor in places:  # only once every value is in place
        setattr(child, local, tensor)
    return module
