"""Linear and Maxout: finite differences, torch autograd, dtypes, and bad input."""
import numpy as np
import pytest
import torch
from conftest import assert_matches_torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.gradcheck import check_module, relative_error
from dlbook.nn.activations import Maxout
from dlbook.nn.init import lecun_normal
from dlbook.nn.linear import Linear


class TorchMaxout(torch.nn.Module):
    """Reference Maxout in torch: the same child name "linear", max over groups of `pieces`."""

    def __init__(self, in_features, out_features, pieces):
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features * pieces)
        self.out_features, self.pieces = out_features, pieces

    def forward(self, x):
        return self.linear(x).view(len(x), self.out_features, self.pieces).max(dim=2).values


# ----- Linear
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradient_check(rng, bias):
    layer = Linear(4, 3, bias=bias, rng=rng)
    if bias:
        layer.bias.data = rng.standard_normal(3).astype(np.float32)
    result = check_module(layer, rng.standard_normal((5, 4)), rng=rng)
    assert result.max_error < 1e-7, str(result)
    assert set(result.param_errors) == ({"weight", "bias"} if bias else {"weight"})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng, dtype, bias):
    layer = Linear(5, 3, bias=bias, rng=rng)
    if bias:
        layer.bias.data = rng.standard_normal(3).astype(np.float32)  # non-zero, so the sum shows
    assert_matches_torch(layer, torch.nn.Linear(5, 3, bias=bias), rng.standard_normal((6, 5)), rng, dtype)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 9), fan_in=st.integers(1, 7), fan_out=st.integers(1, 7), bias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_linear_matches_torch_for_random_sizes(n, fan_in, fan_out, bias, dtype, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(fan_in, fan_out, bias=bias, rng=rng)
    assert_matches_torch(layer, torch.nn.Linear(fan_in, fan_out, bias=bias),
                         rng.standard_normal((n, fan_in)), rng, dtype)


def test_linear_keeps_float32(rng):
    layer = Linear(4, 2, rng=rng)
    y = layer(rng.standard_normal((4, 4)).astype(np.float32))
    dx = layer.backward(np.ones_like(y))
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32


def test_linear_backward_leaves_inputs_and_weights_alone(rng):
    layer = Linear(3, 2, rng=rng).astype(np.float64)
    x = rng.standard_normal((4, 3))
    upstream = rng.standard_normal((4, 2))
    x.setflags(write=False)
    upstream.setflags(write=False)  # backward must never write into its upstream array
    x_copy, up_copy, w_copy = x.copy(), upstream.copy(), layer.weight.data.copy()
    layer.forward(x)
    layer.backward(upstream)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(upstream, up_copy)
    np.testing.assert_array_equal(layer.weight.data, w_copy)


def test_linear_gradients_accumulate_like_torch(rng):
    layer = Linear(3, 2, rng=rng).astype(np.float64)
    x, upstream = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(upstream)
    once = layer.weight.grad.copy()
    layer.backward(upstream)
    assert relative_error(layer.weight.grad, 2 * once) < 1e-15
    layer.zero_grad()
    assert not layer.weight.grad.any()


def test_linear_bias_starts_at_zero_and_weights_come_from_the_initialiser():
    layer = Linear(6, 4, init="lecun", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(4, dtype=np.float32))
    np.testing.assert_array_equal(layer.weight.data, lecun_normal((4, 6), np.random.default_rng(7), np.float32))
    custom = Linear(2, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5), dtype=np.float64)
    assert custom.weight.dtype == np.float64 and np.all(custom.weight.data == 0.5)
    np.testing.assert_array_equal(Linear(3, 3).weight.data, Linear(3, 3).weight.data)  # seeded default


def test_linear_names_match_torch_state_dict():
    assert [n for n, _ in Linear(2, 3).named_parameters()] == list(torch.nn.Linear(2, 3).state_dict())
    assert [n for n, _ in Linear(2, 3, bias=False).named_parameters()] == ["weight"]


@pytest.mark.parametrize("kwargs, name", [
    (dict(in_features=0, out_features=3), "in_features"),
    (dict(in_features=2, out_features=-1), "out_features"),
    (dict(in_features=2.0, out_features=3), "in_features"),
    (dict(in_features=2, out_features=3, init="glorot_magic"), "init"),
    (dict(in_features=2, out_features=3, dtype=np.float16), "dtype"),
    (dict(in_features=2, out_features=3, bias="yes"), "bias"),
    (dict(in_features=2, out_features=3, rng=42), "rng"),
])
def test_linear_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Linear(**kwargs)


@pytest.mark.parametrize("x", [
    np.ones((4, 3), dtype=np.int64),     # integers
    np.ones((4, 3), dtype=np.float16),   # half precision
    np.ones((4, 3), dtype=np.float64),   # float64 into a float32 layer
    np.ones((4, 2), dtype=np.float32),   # wrong number of features
    np.ones(3, dtype=np.float32),        # a single vector, not a batch
    np.ones((0, 3), dtype=np.float32),   # empty batch
    [[1.0, 2.0, 3.0]],                   # not an array
])
def test_linear_rejects_bad_input(x):
    with pytest.raises(ValueError, match="x: expected"):
        Linear(3, 2)(x)


def test_linear_rejects_bad_upstream_gradient():
    layer = Linear(3, 2)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((4, 2), dtype=np.float32))
    layer(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected dtype"):
        layer.backward(np.ones((4, 2), dtype=np.float64))


# ----- Maxout
def test_maxout_gradient_check(rng):
    result = check_module(Maxout(4, 3, pieces=3, rng=rng), rng.standard_normal((5, 4)), rng=rng)
    assert result.max_error < 1e-7, str(result)
    assert set(result.param_errors) == {"linear.weight", "linear.bias"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("pieces", [1, 2, 4])
def test_maxout_matches_torch(rng, dtype, pieces):
    layer = Maxout(5, 3, pieces=pieces, rng=rng)
    layer.linear.bias.data = rng.standard_normal(3 * pieces).astype(np.float32)
    assert_matches_torch(layer, TorchMaxout(5, 3, pieces), rng.standard_normal((6, 5)), rng, dtype)


def test_maxout_is_the_max_over_consecutive_pieces(rng):
    layer = Maxout(3, 2, pieces=3, rng=rng).astype(np.float64)
    x = rng.standard_normal((4, 3))
    z = layer.linear.forward(x)
    expected = np.stack([z[:, 0:3].max(axis=1), z[:, 3:6].max(axis=1)], axis=1)
    np.testing.assert_array_equal(layer(x), expected)


def test_maxout_ties_send_the_gradient_to_the_first_maximum(rng):
    layer = Maxout(3, 2, pieces=3, rng=rng).astype(np.float64)
    # Quarter-integer weights and integer inputs: every product is exact, so ties are exact.
    w = rng.integers(-4, 5, size=(6, 3)) / 4
    w[1] = w[2] = w[0]  # unit 0: all three pieces tie
    w[4] = w[3]         # unit 1: pieces 0 and 1 tie (piece 2 may win outright)
    layer.linear.weight.data = w
    x = rng.integers(-3, 4, size=(5, 3)).astype(np.float64)
    y, dx = assert_matches_torch(layer, TorchMaxout(3, 2, 3), x, rng, np.float64)
    assert not layer.linear.weight.grad[1:3].any() and not layer.linear.bias.grad[1:3].any()
    assert layer.linear.weight.grad[0].any()
    assert not layer.linear.weight.grad[4].any()


def test_maxout_keeps_float32_and_read_only_upstream(rng):
    layer = Maxout(3, 2, rng=rng)
    y = layer(rng.standard_normal((4, 3)).astype(np.float32))
    upstream = np.ones_like(y)
    upstream.setflags(write=False)
    dx = layer.backward(upstream)
    assert y.dtype == dx.dtype == layer.linear.weight.grad.dtype == np.float32


@pytest.mark.parametrize("kwargs, name", [
    (dict(in_features=0, out_features=2), "in_features"),
    (dict(in_features=2, out_features=0), "out_features"),
    (dict(in_features=2, out_features=2, pieces=0), "pieces"),
    (dict(in_features=2, out_features=2, pieces=1.5), "pieces"),
])
def test_maxout_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Maxout(**kwargs)


def test_maxout_rejects_bad_input_and_upstream():
    layer = Maxout(3, 2)
    with pytest.raises(ValueError, match="x: expected"):
        layer(np.ones((4, 5), dtype=np.float32))
    layer(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.ones((4, 4), dtype=np.float32))


def test_linear_without_input_grad_skips_dx_but_keeps_parameter_grads():
    rng = np.random.default_rng(7)
    full = Linear(5, 3, rng=np.random.default_rng(1), dtype=np.float64)
    data_layer = Linear(5, 3, rng=np.random.default_rng(1), dtype=np.float64, input_grad=False)
    x = rng.standard_normal((4, 5))
    upstream = rng.standard_normal((4, 3))
    full.forward(x)
    data_layer.forward(x)
    np.testing.assert_allclose(full.backward(upstream), upstream @ full.weight.data,
                               rtol=1e-12)
    assert data_layer.backward(upstream) is None
    np.testing.assert_array_equal(full.weight.grad, data_layer.weight.grad)
    np.testing.assert_array_equal(full.bias.grad, data_layer.bias.grad)
    with pytest.raises(ValueError, match="input_grad"):
        Linear(5, 3, input_grad="no")
