"""im2col/col2im and Conv2d: definitions, adjointness, finite differences, torch, bad input."""
import numpy as np
import pytest
import torch
from conftest import assert_matches_torch, forward_backward_read_only
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlbook.gradcheck import check_module
from dlbook.nn.conv import Conv2d
from dlbook.nn.im2col import col2im, conv_output_size, im2col


def im2col_by_definition(x, kh, kw, stride, padding):
    """Slow reference: cols[(c, i, j), (oh, ow, n)] = padded x[n, c, oh*sh + i, ow*sw + j]."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    cols = np.zeros((c, kh, kw, out_h, out_w, n), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for oh in range(out_h):
                        for ow in range(out_w):
                            cols[ch, i, j, oh, ow, b] = xp[b, ch, oh * sh + i, ow * sw + j]
    return cols.reshape(c * kh * kw, -1)


def random_conv(rng, c_in, c_out, kernel, stride=1, padding=0, bias=True, hw=None):
    """A Conv2d from a CONFIGS entry (whose input size ``hw`` the layer does not need)."""
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=bias, rng=rng)
    if bias:  # non-zero, so a wrong bias gradient or a forgotten bias shows
        layer.bias.data = rng.standard_normal(c_out).astype(np.float32)
    return layer


# Shapes covering stride, padding, non-square kernels/strides/padding, many channels, no bias.
CONFIGS = [
    dict(c_in=1, c_out=2, kernel=3, stride=1, padding=0, bias=True, hw=(5, 5)),
    dict(c_in=3, c_out=4, kernel=3, stride=2, padding=1, bias=True, hw=(7, 6)),
    dict(c_in=2, c_out=3, kernel=(2, 3), stride=(1, 2), padding=(1, 0), bias=True, hw=(5, 7)),
    dict(c_in=2, c_out=2, kernel=(3, 1), stride=(2, 1), padding=(0, 2), bias=False, hw=(6, 4)),
    dict(c_in=3, c_out=2, kernel=5, stride=1, padding=2, bias=True, hw=(5, 5)),
    dict(c_in=2, c_out=3, kernel=1, stride=3, padding=0, bias=False, hw=(7, 7)),
]


# ----- conv_output_size
def test_conv_output_size_follows_the_formula():
    assert conv_output_size(28, 5, 1, 2) == 28      # LeNet conv1 keeps 28x28
    assert conv_output_size(14, 5, 1, 0) == 10      # LeNet conv2
    assert conv_output_size(7, 3, 2, 1) == 4        # floor((7 + 2 - 3) / 2) + 1
    assert conv_output_size(6, 3, 2, 0) == 2        # the last, incomplete window is dropped
    assert conv_output_size(1, 3, 1, 1) == 1


@pytest.mark.parametrize("args, name", [((4, 6, 1, 0), "kernel_size"), ((4, 7, 1, 1), "kernel_size"),
                                        ((4, 0, 1, 0), "kernel_size"), ((4, 2, 0, 0), "stride"),
                                        ((4, 2, -1, 0), "stride"), ((4, 2, 1, -1), "padding"),
                                        ((0, 1, 1, 0), "size")])
def test_conv_output_size_rejects_bad_geometry(args, name):
    with pytest.raises(ValueError, match=name):
        conv_output_size(*args)


# ----- im2col and col2im
@pytest.mark.parametrize("cfg", CONFIGS)
def test_im2col_matches_its_definition(rng, cfg):
    kh, kw = (cfg["kernel"],) * 2 if isinstance(cfg["kernel"], int) else cfg["kernel"]
    stride = (cfg["stride"],) * 2 if isinstance(cfg["stride"], int) else cfg["stride"]
    padding = (cfg["padding"],) * 2 if isinstance(cfg["padding"], int) else cfg["padding"]
    x = rng.standard_normal((3, cfg["c_in"]) + cfg["hw"])
    np.testing.assert_array_equal(im2col(x, kh, kw, cfg["stride"], cfg["padding"]),
                                  im2col_by_definition(x, kh, kw, stride, padding))


@pytest.mark.parametrize("kh, kw, stride, padding", [(3, 3, 1, 0), (3, 3, 1, 1), (3, 2, 2, 1),
                                                     (4, 4, (1, 3), (2, 0)), (2, 2, 2, 0)])
def test_col2im_is_the_adjoint_of_im2col(rng, kh, kw, stride, padding):
    """<im2col(x), c> = <x, col2im(c)> for random x and c: col2im must *sum* overlapping windows."""
    x = rng.standard_normal((4, 2, 6, 7))
    cols = im2col(x, kh, kw, stride, padding)
    c = rng.standard_normal(cols.shape)
    lhs = np.vdot(cols, c)
    rhs = np.vdot(x, col2im(c, x.shape, kh, kw, stride, padding))
    assert abs(lhs - rhs) <= 1e-12 * (abs(lhs) + abs(rhs))


def test_col2im_counts_every_overlap():
    """Columns of ones add up to how many 3x3 windows cover each pixel: [1,2,3,3,2,1] per axis."""
    x_shape = (2, 1, 6, 6)
    cover = col2im(np.ones((9, 4 * 4 * 2)), x_shape, 3, 3, 1, 0)
    per_axis = np.array([1, 2, 3, 3, 2, 1], dtype=float)
    for image in cover[:, 0]:
        np.testing.assert_array_equal(image, np.outer(per_axis, per_axis))


def test_fancy_index_add_would_drop_repeats():
    """Why col2im loops over offsets: `a[idx] += v` with a repeated index adds only once, so the
    pixel shared by two windows must receive both contributions."""
    x_shape = (1, 1, 1, 3)                   # two windows of width 2 share the middle pixel
    np.testing.assert_array_equal(col2im(np.ones((2, 2)), x_shape, 1, 2), [[[[1.0, 2.0, 1.0]]]])


def test_im2col_and_col2im_keep_float32(rng):
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    cols = im2col(x, 3, 3, 1, 1)
    assert cols.dtype == np.float32
    assert col2im(cols, x.shape, 3, 3, 1, 1).dtype == np.float32


def test_im2col_rejects_bad_input(rng):
    x = rng.standard_normal((2, 1, 4, 4))
    with pytest.raises(ValueError, match="x: expected a 4-D"):
        im2col(x[0], 2, 2)
    with pytest.raises(ValueError, match="kernel_size"):
        im2col(x, 5, 2)
    with pytest.raises(ValueError, match="kh"):
        im2col(x, 0, 2)
    with pytest.raises(ValueError, match="stride"):
        im2col(x, 2, 2, stride=0)
    with pytest.raises(ValueError, match="x: expected dtype"):
        im2col(x.astype(np.int64), 2, 2)
    with pytest.raises(ValueError, match="cols: expected shape"):
        col2im(np.ones((4, 7)), x.shape, 2, 2)
    with pytest.raises(ValueError, match="x_shape"):
        col2im(np.ones((4, 18)), (2, 4, 4), 2, 2)


# ----- Conv2d: finite differences and torch
@pytest.mark.parametrize("cfg", CONFIGS)
def test_conv_gradient_check(rng, cfg):
    layer = random_conv(rng, **cfg)
    result = check_module(layer, rng.standard_normal((4, cfg["c_in"]) + cfg["hw"]), rng=rng)
    assert result.max_error < 1e-7, str(result)
    assert set(result.param_errors) == ({"weight", "bias"} if cfg["bias"] else {"weight"})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_conv_matches_torch(rng, cfg, dtype):
    layer = random_conv(rng, **cfg)
    twin = torch.nn.Conv2d(cfg["c_in"], cfg["c_out"], cfg["kernel"], stride=cfg["stride"],
                           padding=cfg["padding"], bias=cfg["bias"])
    assert_matches_torch(layer, twin, rng.standard_normal((5, cfg["c_in"]) + cfg["hw"]), rng, dtype)


def test_lenet_sized_convs_match_torch_in_float32(rng):
    """The benchmark's two layers, at a batch of 8, in float32 (the dtype the book trains in)."""
    for c_in, c_out, padding, size in [(1, 6, 2, 28), (6, 16, 0, 14)]:
        layer = random_conv(rng, c_in, c_out, 5, padding=padding)
        twin = torch.nn.Conv2d(c_in, c_out, 5, padding=padding)
        assert_matches_torch(layer, twin, rng.standard_normal((8, c_in, size, size)), rng, np.float32)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), h=st.integers(1, 8), w=st.integers(1, 8),
       bias=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_conv_matches_torch_for_random_shapes(n, c_in, c_out, kh, kw, sh, sw, ph, pw, h, w, bias, dtype,
                                              seed):
    assume(kh <= h + 2 * ph and kw <= w + 2 * pw)
    rng = np.random.default_rng(seed)
    layer = random_conv(rng, c_in, c_out, (kh, kw), (sh, sw), (ph, pw), bias)
    twin = torch.nn.Conv2d(c_in, c_out, (kh, kw), stride=(sh, sw), padding=(ph, pw), bias=bias)
    assert_matches_torch(layer, twin, rng.standard_normal((n, c_in, h, w)), rng, dtype)


def test_conv_is_a_cross_correlation(rng):
    """A kernel with a single 1 at (0, 1) shifts the image: no flipping, as in torch."""
    layer = Conv2d(1, 1, (2, 2), bias=False).astype(np.float64)
    layer.weight.data = np.array([[[[0.0, 1.0], [0.0, 0.0]]]])
    x = rng.standard_normal((4, 1, 4, 5))
    np.testing.assert_array_equal(layer(x), x[:, :, :3, 1:])


def test_conv_keeps_float32_and_leaves_inputs_alone(rng):
    layer = random_conv(rng, 2, 3, 3, stride=2, padding=1)
    w_before = layer.weight.data.copy()
    y, dx = forward_backward_read_only(layer, rng.standard_normal((4, 2, 6, 6)).astype(np.float32), rng)
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    assert y.flags.c_contiguous and dx.flags.c_contiguous
    np.testing.assert_array_equal(layer.weight.data, w_before)


def test_conv_gradients_accumulate(rng):
    layer = random_conv(rng, 2, 2, 3).astype(np.float64)
    x = rng.standard_normal((4, 2, 5, 5))
    upstream = rng.standard_normal((4, 2, 3, 3))
    layer.forward(x)
    layer.backward(upstream)
    once = {name: p.grad.copy() for name, p in layer.named_parameters()}
    layer.backward(upstream)
    for name, p in layer.named_parameters():     # backward adds into .grad, as torch does
        np.testing.assert_allclose(p.grad, 2 * once[name], rtol=1e-14)


def test_conv_default_init_is_he(rng):
    layer = Conv2d(16, 64, 3, rng=rng)
    assert layer.weight.shape == (64, 16, 3, 3) and layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.bias.data, np.zeros(64, dtype=np.float32))
    assert abs(layer.weight.data.std() - np.sqrt(2 / (16 * 9))) < 0.01


# ----- Conv2d: bad input
@pytest.mark.parametrize("kwargs, name", [
    (dict(kernel_size=0), "kernel_size"), (dict(kernel_size=(3, -1)), "kernel_size"),
    (dict(kernel_size=2.5), "kernel_size"), (dict(kernel_size=3, stride=0), "stride"),
    (dict(kernel_size=3, stride=(1, -2)), "stride"), (dict(kernel_size=3, padding=-1), "padding"),
    (dict(kernel_size=3, bias="yes"), "bias"), (dict(kernel_size=3, init="nope"), "init"),
    (dict(kernel_size=3, dtype=np.int32), "dtype"),
])
def test_conv_rejects_bad_hyper_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Conv2d(2, 3, **kwargs)


def test_conv_rejects_bad_input(rng):
    layer = Conv2d(3, 2, 3, padding=1, rng=rng)
    with pytest.raises(ValueError, match=r"x: expected a 4-D array \(N, C, H, W\)"):
        layer(rng.standard_normal((3, 5, 5)).astype(np.float32))
    with pytest.raises(ValueError, match="x: expected 3 channels"):
        layer(rng.standard_normal((4, 2, 5, 5)).astype(np.float32))
    with pytest.raises(ValueError, match="x: expected dtype float32"):
        layer(rng.standard_normal((4, 3, 5, 5)))
    with pytest.raises(ValueError, match="kernel_size"):   # 7x7 kernel on a padded 3x3 input
        Conv2d(3, 2, 7, padding=1)(np.zeros((4, 3, 3, 3), dtype=np.float32))
    y = layer(rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.zeros((4, 2, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected dtype"):
        layer.backward(np.zeros(y.shape))
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2d(1, 1, 1).backward(np.zeros((1, 1, 1, 1), dtype=np.float32))
