"""MaxPool2d, AvgPool2d and Flatten: finite differences, torch (ties included), bad input."""
import numpy as np
import pytest
import torch
from conftest import assert_matches_torch, forward_backward_read_only
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlbook.gradcheck import check_module
from dlbook.nn.pooling import AvgPool2d, Flatten, MaxPool2d

# (kernel, stride, input H x W): non-overlapping, overlapping (stride < kernel), non-square,
# and a size the windows do not tile (the leftover row/column is dropped, as in torch).
POOL_CONFIGS = [(2, None, (6, 6)), (3, 2, (7, 7)), ((2, 3), (1, 2), (5, 7)), (2, 2, (5, 7)), (3, 1, (5, 4))]


# ----- finite differences
@pytest.mark.parametrize("kernel, stride, hw", POOL_CONFIGS)
@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_pool_gradient_check(rng, cls, kernel, stride, hw):
    # Random normal input has no ties, so the max is differentiable at every point checked.
    result = check_module(cls(kernel, stride), rng.standard_normal((4, 2) + hw), rng=rng)
    assert result.max_error < 1e-7, str(result)


def test_flatten_gradient_check(rng):
    result = check_module(Flatten(), rng.standard_normal((4, 2, 3, 2)), rng=rng)
    assert result.max_error < 1e-7, str(result)


# ----- torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kernel, stride, hw", POOL_CONFIGS)
@pytest.mark.parametrize("cls, torch_cls", [(MaxPool2d, torch.nn.MaxPool2d), (AvgPool2d, torch.nn.AvgPool2d)])
def test_pool_matches_torch(rng, cls, torch_cls, kernel, stride, hw, dtype):
    x = rng.standard_normal((4, 3) + hw)
    assert_matches_torch(cls(kernel, stride), torch_cls(kernel, stride=stride), x, rng, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flatten_matches_torch(rng, dtype):
    y, dx = assert_matches_torch(Flatten(), torch.nn.Flatten(), rng.standard_normal((4, 3, 2, 5)), rng, dtype)
    assert y.shape == (4, 30) and dx.shape == (4, 3, 2, 5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       h=st.integers(1, 9), w=st.integers(1, 9), levels=st.sampled_from([0, 3]),
       is_max=st.booleans(), seed=st.integers(0, 2**16))
def test_pool_matches_torch_for_random_shapes(n, c, kh, kw, stride, h, w, levels, is_max, seed):
    """levels=3 draws from {0, 1, 2}: many ties, where max pooling must pick torch's winner."""
    assume(kh <= h and kw <= w)
    rng = np.random.default_rng(seed)
    shape = (n, c, h, w)
    x = rng.integers(0, levels, size=shape).astype(float) if levels else rng.standard_normal(shape)
    cls, torch_cls = (MaxPool2d, torch.nn.MaxPool2d) if is_max else (AvgPool2d, torch.nn.AvgPool2d)
    assert_matches_torch(cls((kh, kw), stride), torch_cls((kh, kw), stride=stride), x, rng, np.float64)


# ----- ties in max pooling: the gradient goes to the first maximum, in row-major window order
@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), (3, 2), ((2, 3), (2, 1))])
def test_max_pool_ties_route_like_torch(rng, kernel, stride):
    for x in [np.full((4, 2, 6, 7), 0.5),                                      # all equal
              rng.integers(0, 2, size=(4, 2, 6, 7)).astype(float)]:            # many ties
        assert_matches_torch(MaxPool2d(kernel, stride), torch.nn.MaxPool2d(kernel, stride=stride), x, rng)


def test_max_pool_tie_goes_to_the_top_left_element():
    x = np.ones((1, 1, 2, 2))
    pool = MaxPool2d(2)
    pool.forward(x)
    np.testing.assert_array_equal(pool.backward(np.array([[[[3.0]]]])), [[[[3.0, 0.0], [0.0, 0.0]]]])
    x = np.array([[[[0.0, 2.0], [2.0, 1.0]]]])   # tie between (0, 1) and (1, 0): (0, 1) comes first
    pool.forward(x)
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0]]]])), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_overlapping_max_pool_sums_gradients_of_a_shared_winner():
    """With stride 1, one large pixel wins all 4 windows around it and collects all 4 gradients."""
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0
    pool = MaxPool2d(2, stride=1)
    np.testing.assert_array_equal(pool.forward(x), np.full((1, 1, 2, 2), 5.0))
    dx = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 10.0
    np.testing.assert_array_equal(dx, expected)


def test_pools_by_hand():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(MaxPool2d(2)(x), [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(AvgPool2d(2)(x), [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_pools_keep_channels_apart(rng):
    """Each (image, channel) plane is pooled on its own: compare with pooling planes one by one."""
    x = rng.standard_normal((3, 4, 6, 6))
    together = MaxPool2d(2)(x)
    for b in range(3):
        for c in range(4):
            alone = MaxPool2d(2)(x[b:b + 1, c:c + 1])
            np.testing.assert_array_equal(together[b, c], alone[0, 0])


# ----- dtype, read-only arrays, bad input
@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(3, 1), Flatten()], ids=["max", "avg", "flatten"])
def test_pooling_keeps_float32_and_leaves_upstream_alone(rng, layer):
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    y, dx = forward_backward_read_only(layer, x, rng)
    assert y.dtype == dx.dtype == np.float32 and dx.shape == x.shape


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_pool_rejects_bad_input(rng, cls):
    for kwargs, name in [(dict(kernel_size=0), "kernel_size"), (dict(kernel_size=-2), "kernel_size"),
                         (dict(kernel_size=(2, 0)), "kernel_size"), (dict(kernel_size=2, stride=0), "stride"),
                         (dict(kernel_size=2, stride=-1), "stride"), (dict(kernel_size="2"), "kernel_size")]:
        with pytest.raises(ValueError, match=name):
            cls(**kwargs)
    pool = cls(3)
    with pytest.raises(ValueError, match=r"x: expected a 4-D array \(N, C, H, W\)"):
        pool(rng.standard_normal((2, 6, 6)))
    with pytest.raises(ValueError, match="kernel_size"):      # a 3x3 window on a 2x5 image
        pool(rng.standard_normal((4, 1, 2, 5)))
    with pytest.raises(ValueError, match="x: expected dtype"):
        pool(np.ones((4, 1, 6, 6), dtype=np.int64))
    pool(rng.standard_normal((4, 1, 6, 6)))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        pool.backward(np.ones((4, 1, 3, 3)))
    with pytest.raises(ValueError, match="grad_out: expected dtype"):
        pool.backward(np.ones((4, 1, 2, 2), dtype=np.float32))


def test_flatten_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="x: expected an array with a batch axis"):
        Flatten()(rng.standard_normal(5))
    flat = Flatten()
    flat(rng.standard_normal((4, 2, 3)))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        flat.backward(np.ones((4, 5)))

