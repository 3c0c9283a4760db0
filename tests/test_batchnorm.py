"""BatchNorm1d/2d: finite differences, torch (train and eval, running statistics), bad input."""
import numpy as np
import pytest
import torch
from conftest import assert_matches_torch, forward_backward_read_only, load_into_torch

from dlbook.gradcheck import check_module, relative_error
from dlbook.nn.norm import BatchNorm1d, BatchNorm2d

# (scratch class, torch class, input shape): features, sequences, images.
CASES = [(BatchNorm1d, torch.nn.BatchNorm1d, (6, 3)),
         (BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
         (BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 4, 5))]
IDS = ["1d-features", "1d-sequence", "2d-images"]


def random_bn(rng, cls, channels, **kwargs):
    """A layer with non-trivial weight and bias (ones and zeros would hide mistakes)."""
    layer = cls(channels, **kwargs)
    layer.weight.data = rng.uniform(0.5, 2.0, channels).astype(np.float32)
    layer.bias.data = rng.standard_normal(channels).astype(np.float32)
    return layer


def shifted_input(rng, shape):
    """Channels with different means and spreads, so per-channel statistics matter."""
    c = shape[1]
    scale = np.arange(1, c + 1).reshape((1, c) + (1,) * (len(shape) - 2))
    return rng.standard_normal(shape) * scale + 3.0 * scale


# ----- finite differences, train and eval mode, random upstream gradient
@pytest.mark.parametrize("cls, torch_cls, shape", CASES, ids=IDS)
def test_batchnorm_gradient_check_in_training(rng, cls, torch_cls, shape):
    result = check_module(random_bn(rng, cls, shape[1]), shifted_input(rng, shape), rng=rng)
    assert result.max_error < 1e-7, str(result)


@pytest.mark.parametrize("cls, torch_cls, shape", CASES, ids=IDS)
def test_batchnorm_gradient_check_in_eval(rng, cls, torch_cls, shape):
    layer = random_bn(rng, cls, shape[1]).astype(np.float64)
    for _ in range(3):                                     # non-trivial running statistics
        layer.forward(shifted_input(rng, shape))
    result = check_module(layer.eval(), shifted_input(rng, shape), rng=rng)
    assert result.max_error < 1e-7, str(result)


def test_an_upstream_of_ones_gives_zero_dx(rng):
    """Why the checks use random upstream gradients: with ones, dx vanishes in training mode."""
    layer = random_bn(rng, BatchNorm1d, 3).astype(np.float64)
    layer.forward(shifted_input(rng, (8, 3)))
    assert np.abs(layer.backward(np.ones((8, 3)))).max() < 1e-12
    assert np.abs(layer.backward(rng.standard_normal((8, 3)))).max() > 1e-2


# ----- torch: outputs and gradients, train and eval
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, torch_cls, shape", CASES, ids=IDS)
def test_batchnorm_matches_torch_in_training(rng, cls, torch_cls, shape, dtype):
    layer = random_bn(rng, cls, shape[1])
    assert_matches_torch(layer, torch_cls(shape[1]), shifted_input(rng, shape), rng, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, torch_cls, shape", CASES, ids=IDS)
def test_batchnorm_matches_torch_in_eval(rng, cls, torch_cls, shape, dtype):
    layer = random_bn(rng, cls, shape[1]).astype(dtype)
    for _ in range(3):
        layer.forward(shifted_input(rng, shape).astype(dtype))
    layer.eval()
    twin = torch_cls(shape[1]).eval()
    assert_matches_torch(layer, twin, shifted_input(rng, shape), rng, dtype)   # loads the running stats


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum", [0.1, 0.3])
@pytest.mark.parametrize("cls, torch_cls, shape", CASES, ids=IDS)
def test_running_statistics_match_torch_after_several_steps(rng, cls, torch_cls, shape, momentum, dtype):
    layer = random_bn(rng, cls, shape[1], momentum=momentum).astype(dtype)
    twin = load_into_torch(layer, torch_cls(shape[1], momentum=momentum).to(
        torch.float64 if dtype == np.float64 else torch.float32))
    for _ in range(5):
        x = shifted_input(rng, shape).astype(dtype)
        y = layer.forward(x)
        with torch.no_grad():
            y_torch = twin(torch.from_numpy(x)).numpy()
        assert relative_error(y, y_torch) < (1e-10 if dtype == np.float64 else 1e-5)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for name in ["running_mean", "running_var"]:
        assert getattr(layer, name).dtype == dtype
        assert relative_error(getattr(layer, name), getattr(twin, name).numpy()) < tol, name
    assert layer.num_batches_tracked.dtype == np.int64
    assert int(layer.num_batches_tracked) == int(twin.num_batches_tracked) == 5
    # And in eval mode both now use those running statistics.
    x = shifted_input(rng, shape).astype(dtype)
    layer.eval()
    twin.eval()
    with torch.no_grad():
        y_torch = twin(torch.from_numpy(x)).numpy()
    assert relative_error(layer(x), y_torch) < (1e-10 if dtype == np.float64 else 1e-5)


def test_running_variance_is_unbiased_and_momentum_weights_the_new_batch():
    layer = BatchNorm1d(1, momentum=0.25).astype(np.float64)
    x = np.array([[1.0], [2.0], [3.0], [6.0]])           # mean 3, biased var 3.5, unbiased 14/3
    layer.forward(x)
    np.testing.assert_allclose(layer.running_mean, [0.75 * 0.0 + 0.25 * 3.0], rtol=1e-15)
    np.testing.assert_allclose(layer.running_var, [0.75 * 1.0 + 0.25 * 14 / 3], rtol=1e-15)


def test_batchnorm2d_normalises_per_channel_not_per_pixel(rng):
    layer = BatchNorm2d(3).astype(np.float64)
    y = layer(shifted_input(rng, (4, 3, 5, 5)))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)   # var / (var + eps)
    assert np.abs(y.mean(axis=0)).max() > 0.1           # a single pixel is not centred on its own


def test_eval_mode_does_not_update_running_statistics(rng):
    layer = BatchNorm2d(2)
    layer.forward(rng.standard_normal((4, 2, 3, 3)).astype(np.float32))
    state = layer.state_dict()
    layer.eval().forward(rng.standard_normal((4, 2, 3, 3)).astype(np.float32))
    for name, value in state.items():
        np.testing.assert_array_equal(layer.state_dict()[name], value)


def test_state_dict_uses_torch_names_and_loads_into_torch(rng):
    layer = random_bn(rng, BatchNorm2d, 4)
    layer.forward(rng.standard_normal((4, 4, 3, 3)).astype(np.float32))
    assert list(layer.state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    twin = load_into_torch(layer, torch.nn.BatchNorm2d(4))
    np.testing.assert_array_equal(twin.running_var.numpy(), layer.running_var)
    assert int(twin.num_batches_tracked) == 1


# ----- dtype, read-only arrays, bad input
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_keeps_float32_and_leaves_inputs_alone(rng, train):
    layer = random_bn(rng, BatchNorm2d, 3).train(train)
    x = shifted_input(rng, (4, 3, 4, 4)).astype(np.float32)
    y, dx = forward_backward_read_only(layer, x, rng)
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == layer.running_var.dtype == np.float32


@pytest.mark.parametrize("kwargs, name", [(dict(num_features=0), "num_features"),
                                          (dict(num_features=3, eps=0.0), "eps"),
                                          (dict(num_features=3, eps=-1e-5), "eps"),
                                          (dict(num_features=3, momentum=-0.1), "momentum"),
                                          (dict(num_features=3, momentum=1.5), "momentum"),
                                          (dict(num_features=3, dtype=np.int64), "dtype")])
@pytest.mark.parametrize("cls", [BatchNorm1d, BatchNorm2d])
def test_batchnorm_rejects_bad_hyper_parameters(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


def test_batchnorm_rejects_bad_input(rng):
    with pytest.raises(ValueError, match=r"x: expected a 2-D \(N, C\) or 3-D"):
        BatchNorm1d(3)(np.ones((4, 3, 2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"x: expected a 4-D \(N, C, H, W\)"):
        BatchNorm2d(3)(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="x: expected 3 channels"):
        BatchNorm2d(3)(np.ones((4, 2, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="x: expected 3 channels"):
        BatchNorm1d(3)(np.ones((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="x: expected dtype float32"):
        BatchNorm1d(3)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1d(3)(np.ones((1, 3), dtype=np.float32))
    BatchNorm1d(3).eval()(np.ones((1, 3), dtype=np.float32))      # fine in eval mode
    layer = BatchNorm1d(3)
    layer(rng.standard_normal((4, 3)).astype(np.float32))
    with pytest.raises(ValueError, match="grad_out: expected shape"):
        layer.backward(np.ones((4, 2), dtype=np.float32))
