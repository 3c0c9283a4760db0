"""Activations: finite differences, torch autograd (kinks included), dtypes, extreme inputs."""
import warnings

import numpy as np
import pytest
import torch
from conftest import assert_matches_torch, forward_backward_read_only
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.gradcheck import check_module, relative_error
from dlbook.nn.activations import (ELU, LeakyReLU, PReLU, ReLU, Sigmoid, Softmax, Tanh, log_softmax,
                                   sigmoid, softmax)

SHAPE = (4, 3, 5)  # batch 4, 3 channels in dimension 1

# (scratch layer, torch twin); PReLU with 3 parameters acts per channel along dimension 1.
PAIRS = {
    "sigmoid": (Sigmoid, torch.nn.Sigmoid),
    "tanh": (Tanh, torch.nn.Tanh),
    "relu": (ReLU, torch.nn.ReLU),
    "leaky_relu": (lambda: LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1)),
    "elu": (lambda: ELU(0.7), lambda: torch.nn.ELU(0.7)),
    "prelu_shared": (lambda: PReLU(1, 0.2), lambda: torch.nn.PReLU(1, 0.2)),
    "prelu_per_channel": (lambda: PReLU(3, 0.3), lambda: torch.nn.PReLU(3, 0.3)),
    "softmax_last": (Softmax, lambda: torch.nn.Softmax(dim=-1)),
    "softmax_dim1": (lambda: Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
}
KINKED = ["relu", "leaky_relu", "elu", "prelu_shared", "prelu_per_channel"]
ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "prelu_shared"]


def randomise_prelu(layer, rng):
    """Distinct slopes per channel, so a wrong channel axis would show."""
    if isinstance(layer, PReLU):
        layer.weight.data = rng.uniform(0.05, 0.5, layer.num_parameters).astype(layer.weight.dtype)
    return layer


@pytest.mark.parametrize("name", PAIRS)
def test_gradient_check(rng, name):
    layer = randomise_prelu(PAIRS[name][0](), rng)
    result = check_module(layer, rng.standard_normal(SHAPE), rng=rng)
    assert result.max_error < 1e-7, str(result)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", PAIRS)
def test_matches_torch(rng, name, dtype):
    scratch, twin = PAIRS[name]
    layer = randomise_prelu(scratch(), rng)
    assert_matches_torch(layer, twin(), 3 * rng.standard_normal(SHAPE), rng, dtype)


@pytest.mark.parametrize("name", KINKED)
def test_gradient_at_exact_zeros_follows_torch(rng, name):
    scratch, twin = PAIRS[name]
    x = rng.standard_normal(SHAPE)
    x.flat[::3] = 0.0  # a third of the entries sit exactly on the kink
    layer = randomise_prelu(scratch(), rng)
    torch_layer = twin().double()
    assert_matches_torch(layer, torch_layer, x, rng, np.float64)  # loads the same weights into torch
    # once more, keeping torch's dx, to compare the entries on the kink bit for bit
    upstream = np.random.default_rng(5).standard_normal(SHAPE)
    layer.forward(x)
    dx = layer.backward(upstream)
    xt = torch.from_numpy(x).requires_grad_()
    torch_layer(xt).backward(torch.from_numpy(upstream))
    at_kink = x == 0
    np.testing.assert_array_equal(dx[at_kink], xt.grad.numpy()[at_kink])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_torch_autograd_including_zero(name):
    scratch, twin = PAIRS[name]
    xs = np.concatenate([np.linspace(-4, 4, 41), [0.0, -0.0]])
    xt = torch.from_numpy(xs).requires_grad_()
    twin().double()(xt).sum().backward()
    derivative = scratch().derivative(xs)
    assert relative_error(derivative, xt.grad.numpy()) < 1e-14
    np.testing.assert_array_equal(derivative[-2:], xt.grad.numpy()[-2:])  # the kink, exactly


def test_derivative_accepts_plain_numbers_and_lists():
    assert ReLU().derivative(0) == 0.0 and ReLU().derivative(2) == 1.0
    np.testing.assert_allclose(Sigmoid().derivative([0.0]), [0.25])


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), name=st.sampled_from(sorted(PAIRS)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_matches_torch_for_random_shapes(shape, name, dtype, seed):
    rng = np.random.default_rng(seed)
    if name == "prelu_per_channel":
        if len(shape) < 2:
            shape = shape + [2]
        layer, twin = PReLU(shape[1]), torch.nn.PReLU(shape[1])
    elif name.startswith("softmax"):
        dim = int(rng.integers(-len(shape), len(shape)))
        layer, twin = Softmax(dim), torch.nn.Softmax(dim)
    else:
        layer, twin = PAIRS[name][0](), PAIRS[name][1]()
    assert_matches_torch(randomise_prelu(layer, rng), twin, 2 * rng.standard_normal(shape), rng, dtype)


@pytest.mark.parametrize("name", PAIRS)
def test_float32_stays_float32_and_upstream_stays_untouched(rng, name):
    layer = randomise_prelu(PAIRS[name][0](), rng)
    y, dx = forward_backward_read_only(layer, rng.standard_normal(SHAPE).astype(np.float32), rng)
    assert y.dtype == dx.dtype == np.float32
    assert all(p.dtype == p.grad.dtype == np.float32 for p in layer.parameters())


EXTREME = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4], [1e4, 1e4, -1e4, 3.0, -3.0],
                    [-1e4, -1e4, -1e4, -1e4, -1e4], [0.5, -0.5, 1e4, 2.0, 1.0]], dtype=np.float32)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu", "leaky_relu", "softmax_last", "softmax_dim1"])
def test_extreme_inputs_give_no_warnings_and_match_torch(rng, name):
    scratch, twin = PAIRS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dx = assert_matches_torch(scratch(), twin(), EXTREME, rng, np.float32)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


def test_stable_functions_match_torch_on_extreme_logits():
    xt = torch.from_numpy(EXTREME)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, p, lp = sigmoid(EXTREME), softmax(EXTREME, axis=0), log_softmax(EXTREME, axis=1)
    assert s.dtype == p.dtype == lp.dtype == np.float32
    assert relative_error(s, torch.sigmoid(xt)) < 1e-6
    assert relative_error(p, torch.softmax(xt, dim=0)) < 1e-6
    assert relative_error(lp, torch.log_softmax(xt, dim=1)) < 1e-6
    assert np.all(np.isfinite(lp))  # log(softmax) would give log(0) = -inf here


def test_softmax_jacobian_matches_torch(rng):
    x = rng.standard_normal(5)
    expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.from_numpy(x))
    assert relative_error(Softmax.jacobian(x), expected.numpy()) < 1e-14


def test_prelu_parameter_matches_torch_name_and_value():
    assert [n for n, _ in PReLU(3).named_parameters()] == list(torch.nn.PReLU(3).state_dict())
    np.testing.assert_array_equal(PReLU(3, init=0.1).weight.data, torch.nn.PReLU(3, 0.1).weight.detach().numpy())


@pytest.mark.parametrize("x", [np.ones(SHAPE, dtype=np.int32), np.ones(SHAPE, dtype=np.float16),
                               np.ones((0, 3)), [1.0, 2.0]])
@pytest.mark.parametrize("name", PAIRS)
def test_rejects_bad_input(name, x):
    with pytest.raises(ValueError, match="x: expected"):
        PAIRS[name][0]()(x)


@pytest.mark.parametrize("name", PAIRS)
def test_rejects_bad_upstream_gradient(name):
    layer = PAIRS[name][0]()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(SHAPE, dtype=np.float32))
    layer(np.ones(SHAPE, dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out: expected dtype"):
        layer.backward(np.ones(SHAPE, dtype=np.float64))


@pytest.mark.parametrize("make, name", [
    (lambda: LeakyReLU(negative_slope="0.1"), "negative_slope"),
    (lambda: LeakyReLU(negative_slope=float("nan")), "negative_slope"),
    (lambda: ELU(alpha=None), "alpha"),
    (lambda: PReLU(num_parameters=0), "num_parameters"),
    (lambda: PReLU(init="a"), "init"),
    (lambda: PReLU(dtype=np.int64), "dtype"),
    (lambda: Softmax(dim=1.5), "dim"),
])
def test_rejects_bad_hyper_parameters(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_rejects_inputs_that_do_not_fit_the_layer():
    with pytest.raises(ValueError, match="x: expected 3 channels"):
        PReLU(3)(np.ones((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="x: expected dtype float32"):
        PReLU(3)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="dim"):
        Softmax(dim=2)(np.ones((4, 3), dtype=np.float32))
