"""The bad-input contract: every public entry point answers bad input with a ValueError that
names the argument and the expected form, instead of a deep NumPy/torch error or a silent
acceptance (broadcasting, truthiness, a quiet fallback)."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dlbook import nn, optim  # noqa: E402
from dlbook.gradcheck import numerical_vjp  # noqa: E402
from dlbook.plotting import loss_curve  # noqa: E402
from dlbook.twins import copy_weights, to_torch, torch_optimizer_like  # noqa: E402


def quadratic(x):
    return float(x @ x)


def params3():
    p = nn.Parameter(np.zeros(3))
    return [p]


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Momentum(ps, lr=0.1),
    lambda ps: optim.AdaGrad(ps), lambda ps: optim.RMSprop(ps), lambda ps: optim.Adam(ps)])
@pytest.mark.parametrize("bad_grad", [np.ones(1), np.ones((3, 1)), np.ones(4)])
def test_an_optimiser_refuses_a_gradient_of_the_wrong_shape(make, bad_grad):
    ps = params3()
    opt = make(ps)
    ps[0].grad = bad_grad
    with pytest.raises(ValueError, match=r"params\[0\]\.grad: expected shape \(3,\)"):
        opt.step()
    assert np.array_equal(ps[0].data, np.zeros(3))  # nothing was applied


@pytest.mark.parametrize("nesterov", [1, 0, "yes", None])
def test_nesterov_is_a_switch_not_a_truthy_value(nesterov):
    with pytest.raises(ValueError, match="nesterov: expected True or False"):
        optim.SGD(params3(), lr=0.1, momentum=0.9, nesterov=nesterov)


@pytest.mark.parametrize("method", ["bfgs", "dfp", "newton"])
def test_quasi_newton_methods_check_the_gradient_shape(method):
    bad_grad = lambda x: np.ones(len(x) + 1)  # noqa: E731
    args = (quadratic, bad_grad, np.ones(3))
    kwargs = {"hess": lambda x: 2 * np.eye(3)} if method == "newton" else {}
    fn = getattr(optim, method)
    if method == "newton":
        with pytest.raises(ValueError, match=r"grad: expected grad\(x\) of shape \(3,\)"):
            fn(quadratic, bad_grad, kwargs["hess"], np.ones(3))
    else:
        with pytest.raises(ValueError, match=r"grad: expected grad\(x\) of shape \(3,\)"):
            fn(*args)


def test_newton_checks_the_hessian_shape_and_callables():
    grad = lambda x: 2 * x  # noqa: E731
    with pytest.raises(ValueError, match=r"hess: expected hess\(x\) of shape \(3, 3\), got \(3,\)"):
        optim.newton(quadratic, grad, lambda x: np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="hess: expected a function"):
        optim.newton(quadratic, grad, np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="grad: expected a function"):
        optim.bfgs(quadratic, None, np.ones(3))


def test_numerical_vjp_refuses_an_upstream_of_another_shape():
    f = lambda x: x ** 2  # noqa: E731
    with pytest.raises(ValueError, match=r"upstream: expected the shape of f\(x\), \(3,\), got \(1,\)"):
        numerical_vjp(f, np.ones(3), np.ones(1))
    with pytest.raises(ValueError, match="f: expected a function"):
        numerical_vjp("x", np.ones(3), np.ones(3))
    np.testing.assert_allclose(numerical_vjp(f, np.arange(3.0), np.ones(3)), [0, 2, 4], atol=1e-8)


def test_torch_optimizer_like_checks_the_parameters_it_is_given():
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float64))
    opt = optim.SGD(model.parameters(), lr=0.1)
    twin = to_torch(model)
    with pytest.raises(ValueError, match="torch_params: expected the twin's parameters"):
        torch_optimizer_like(opt, None)
    with pytest.raises(ValueError, match="torch_params: expected 2 tensors.*got 0"):
        torch_optimizer_like(opt, [])
    with pytest.raises(ValueError, match=r"torch_params\[0\]: expected shape \(2, 3\).*got \(2,\)"):
        torch_optimizer_like(opt, list(twin.parameters())[::-1])
    with pytest.raises(ValueError, match="scratch_optimizer: expected a dlbook.optim optimiser"):
        torch_optimizer_like(torch.optim.SGD(twin.parameters(), lr=0.1), twin)
    assert isinstance(torch_optimizer_like(opt, twin), torch.optim.SGD)


def test_load_state_dict_refuses_unexpected_entries():
    layer = nn.Linear(3, 2, dtype=np.float64)
    state = layer.state_dict()
    state["wieght"] = state["weight"]
    with pytest.raises(ValueError, match=r"state: unexpected entries \['wieght'\]"):
        layer.load_state_dict(state)


def test_copy_weights_refuses_a_half_precision_destination():
    layer = nn.Linear(3, 2, dtype=np.float32)
    twin = torch.nn.Linear(3, 2).half()
    with pytest.raises(ValueError, match="dst: parameter 'weight' is torch.float16"):
        copy_weights(layer, twin)


@pytest.mark.parametrize("bad", [[1.5, 0.0], [-0.1, 1.0], [np.nan, 1.0]])
def test_bce_targets_must_be_probabilities(bad):
    loss = nn.BCEWithLogitsLoss()
    with pytest.raises(ValueError, match=r"target: expected probabilities in \[0, 1\]"):
        loss.forward(np.zeros(2), np.array(bad))
    assert loss.forward(np.zeros(2), np.array([0.0, 0.25])) == pytest.approx(np.log(2))


def test_loss_curve_refuses_what_is_not_a_sequence_of_numbers():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="losses: expected a sequence of numbers"):
            loss_curve(ax, "abc")
    finally:
        plt.close(fig)
