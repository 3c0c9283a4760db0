"""The NaN/inf policy (CONTRIBUTING.md, "Non-finite values"): layers, losses and optimisers pass
NaN and inf through exactly as their torch twins do, without checking for them (a check would
cost a pass over every array on the hot path). Divergence is detected where it is reported:
``dlbook.plotting.first_divergence`` and the figures that use it."""
import numpy as np
import pytest
import torch

from dlbook import nn
from dlbook.plotting import first_divergence


def same_nan_pattern(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = np.isfinite(ours) & np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12)


def poisoned(shape, where):
    x = np.random.default_rng(0).standard_normal(shape)
    x[where] = np.nan
    return x


def test_linear_spreads_a_nan_over_its_row_as_torch_does():
    layer = nn.Linear(4, 3, dtype=np.float64)
    twin = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data))
        twin.bias.copy_(torch.from_numpy(layer.bias.data))
    x = poisoned((2, 4), (0, 1))
    y = layer.forward(x)
    same_nan_pattern(y, twin(torch.from_numpy(x)))
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()


@pytest.mark.parametrize("ours, theirs", [(nn.ReLU(), torch.nn.ReLU()),
                                          (nn.MaxPool2d(2), torch.nn.MaxPool2d(2))])
def test_relu_and_max_pooling_keep_nan_as_torch_does(ours, theirs):
    x = poisoned((1, 1, 4, 4), (0, 0, 1, 2))
    same_nan_pattern(ours.forward(x), theirs(torch.from_numpy(x)))


def test_dropout_in_eval_mode_is_the_identity_nan_included():
    x = poisoned((3, 5), (1, 3))
    drop = nn.Dropout(0.5)
    drop.eval()
    same_nan_pattern(drop.forward(x), torch.from_numpy(x))


def test_cross_entropy_of_a_nan_logit_is_nan_as_in_torch():
    logits = poisoned((2, 3), (0, 0))
    target = np.array([1, 2])
    ours = nn.CrossEntropyLoss().forward(logits, target)
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target))
    assert np.isnan(ours) and torch.isnan(theirs)


def test_one_nan_batch_poisons_batchnorm_running_mean_as_in_torch():
    ours = nn.BatchNorm1d(2, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(2, dtype=torch.float64)
    clean = np.random.default_rng(1).standard_normal((4, 2))
    for x in (poisoned((4, 2), (0, 0)), clean):  # later clean batches do not heal it
        ours.forward(x)
        theirs(torch.from_numpy(x))
    same_nan_pattern(ours.running_mean, theirs.running_mean)
    assert np.isnan(ours.running_mean[0]) and np.isfinite(ours.running_mean[1])


def test_divergence_is_detected_where_it_is_reported():
    assert first_divergence([1.0, 0.5, np.nan, 0.1]) == 2
    assert first_divergence([1.0, np.inf]) == 1
    assert first_divergence([1.0, 0.5]) is None
