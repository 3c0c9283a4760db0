"""Dropout: inverted scaling, identity in eval, a reproducible mask, finite differences, bad input."""
import numpy as np
import pytest
import torch
from conftest import forward_backward_read_only

from dlbook.gradcheck import numerical_vjp, relative_error
from dlbook.nn.dropout import Dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_training_keeps_about_1_minus_p_and_scales_by_1_over_1_minus_p(p):
    layer = Dropout(p, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).uniform(1.0, 2.0, size=(200, 500))    # no zeros in x
    y = layer(x)
    kept = y != 0
    # 100,000 Bernoulli draws: the kept fraction lies within 5 standard deviations of 1 - p.
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / x.size)
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)
    assert abs(y.mean() / x.mean() - 1) < 0.02                          # E[y] = x: inverted dropout


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_scale_of_kept_units_matches_torch(p):
    """torch's p is also the drop probability, and torch also scales kept units by 1/(1-p)."""
    x = np.ones((50, 40))
    ours = Dropout(p)(x)
    theirs = torch.nn.Dropout(p).train()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.unique(ours[ours != 0]), 1 / (1 - p), rtol=1e-15)
    np.testing.assert_allclose(np.unique(theirs[theirs != 0]), 1 / (1 - p), rtol=1e-15)


def test_eval_is_the_identity(rng):
    layer = Dropout(0.5, rng=rng).eval()
    x = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(layer(x), x)
    upstream = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(layer.backward(upstream), upstream)
    twin = torch.nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(twin(torch.from_numpy(x)).numpy(), layer(x))


def test_p_zero_keeps_everything_in_training(rng):
    x = rng.standard_normal((4, 6))
    np.testing.assert_array_equal(Dropout(0.0)(x), x)


def test_backward_uses_the_forward_mask(rng):
    layer = Dropout(0.4, rng=np.random.default_rng(5))
    x = rng.uniform(1.0, 2.0, size=(8, 10))
    y = layer(x)
    upstream = rng.standard_normal(y.shape)
    dx = layer.backward(upstream)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx[y != 0], upstream[y != 0] / 0.6, rtol=1e-15)


def test_gradient_check_with_a_fixed_mask(rng):
    """Reseeding before every forward fixes the mask, so y = x * mask is a fixed linear map."""
    layer = Dropout(0.3)

    def forward_with_fixed_mask(x):
        layer.rng = np.random.default_rng(11)
        return layer.forward(x)

    x = rng.standard_normal((4, 5))
    upstream = rng.standard_normal((4, 5))
    upstream.setflags(write=False)
    forward_with_fixed_mask(x)
    dx = layer.backward(upstream)
    assert relative_error(dx, numerical_vjp(forward_with_fixed_mask, x, upstream)) < 1e-7


def test_mask_is_reproducible_from_the_rng_seed():
    x = np.ones((10, 10))
    a = Dropout(0.5, rng=np.random.default_rng(7))(x)
    b = Dropout(0.5, rng=np.random.default_rng(7))(x)
    c = Dropout(0.5, rng=np.random.default_rng(8))(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    layer = Dropout(0.5, rng=np.random.default_rng(7))
    assert not np.array_equal(layer(x), layer(x))        # a fresh mask on every forward


@pytest.mark.parametrize("train", [True, False])
def test_dropout_keeps_float32_and_leaves_upstream_alone(rng, train):
    layer = Dropout(0.5, rng=rng).train(train)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    y, dx = forward_backward_read_only(layer, x, rng)
    assert y.dtype == dx.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True, None, float("nan")])
def test_p_outside_0_1_is_rejected(p):
    with pytest.raises(ValueError, match="p: expected a probability in"):
        Dropout(p)


def test_dropout_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="rng"):
        Dropout(0.5, rng=42)
    with pytest.raises(ValueError, match="x: expected dtype"):
        Dropout(0.5)(np.ones((2, 3), dtype=np.int64))
    layer = Dropout(0.5)
    layer(rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.ones((4, 2)))
