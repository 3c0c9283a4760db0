"""Losses: finite differences, torch's values and gradients, extreme logits, and bad input."""
import warnings

import numpy as np
import pytest
import torch
from conftest import RTOL
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.gradcheck import check_loss, relative_error
from dlbook.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss


def torch_loss_and_grad(torch_loss, pred, target):
    """torch's loss value and d loss / d pred."""
    pt = torch.from_numpy(pred.copy()).requires_grad_()
    value = torch_loss(pt, torch.from_numpy(target))
    value.backward()
    return value.item(), pt.grad.numpy()


def make_case(kind, rng, n=6, c=4, dtype=np.float64, scale=2.0):
    """pred, target, our loss, torch's loss."""
    pred = (scale * rng.standard_normal((n, c))).astype(dtype)
    if kind == "mse_mean":
        return pred, rng.standard_normal((n, c)).astype(dtype), MSELoss(), torch.nn.MSELoss()
    if kind == "mse_sum":
        return pred, rng.standard_normal((n, c)).astype(dtype), MSELoss("sum"), torch.nn.MSELoss(reduction="sum")
    if kind == "cross_entropy":
        return pred, rng.integers(0, c, size=n), CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    if kind == "bce":
        return pred, rng.random((n, c)).astype(dtype), BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()
    raise AssertionError(kind)


KINDS = ["mse_mean", "mse_sum", "cross_entropy", "bce"]


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_check(rng, kind):
    pred, target, loss, _ = make_case(kind, rng)
    assert check_loss(loss, pred, target).max_error < 1e-7


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch(rng, kind, dtype):
    pred, target, loss, torch_loss = make_case(kind, rng, dtype=dtype)
    value = loss(pred, target)
    grad = loss.backward()
    expected_value, expected_grad = torch_loss_and_grad(torch_loss, pred, target)
    assert isinstance(value, float)
    assert grad.dtype == dtype and grad.shape == pred.shape
    assert relative_error(value, expected_value) < RTOL[dtype]
    assert relative_error(grad, expected_grad) < RTOL[dtype]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 8), c=st.integers(1, 6), kind=st.sampled_from(KINDS),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_matches_torch_for_random_sizes(n, c, kind, dtype, seed):
    pred, target, loss, torch_loss = make_case(kind, np.random.default_rng(seed), n, c, dtype)
    value = loss(pred, target)
    expected_value, expected_grad = torch_loss_and_grad(torch_loss, pred, target)
    assert relative_error(value, expected_value) < RTOL[dtype]
    assert relative_error(loss.backward(), expected_grad) < RTOL[dtype]


LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4], [1e4, 5.0, -5.0]], dtype=np.float32)


def assert_extreme_logits_match_torch(loss, torch_loss, target):
    """Loss and gradient at logits of ±1e4 in float32: no warning, finite, equal to torch's."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(LOGITS, target)
        grad = loss.backward()
    expected_value, expected_grad = torch_loss_and_grad(torch_loss, LOGITS, target)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert relative_error(value, expected_value) < 1e-5 and relative_error(grad, expected_grad) < 1e-5
    return value


def test_cross_entropy_on_extreme_logits():
    labels = np.array([1, 0, 2, 0])  # wrong, wrong, a three-way tie, right
    value = assert_extreme_logits_match_torch(CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), labels)
    # the mean loss is about 1e4: a capped log(p + 1e-7) would stop near 16
    assert value > 1e3


def test_bce_on_extreme_logits():
    targets = (np.arange(LOGITS.size).reshape(LOGITS.shape) % 2).astype(np.float32)
    assert_extreme_logits_match_torch(BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), targets)


def test_cross_entropy_of_uniform_logits_is_log_of_the_class_count():
    value = CrossEntropyLoss()(np.zeros((5, 7)), np.arange(5))
    assert value == pytest.approx(np.log(7), rel=1e-15)


@pytest.mark.parametrize("kind", KINDS)
def test_backward_leaves_pred_and_target_alone(rng, kind):
    pred, target, loss, _ = make_case(kind, rng)
    pred.setflags(write=False)
    target.setflags(write=False)
    before = pred.copy(), target.copy()
    loss(pred, target)
    loss.backward()
    np.testing.assert_array_equal(pred, before[0])
    np.testing.assert_array_equal(target, before[1])


@pytest.mark.parametrize("loss", [MSELoss(), CrossEntropyLoss(), BCEWithLogitsLoss()])
def test_backward_before_forward_is_an_error(loss):
    with pytest.raises(RuntimeError, match="before forward"):
        loss.backward()


P = np.zeros((4, 3))


@pytest.mark.parametrize("loss, pred, target, message", [
    (CrossEntropyLoss(), P, np.array([0.0, 1.0, 2.0, 0.0]), "target: expected integer"),
    (CrossEntropyLoss(), P, np.array([0, 1, 3, 0]), r"target: expected labels in \[0, 3\)"),
    (CrossEntropyLoss(), P, np.array([0, -1, 2, 0]), r"target: expected labels in \[0, 3\)"),
    (CrossEntropyLoss(), P, np.array([0, 1, 2]), r"target: expected shape \(4,\)"),
    (CrossEntropyLoss(), P, np.array([[0], [1], [2], [0]]), r"target: expected shape \(4,\)"),
    (CrossEntropyLoss(), np.zeros(3), np.array([0]), "pred: expected a 2-D"),
    (CrossEntropyLoss(), np.zeros((4, 3), dtype=np.int64), np.array([0, 1, 2, 0]), "pred: expected dtype"),
    (MSELoss(), P, np.zeros((4, 2)), r"target: expected shape \(4, 3\)"),
    (MSELoss(), P, np.zeros((4, 3), dtype=np.int64), "target: expected dtype"),
    (MSELoss(), np.zeros((4, 3), dtype=np.float16), np.zeros((4, 3)), "pred: expected dtype"),
    (BCEWithLogitsLoss(), P, np.zeros((3, 4)), r"target: expected shape \(4, 3\)"),
    (BCEWithLogitsLoss(), P, np.zeros((4, 3), dtype=bool), "target: expected dtype"),
])
def test_rejects_bad_input(loss, pred, target, message):
    with pytest.raises(ValueError, match=message):
        loss(pred, target)


def test_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        MSELoss(reduction="max")
