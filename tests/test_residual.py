"""Residual: y = x + body(x). Torch, the Jacobian I + J_body, and the in-place upstream trap."""
import numpy as np
import pytest
import torch
from conftest import assert_matches_torch

from dlbook.gradcheck import check_module, relative_error
from dlbook.nn.activations import ReLU
from dlbook.nn.conv import Conv2d
from dlbook.nn.dropout import Dropout
from dlbook.nn.linear import Linear
from dlbook.nn.module import Sequential
from dlbook.nn.norm import BatchNorm2d
from dlbook.nn.pooling import Flatten
from dlbook.nn.residual import Residual


class TorchResidual(torch.nn.Module):
    """Reference block: the same child name "body", so state_dict keys match."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


def mlp_block(rng, d=5, hidden=7):
    block = Residual(Sequential(Linear(d, hidden, rng=rng), ReLU(), Linear(hidden, d, rng=rng)))
    for layer in (block.body[0], block.body[2]):
        layer.bias.data = rng.standard_normal(layer.bias.shape).astype(np.float32)
    return block


def torch_mlp_block(d=5, hidden=7):
    return TorchResidual(torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(),
                                             torch.nn.Linear(hidden, d)))


def test_names_follow_torch(rng):
    assert list(mlp_block(rng).state_dict()) == list(torch_mlp_block().state_dict())


def test_residual_gradient_check(rng):
    result = check_module(mlp_block(rng), rng.standard_normal((4, 5)), rng=rng)
    assert result.max_error < 1e-7, str(result)
    assert set(result.param_errors) == {"body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_residual_mlp_matches_torch(rng, dtype):
    assert_matches_torch(mlp_block(rng), torch_mlp_block(), rng.standard_normal((6, 5)), rng, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_residual_conv_block_matches_torch(rng, dtype):
    """A ResNet-style block: conv (same padding) -> batch norm -> ReLU, plus the shortcut.

    The conv has no bias, as in ResNets: batch norm subtracts the mean, so a bias before it has a
    gradient of exactly zero (here only rounding noise, which a relative comparison cannot judge).
    """
    block = Residual(Sequential(Conv2d(3, 3, 3, padding=1, bias=False, rng=rng), BatchNorm2d(3), ReLU()))
    twin = TorchResidual(torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1, bias=False),
                                             torch.nn.BatchNorm2d(3), torch.nn.ReLU()))
    assert_matches_torch(block, twin, rng.standard_normal((4, 3, 5, 5)), rng, dtype)


def test_jacobian_is_identity_plus_the_body_jacobian(rng):
    """For y = x + W2 relu(W1 x + b1) + b2 (one sample): dy/dx = I + W2 diag(relu'(z)) W1.

    The backward pass returns u^T J, i.e. J^T u = u + W1^T diag(relu'(z)) W2^T u. Built here three
    ways for a batch of 4 (the full 4d x 4d Jacobian is block-diagonal): from the closed form,
    from backward with unit upstream vectors, and from central differences.
    """
    d, n = 5, 4
    block = mlp_block(rng, d=d).astype(np.float64)
    w1, b1, w2 = block.body[0].weight.data, block.body[0].bias.data, block.body[2].weight.data
    x = rng.standard_normal((n, d))
    z = x @ w1.T + b1
    assert np.abs(z).min() > 1e-4                      # away from the ReLU kink at 0

    closed = np.zeros((n * d, n * d))
    for b in range(n):
        block_b = np.eye(d) + w2 @ np.diag((z[b] > 0).astype(float)) @ w1
        closed[b * d:(b + 1) * d, b * d:(b + 1) * d] = block_b

    from_backward = np.zeros((n * d, n * d))           # row k: u = e_k, backward gives e_k^T J
    block.forward(x)
    for k in range(n * d):
        unit = np.zeros(n * d)
        unit[k] = 1.0
        from_backward[k] = block.backward(unit.reshape(n, d)).ravel()

    numeric = np.zeros((n * d, n * d))                 # column k: (y(x + h e_k) - y(x - h e_k)) / 2h
    h = 1e-6
    for k in range(n * d):
        step = np.zeros(n * d)
        step[k] = h
        step = step.reshape(n, d)
        numeric[:, k] = (block.forward(x + step) - block.forward(x - step)).ravel() / (2 * h)

    np.testing.assert_allclose(from_backward, closed, rtol=0, atol=1e-13)
    assert relative_error(numeric, closed) < 1e-8
    assert relative_error(closed, np.eye(n * d)) > 0.1  # the body's part is really there


def test_backward_never_writes_into_upstream_even_when_the_body_returns_it(rng):
    """Dropout in eval and Flatten on 2-D input return their upstream array itself (or a view).

    ``dx = body.backward(g); dx += g`` would then double g in place; the right sum is g + body'(g).
    """
    for body in (Dropout(0.5).eval(), Flatten()):
        block = Residual(body)
        x = rng.standard_normal((4, 3))
        block.forward(x)
        upstream = rng.standard_normal((4, 3))
        before = upstream.copy()
        dx = block.backward(upstream)
        np.testing.assert_array_equal(upstream, before)
        np.testing.assert_array_equal(dx, 2 * before)
        upstream.setflags(write=False)                 # and a read-only upstream is fine
        np.testing.assert_array_equal(block.backward(upstream), 2 * before)


def test_residual_keeps_float32(rng):
    block = mlp_block(rng)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = block(x)
    dx = block.backward(rng.standard_normal(y.shape).astype(np.float32))
    assert y.dtype == dx.dtype == np.float32


def test_residual_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="body: expected a dlbook Module"):
        Residual(torch.nn.ReLU())
    with pytest.raises(ValueError, match="body: its output must have the input's shape"):
        Residual(Linear(5, 3, rng=rng))(rng.standard_normal((4, 5)).astype(np.float32))
    block = mlp_block(rng)
    block(rng.standard_normal((4, 5)).astype(np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        block.backward(np.ones((4, 3), dtype=np.float32))
