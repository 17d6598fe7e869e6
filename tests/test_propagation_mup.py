"""muP: the multipliers against Tensor Programs V's Table 3, and the coordinate check's claim.

The claim (Yang et al. 2021; the mup package's "coord check"): under muP the typical size of the
coordinates of every activation, and of the output, is the same at every width while the network
trains; under the standard parametrization (SP) the updates make them grow with the width.
"""

import math
import sys

import numpy as np
import pytest

from fastinit.propagation import CoordCheck, _mup, coord_check, mup_scales

WIDTHS = (256, 512, 1024, 2048, 4096)

# ------------------------------------------------------------------------------ mup_scales ---


@pytest.mark.parametrize(("width", "base"), [(256, 256), (1024, 256), (64, 512), (1000, 10)])
def test_mup_scales_table(width, base):
    r = width / base
    adam = mup_scales(width, base)
    sgd = mup_scales(width, base, optimizer="sgd")
    assert adam.width_mult == sgd.width_mult == r
    for s in (adam, sgd):
        assert (s.input.init_std, s.input.output_mult) == (1.0, 1.0)
        assert (s.hidden.init_std, s.hidden.output_mult) == (1.0, 1.0)
        assert s.output.init_std == pytest.approx(math.sqrt(r))
        assert s.output.output_mult == pytest.approx(1 / r)
    assert (adam.input.lr, adam.hidden.lr, adam.output.lr) == pytest.approx((1, 1 / r, 1))
    assert (sgd.input.lr, sgd.hidden.lr, sgd.output.lr) == pytest.approx((r, 1, r))


def test_mup_scales_are_one_at_the_base_width():
    for optimizer in ("adam", "sgd"):
        s = mup_scales(300, 300, optimizer=optimizer)
        assert set(s.input + s.hidden + s.output) == {1.0}


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_mup_scales_are_table_3_of_tensor_programs_v(optimizer):
    # Table 3 writes muP without multipliers. The effective output weight is W * output_mult:
    # its variance init_std^2 * output_mult^2 / fan_in must go as 1/fan_in^2, and its learning
    # rate as 1/fan_in for SGD and Adam (SGD: lr * mult^2, the gradient is scaled by mult too;
    # Adam: lr * mult, updates are normalized). Input weights: SGD lr as fan_out, Adam 1.
    # Hidden weights: SGD 1, Adam 1/fan_in. fan_in = fan_out = width where it is the width.
    base = 128
    rows = []
    for width in (128, 512, 4096):
        s = mup_scales(width, base, optimizer=optimizer)
        out = s.output
        var = out.init_std**2 * out.output_mult**2 / width
        out_lr = out.lr * out.output_mult ** (2 if optimizer == "sgd" else 1)
        rows.append((width, var * width**2, out_lr * width, s.input.lr, s.hidden.lr))
    for width, var_n2, lr_n, input_lr, hidden_lr in rows:
        assert var_n2 == pytest.approx(base)
        assert lr_n == pytest.approx(base)
        if optimizer == "sgd":
            assert (input_lr, hidden_lr) == pytest.approx((width / base, 1.0))
        else:
            assert (input_lr, hidden_lr) == pytest.approx((1.0, base / width))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, 256), {}, ValueError, "width must be >= 1"),
        ((256, 0), {}, ValueError, "base_width must be >= 1"),
        ((256.0, 256), {}, TypeError, "width must be an int"),
        ((256, 256), {"optimizer": "rmsprop"}, ValueError, "optimizer must be one of"),
        ((256, 256), {"optimizer": 1}, TypeError, "optimizer"),
        ((10**400, 256), {}, ValueError, "width must be at most 2\\*\\*63 - 1"),
    ],
)
def test_mup_scales_refusals(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        mup_scales(*args, **kwargs)


# ----------------------------------------------------------------------------- coord check ---


@pytest.fixture(scope="module")
def adam_mup():
    # one hidden width x width layer (depth 2) keeps the check at about a second; the default
    # depth 3 is measured in docs/depth.md
    return coord_check(WIDTHS, parametrization="mup", depth=2, n_networks=1, seed=0)


@pytest.fixture(scope="module")
def adam_sp():
    return coord_check(WIDTHS[::2], parametrization="sp", depth=2, steps=2, n_networks=1, seed=0)


def test_mup_coordinates_stay_flat_across_widths_while_training(adam_mup):
    assert adam_mup.l1.shape == (5, 4, 3)
    spread = adam_mup.spread()
    assert np.all(spread[1:] <= 1.10), adam_mup.table()
    # ...and they do train: the hidden layer and the output have moved from where they started
    before, after = adam_mup.l1[:, 0], adam_mup.l1[:, -1]
    assert np.all(after[:, 1] > 1.2 * before[:, 1])
    assert np.all(after[:, 2] > 0.5) and np.all(before[:, 2] == 0)


def test_sp_coordinates_grow_with_width(adam_sp):
    spread = adam_sp.spread()
    assert spread[1:].max() > 10, adam_sp.table()
    # after one Adam step the zero-initialized readout holds lr * sign(gradient): a sum of
    # width terms of one sign, so the output grows in proportion to the width (4x per 4x)
    output = adam_sp.l1[:, 1, -1]
    assert np.all(output[1:] / output[:-1] > 3), output
    # from the second step on the gradient reaches the hidden layer, and how far its
    # activations move grows with the width too (at 4096 the step overshoots and kills its
    # ReLUs: the coordinates collapse instead of growing, as unstably as they would explode)
    moved = np.abs(adam_sp.l1[:, 2, 1] - adam_sp.l1[:, 1, 1])
    assert np.all(np.diff(moved) > 0), moved
    assert spread[2, 1] > 10


def test_mup_and_sp_coincide_at_the_base_width():
    kwargs = {"depth": 2, "steps": 2, "seed": 3, "base_width": 64}
    mup = coord_check((64, 128), parametrization="mup", **kwargs)
    sp = coord_check((64, 128), parametrization="sp", **kwargs)
    np.testing.assert_array_equal(mup.l1[0], sp.l1[0])
    assert not np.array_equal(mup.l1[1], sp.l1[1])


def test_sgd_mup_flat_and_sgd_sp_not():
    kwargs = {"optimizer": "sgd", "depth": 2, "seed": 0}
    mup = coord_check(WIDTHS[:4], **kwargs)
    sp = coord_check(WIDTHS[:4], parametrization="sp", n_networks=1, **kwargs)
    assert np.all(mup.spread() <= 1.10), mup.table()
    assert sp.spread()[1:, -1].min() > 4, sp.table()


def test_mup_output_at_init_shrinks_like_one_over_sqrt_width_without_zero_readout():
    # the mup package's documented exception, and why the readout starts at zero by default:
    # W_out has std sqrt(r / fan_in) and the multiplier 1/r, so the output is ~ 1/sqrt(r)
    check = coord_check((64, 1024), depth=1, steps=1, readout_zero_init=False, seed=0)
    ratio = check.l1[0, 0, -1] / check.l1[1, 0, -1]
    assert ratio == pytest.approx(4.0, rel=0.1)


def test_coord_check_is_reproducible():
    kwargs = {"depth": 1, "steps": 1}
    a = coord_check((32, 64), seed=5, **kwargs)
    b = coord_check((32, 64), seed=5, **kwargs)
    c = coord_check((32, 64), seed=6, **kwargs)
    np.testing.assert_array_equal(a.l1, b.l1)
    assert not np.array_equal(a.l1, c.l1)
    generator = np.random.default_rng(0)
    assert coord_check((32, 64), seed=generator, **kwargs).l1.shape == (2, 2, 2)


def test_the_same_units_are_averaged_at_every_width(monkeypatch):
    built = []
    original = _mup._Mlp.__init__

    def counting(self, width, *args):
        built.append(width)
        original(self, width, *args)

    monkeypatch.setattr(_mup._Mlp, "__init__", counting)
    coord_check((16, 32, 48, 64), n_networks=3, depth=1, steps=1)
    assert [built.count(w) for w in (16, 32, 48, 64)] == [12, 6, 4, 3]


def test_spread_counts_all_zero_as_flat():
    l1 = np.array([[[1.0, 0.0, 2.0]], [[2.0, 0.0, 0.0]]])
    check = CoordCheck(l1, (8, 16), ("layer 1", "layer 2", "output"), "mup", "adam", 0.1, 8)
    np.testing.assert_array_equal(check.spread(), [[2.0, 1.0, np.inf]])


def test_table_and_plot(tmp_path, adam_sp):
    text = adam_sp.table()
    assert text.startswith("coord check: sp, adam, lr=0.003")
    assert "step 2" in text and "spread" in text and str(WIDTHS[-1]) in text
    assert str(adam_sp) == text
    pytest.importorskip("matplotlib")
    path = tmp_path / "coord.png"
    fig = adam_sp.plot(path)
    assert path.stat().st_size > 0
    assert len(fig.axes) == 3


def test_plot_into_given_axes():
    plt = pytest.importorskip("matplotlib.pyplot")
    check = coord_check((16, 32), depth=1, steps=1, seed=0)
    fig, axes = plt.subplots(2, 2)
    try:
        assert check.plot(axes=axes[0]) is fig
        with pytest.raises(ValueError, match="axes must hold 2 Axes"):
            check.plot(axes=list(axes.flat))
    finally:
        plt.close(fig)


def test_plot_without_matplotlib(monkeypatch):
    check = coord_check((16, 32), depth=1, steps=1, seed=0)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install 'fastinit\\[plot\\]'"):
        check.plot()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"widths": (256,)}, ValueError, "at least 2 positive widths"),
        ({"widths": (0, 8)}, ValueError, "at least 2 positive widths"),
        ({"widths": 8}, ValueError, "at least 2"),
        ({"widths": "ab"}, TypeError, "widths"),
        ({"parametrization": "ntk"}, ValueError, "parametrization must be one of"),
        ({"optimizer": "lion"}, ValueError, "optimizer must be one of"),
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"depth": 0}, ValueError, "depth must be >= 1"),
        ({"batch": 0}, ValueError, "batch must be >= 1"),
        ({"n_networks": 0}, ValueError, "n_networks must be >= 1"),
        ({"base_width": 0}, ValueError, "base_width must be >= 1"),
        ({"lr": -0.1}, ValueError, "lr must be > 0"),
        ({"lr": math.nan}, ValueError, "lr must be a finite number"),
        ({"lr": "0.1"}, TypeError, "lr must be a real number"),
        ({"readout_zero_init": "yes"}, TypeError, "readout_zero_init must be True or False"),
        ({"widths": (8, 2**40)}, ValueError, "memory"),
    ],
)
def test_coord_check_refusals(kwargs, error, match):
    kwargs = {"widths": (8, 16), "depth": 1, "steps": 1, **kwargs}
    with pytest.raises(error, match=match):
        coord_check(**kwargs)
