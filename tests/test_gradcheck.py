"""The gradient checker must pass correct layers and catch broken ones."""
import numpy as np
import pytest

from dlbook.gradcheck import GradCheckResult, check_loss, check_module, numerical_vjp, relative_error
from dlbook.nn.activations import Sigmoid
from dlbook.nn.linear import Linear
from dlbook.nn.losses import CrossEntropyLoss
from dlbook.nn.module import Module, Parameter


# ----- relative_error
def test_relative_error_of_equal_and_of_zero_arrays_is_zero():
    a = np.arange(6.0).reshape(2, 3)
    assert relative_error(a, a.copy()) == 0.0
    assert relative_error(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))) == 0.0


def test_relative_error_formula_on_arrays_of_any_rank(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    expected = np.sqrt(np.sum((a - b) ** 2)) / (np.sqrt(np.sum(a**2)) + np.sqrt(np.sum(b**2)))
    assert relative_error(a, b) == pytest.approx(expected, rel=1e-14)
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(1e-30 * a, 1e-30 * b) == pytest.approx(expected, rel=1e-12)  # scale-free


def test_relative_error_converts_to_float64():
    a = np.array([1, 2, 3], dtype=np.int64)
    b = np.array([1.0, 2.0, 3.0 + 1e-12], dtype=np.float64)
    assert 0 < relative_error(a, b) < 1e-12  # float32 would round the difference away
    assert relative_error(np.float32(2.0), 2.0) == 0.0


def test_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="b: expected shape"):
        relative_error(np.zeros(3), np.zeros(4))


# ----- numerical_vjp
def test_numerical_vjp_of_elementwise_cube(rng):
    x, u = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    numeric = numerical_vjp(lambda v: v**3, x, u)
    assert relative_error(numeric, 3 * x**2 * u) < 1e-8


def test_numerical_vjp_of_matrix_product_is_transpose_times_upstream(rng):
    a, x, u = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    assert relative_error(numerical_vjp(lambda v: a @ v, x, u), a.T @ u) < 1e-8


def test_numerical_vjp_works_in_float64_and_leaves_x_alone(rng):
    x = rng.standard_normal(4).astype(np.float32)
    before = x.copy()
    grad = numerical_vjp(lambda v: np.sum(np.sin(v)), x, 1.0)
    assert grad.dtype == np.float64
    assert relative_error(grad, np.cos(x.astype(np.float64))) < 1e-8
    np.testing.assert_array_equal(x, before)


# ----- check_module
class BiasMeanLinear(Linear):
    """Deliberately wrong: averages the bias gradient over the batch instead of summing it."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.bias.grad -= grad_out.sum(axis=0) - grad_out.mean(axis=0)
        return dx


class WrongSigmoid(Sigmoid):
    """Deliberately wrong: uses sigma instead of sigma (1 - sigma)."""

    def local_gradient(self, x, y):
        return y


class Centre(Module):
    """y = x - mean(x over the batch). Correct dx = g - mean(g), which is 0 when g is all ones."""

    def __init__(self, broken=False):
        super().__init__()
        self.broken = broken

    def forward(self, x):
        return x - x.mean(axis=0)

    def backward(self, grad_out):
        return np.zeros_like(grad_out) if self.broken else grad_out - grad_out.mean(axis=0)


def test_check_module_passes_a_correct_layer(rng):
    result = check_module(Linear(3, 4, rng=rng), rng.standard_normal((5, 3)), rng=rng)
    assert isinstance(result, GradCheckResult)
    assert set(result.param_errors) == {"weight", "bias"}
    assert result.max_error < 1e-7 and result.passed()
    assert "weight" in str(result) and "bias" in str(result)


def test_check_module_catches_a_wrong_parameter_gradient(rng):
    result = check_module(BiasMeanLinear(3, 4, rng=rng), rng.standard_normal((5, 3)), rng=rng)
    assert result.param_errors["weight"] < 1e-7 and result.input_error < 1e-7
    assert result.param_errors["bias"] > 0.1
    assert not result.passed()


def test_check_module_catches_a_wrong_input_gradient(rng):
    result = check_module(WrongSigmoid(), rng.standard_normal((4, 3)), rng=rng)
    assert result.input_error > 0.1


def test_random_upstream_catches_what_an_upstream_of_ones_hides(rng):
    x = rng.standard_normal((6, 3))
    broken = Centre(broken=True)
    ones = np.ones((6, 3))
    # With an upstream of ones the numerical VJP is ~0, the same as the broken backward's zeros ...
    assert np.max(np.abs(numerical_vjp(broken.forward, x, ones))) < 1e-8
    # ... a random upstream exposes it, while the correct layer passes.
    assert check_module(broken, x, rng=rng).input_error > 0.5
    assert check_module(Centre(), x, rng=rng).input_error < 1e-7


class RunningMean(Module):
    """y = w * x + b, and (train mode only) a running mean of x, updated by every forward."""

    def __init__(self):
        super().__init__()
        self.weight = Parameter(np.array([1.5, -0.5], dtype=np.float32))
        self.bias = Parameter(np.array([0.1, 0.2], dtype=np.float32))
        self.register_buffer("running_mean", np.zeros(2, dtype=np.float32))

    def forward(self, x):
        if self.training:
            self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(axis=0)
        self._x = x
        return x * self.weight.data + self.bias.data

    def backward(self, grad_out):
        self.weight.grad += (grad_out * self._x).sum(axis=0)
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out * self.weight.data


@pytest.mark.parametrize("training", [True, False])
def test_check_module_restores_parameters_buffers_and_mode(rng, training):
    module = RunningMean().train(training)
    result = check_module(module, rng.standard_normal((4, 2)), rng=rng)
    assert result.max_error < 1e-7
    assert module.training is training
    assert module.weight.data.dtype == np.float64  # converted for the check, as documented
    np.testing.assert_array_equal(module.weight.data, [1.5, -0.5])
    np.testing.assert_array_equal(module.bias.data, np.float32([0.1, 0.2]).astype(np.float64))
    np.testing.assert_array_equal(module.running_mean, np.zeros(2))


class WritesIntoUpstream(Centre):
    def backward(self, grad_out):
        grad_out -= grad_out.mean(axis=0)
        return grad_out


def test_check_module_rejects_a_backward_that_writes_into_its_upstream(rng):
    with pytest.raises(ValueError, match="read-only"):
        check_module(WritesIntoUpstream(), rng.standard_normal((4, 3)), rng=rng)


# ----- check_loss
class UnscaledCrossEntropy(CrossEntropyLoss):
    """Deliberately wrong: forgets to divide the gradient by the batch size."""

    def backward(self):
        return super().backward() * len(self._cache[1])


def test_check_loss_passes_a_correct_loss_and_catches_a_wrong_one(rng):
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)
    good = check_loss(CrossEntropyLoss(), logits, labels)
    assert good.max_error < 1e-7 and good.param_errors == {}
    assert check_loss(UnscaledCrossEntropy(), logits, labels).max_error > 0.5


def test_check_loss_leaves_the_cache_at_the_checked_point(rng):
    loss = CrossEntropyLoss()
    logits, labels = rng.standard_normal((4, 3)), rng.integers(0, 3, size=4)
    check_loss(loss, logits, labels)
    reference = CrossEntropyLoss()
    reference.forward(logits, labels)
    np.testing.assert_array_equal(loss.backward(), reference.backward())
