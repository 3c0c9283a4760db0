"""First-order optimisers against torch.optim: the same trajectory, step by step, in float64."""
import inspect
import warnings

import numpy as np
import pytest
import torch

from dlbook.nn import Parameter
from dlbook.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from dlbook.optim.test_functions import Quadratic, Rosenbrock

from conftest import (flat, make_net, rel_diff, start_pair, step_both_on_function,
                      step_both_on_net)

TOL64 = 1e-12

# name -> (scratch optimiser, torch optimiser, lr on Rosenbrock, lr on the small network)
CASES = {
    "sgd": (lambda p, lr: SGD(p, lr), lambda t, lr: torch.optim.SGD(t, lr), 1e-3, 0.2),
    "sgd_momentum": (lambda p, lr: SGD(p, lr, momentum=0.9),
                     lambda t, lr: torch.optim.SGD(t, lr, momentum=0.9), 2e-4, 0.05),
    "sgd_nesterov": (lambda p, lr: SGD(p, lr, momentum=0.8, nesterov=True),
                     lambda t, lr: torch.optim.SGD(t, lr, momentum=0.8, nesterov=True), 2e-4, 0.05),
    "sgd_weight_decay": (lambda p, lr: SGD(p, lr, momentum=0.5, weight_decay=0.1),
                         lambda t, lr: torch.optim.SGD(t, lr, momentum=0.5, weight_decay=0.1), 5e-4, 0.1),
    "momentum": (lambda p, lr: Momentum(p, lr), lambda t, lr: torch.optim.SGD(t, lr, momentum=0.9),
                 2e-4, 0.05),
    "nesterov": (lambda p, lr: Nesterov(p, lr),
                 lambda t, lr: torch.optim.SGD(t, lr, momentum=0.9, nesterov=True), 2e-4, 0.05),
    "adagrad": (lambda p, lr: AdaGrad(p, lr), lambda t, lr: torch.optim.Adagrad(t, lr), 0.3, 0.1),
    "rmsprop": (lambda p, lr: RMSprop(p, lr), lambda t, lr: torch.optim.RMSprop(t, lr), 0.01, 0.01),
    "adam": (lambda p, lr: Adam(p, lr), lambda t, lr: torch.optim.Adam(t, lr), 0.05, 0.02),
    "adam_weight_decay": (lambda p, lr: Adam(p, lr, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
                          lambda t, lr: torch.optim.Adam(t, lr, betas=(0.8, 0.99), eps=1e-6,
                                                         weight_decay=0.05), 0.05, 0.02),
}


# ----------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("name", list(CASES))
def test_rosenbrock_trajectory_matches_torch(name):
    make, make_torch, lr, _ = CASES[name]
    f = Rosenbrock()
    p, x_t = start_pair(f)
    opt, opt_t = make([p], lr), make_torch([x_t], lr)
    for step in range(60):
        step_both_on_function(f, p, x_t, opt, opt_t)
        err = rel_diff(p.data, x_t.detach().numpy())
        assert err < TOL64, f"step {step}: relative difference {err:.2e}"
    assert np.all(np.isfinite(p.data))
    assert f(p.data) < f(np.array(f.start)), "the run should make progress"


@pytest.mark.parametrize("name", list(CASES))
def test_network_trajectory_matches_torch(name):
    make, make_torch, _, lr = CASES[name]
    params, data = make_net()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt, opt_t = make(params, lr), make_torch(tparams, lr)
    first_loss = None
    for step in range(50):
        loss, loss_t = step_both_on_net(params, tparams, data, opt, opt_t)
        first_loss = loss if first_loss is None else first_loss
        assert abs(loss - loss_t) <= TOL64 * abs(loss_t)
        err = rel_diff(flat(p.data for p in params), flat(t.detach() for t in tparams))
        assert err < TOL64, f"step {step}: relative difference {err:.2e}"
    assert loss < first_loss


@pytest.mark.parametrize("name", ["sgd_nesterov", "adagrad", "rmsprop", "adam"])
def test_float32_network_keeps_dtype_and_matches_torch(name):
    make, make_torch, _, lr = CASES[name]
    params, data = make_net(np.float32)
    arrays = [p.data for p in params]
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt, opt_t = make(params, lr), make_torch(tparams, lr)
    for _ in range(20):
        step_both_on_net(params, tparams, data, opt, opt_t)
    for p, a, t in zip(params, arrays, tparams):
        assert p.data is a, "step() must update .data in place"
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- conventions
@pytest.mark.parametrize("ours, theirs", [(AdaGrad, torch.optim.Adagrad), (RMSprop, torch.optim.RMSprop),
                                          (Adam, torch.optim.Adam), (SGD, torch.optim.SGD)])
def test_defaults_equal_torch_defaults(ours, theirs):
    torch_sig = inspect.signature(theirs).parameters
    for name, par in inspect.signature(ours).parameters.items():
        if name == "params":
            continue
        assert name in torch_sig, f"{name} is not a torch argument name"
        if par.default is not inspect.Parameter.empty:
            assert par.default == torch_sig[name].default, f"default of {name} differs from torch's"


def test_zero_grad_and_lr_attribute():
    p = Parameter(np.ones(3))
    opt = SGD([p], lr=0.5)
    p.grad += 2.0
    opt.step()
    np.testing.assert_array_equal(p.data, np.zeros(3))
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    opt.lr = 0.25                   # what a scheduler does
    p.grad += 4.0
    opt.step()
    np.testing.assert_array_equal(p.data, -np.ones(3))


def test_state_is_kept_per_parameter():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    opt = Adam([a, b], lr=0.1)
    a.grad += 1.0
    opt.step()                     # b has zero gradient: its moments stay zero
    assert opt.state[0]["step"] == 1 and np.all(opt.state[0]["exp_avg"] > 0)
    assert np.all(opt.state[1]["exp_avg"] == 0) and opt.state[1]["exp_avg"].shape == (3,)
    np.testing.assert_array_equal(b.data, np.zeros(3))


# ----------------------------------------------------------------------------- bad input
P = [Parameter(np.zeros(2))]
BAD = [
    (lambda: SGD(P, lr=0.0), "lr"),
    (lambda: SGD(P, lr=-1.0), "lr"),
    (lambda: SGD(P, lr=0.1, momentum=1.0), "momentum"),
    (lambda: SGD(P, lr=0.1, momentum=-0.1), "momentum"),
    (lambda: SGD(P, lr=0.1, nesterov=True), "nesterov"),
    (lambda: SGD(P, lr=0.1, weight_decay=-1.0), "weight_decay"),
    (lambda: SGD([], lr=0.1), "params"),
    (lambda: SGD(np.zeros(2), lr=0.1), "params"),
    (lambda: SGD([np.zeros(2)], lr=0.1), r"params\[0\]"),
    (lambda: SGD([Parameter(np.zeros(2, dtype=np.float16))], lr=0.1), r"params\[0\]"),
    (lambda: Momentum(P, lr=0.1, momentum=1.5), "momentum"),
    (lambda: Nesterov(P, lr=0.1, momentum=0.0), "nesterov"),
    (lambda: AdaGrad(P, lr=float("nan")), "lr"),
    (lambda: AdaGrad(P, eps=0.0), "eps"),
    (lambda: RMSprop(P, alpha=1.0), "alpha"),
    (lambda: RMSprop(P, eps=-1e-8), "eps"),
    (lambda: Adam(P, betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda: Adam(P, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda: Adam(P, betas=0.9), "betas"),
    (lambda: Adam(P, eps=0), "eps"),
    (lambda: Adam(P, lr="0.1"), "lr"),
]


@pytest.mark.parametrize("make, argument", BAD)
def test_bad_hyperparameters_raise_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        make()


# ----------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=1.0), lambda p: Momentum(p, lr=1.0),
                                  lambda p: Nesterov(p, lr=1.0)])
def test_too_large_lr_diverges_to_inf_or_nan_without_warnings(make):
    f = Quadratic(condition=10.0)    # stable only for lr < 2 / 10
    p = Parameter(np.array(f.start))
    opt = make([p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(1000):
            opt.zero_grad()
            p.grad += f.grad(p.data)
            opt.step()
    assert not np.all(np.isfinite(p.data))


@pytest.mark.parametrize("name", list(CASES))
def test_non_finite_gradients_do_not_raise(name):
    make = CASES[name][0]
    p = Parameter(np.ones(3))
    opt = make([p], 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for g in ([np.inf, -np.inf, 1.0], [np.nan, 1e300, 1e300]):
            p.grad = np.array(g)
            opt.step()
    assert not np.all(np.isfinite(p.data))
