"""L-BFGS against torch.optim.LBFGS; Newton, DFP and BFGS against exact answers and SciPy;
the 2-D test functions' gradients and Hessians against torch autograd."""
import warnings

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from dlbook.nn import Parameter
from dlbook.optim import LBFGS, bfgs, dfp, newton
from dlbook.optim.quasi_newton import (armijo_line_search, bfgs_update, dfp_update, newton_direction,
                                       wolfe_line_search)
from dlbook.optim.test_functions import Quadratic, Rosenbrock, Saddle

from conftest import make_net, net_loss_and_grads, run_lbfgs_pair, start_pair, torch_net_loss

FUNCTIONS = [Quadratic(condition=20.0, angle=0.4), Rosenbrock(), Saddle(c=0.5)]


# ----------------------------------------------------------------------------- test functions
@pytest.mark.parametrize("f", FUNCTIONS, ids=repr)
def test_test_function_derivatives_match_autograd(f, rng):
    for x in rng.uniform(-1.5, 1.5, size=(4, 2)):
        xt = torch.tensor(x, requires_grad=True)
        value_t = f(xt)
        value_t.backward()
        hess_t = torch.autograd.functional.hessian(f, torch.tensor(x))
        assert abs(f(x) - value_t.item()) <= 1e-14 * max(1.0, abs(f(x)))
        np.testing.assert_allclose(f.grad(x), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f.hess(x), hess_t.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f.grad(xt.detach()).numpy(), f.grad(x), rtol=1e-15)
        np.testing.assert_allclose(f.hess(xt.detach()).numpy(), f.hess(x), rtol=1e-15)
    np.testing.assert_allclose(f.grad(f.minimum), 0.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(f.hess(f.minimum)) > 0)


@pytest.mark.parametrize("f", FUNCTIONS, ids=repr)
def test_test_functions_evaluate_on_a_meshgrid(f):
    X, Y = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4))
    grid = np.stack([X, Y])
    assert f(grid).shape == (4, 5) and f.grad(grid).shape == (2, 4, 5)
    assert f.hess(grid).shape == (2, 2, 4, 5)
    i, j = 2, 3
    point = np.array([X[i, j], Y[i, j]])
    assert f(grid)[i, j] == f(point)
    np.testing.assert_array_equal(f.hess(grid)[:, :, i, j], f.hess(point))


# ----------------------------------------------------------------------------- L-BFGS vs torch
@pytest.mark.parametrize("kwargs", [dict(lr=0.5), dict(lr=1.0, history_size=4, max_iter=6),
                                    dict(lr=0.1, history_size=3, max_iter=5, max_eval=4)])
def test_lbfgs_matches_torch_on_rosenbrock(kwargs):
    f = Rosenbrock()
    p, x_t = start_pair(f)

    def loss_and_grads():
        p.grad += f.grad(p.data)
        return f(p.data)

    steps = 8 if kwargs["lr"] < 1 else 4    # fixed steps of 1 on Rosenbrock amplify rounding fast
    for x, x_torch, _ in run_lbfgs_pair([p], [x_t], loss_and_grads, lambda: f(x_t), steps, **kwargs):
        assert np.linalg.norm(x - x_torch) <= 1e-10 * np.linalg.norm(x_torch)
    assert f(p.data) < 0.5 * f(np.array(f.start))


def test_lbfgs_matches_torch_on_a_network_with_several_parameters():
    params, data = make_net(seed=3)
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    first = net_loss_and_grads(params, data)
    for x, x_torch, _ in run_lbfgs_pair(params, tparams, lambda: net_loss_and_grads(params, data),
                                        lambda: torch_net_loss(tparams, data), 5,
                                        lr=0.8, max_iter=10, history_size=5):
        assert np.linalg.norm(x - x_torch) <= 1e-10 * np.linalg.norm(x_torch)
    assert net_loss_and_grads(params, data) < 0.5 * first


def test_lbfgs_stopping_rules_match_torch_on_a_quadratic():
    """On a convex quadratic L-BFGS converges; the tolerance rules end each step() as torch's do."""
    f = Quadratic(condition=5.0, angle=0.3)
    p, x_t = start_pair(f)

    def loss_and_grads():
        p.grad += f.grad(p.data)
        return f(p.data)

    n_iter = [0]
    for x, x_torch, iterations in run_lbfgs_pair([p], [x_t], loss_and_grads, lambda: f(x_t), 4,
                                                 tolerance_change=1e-6, tolerance_grad=1e-5):
        np.testing.assert_allclose(x, x_torch, rtol=1e-10, atol=1e-14)
        n_iter.append(iterations)
    assert np.diff(n_iter).max() < 20, "some step() must end early, before max_iter"
    assert np.abs(f.grad(p.data)).max() < 1e-3


def test_lbfgs_at_a_minimum_returns_after_one_evaluation():
    f = Rosenbrock()
    p = Parameter(f.minimum.copy())
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        p.grad += f.grad(p.data)
        return f(p.data)

    opt = LBFGS([p])
    assert opt.step(closure) == 0.0
    assert len(calls) == 1 and opt.state[0]["n_iter"] == 0
    np.testing.assert_array_equal(p.data, f.minimum)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(line_search_fn="wolfe"), "line_search_fn"), (dict(lr=0), "lr"),
    (dict(max_iter=0), "max_iter"), (dict(max_eval=0), "max_eval"), (dict(history_size=0), "history_size"),
    (dict(tolerance_grad=-1.0), "tolerance_grad"), (dict(tolerance_change=-1e-9), "tolerance_change")])
def test_lbfgs_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        LBFGS([Parameter(np.zeros(2))], **kwargs)


def test_lbfgs_step_needs_a_closure():
    with pytest.raises(ValueError, match="^closure:"):
        LBFGS([Parameter(np.zeros(2))]).step(None)


# ----------------------------------------------------------------------------- Newton
def random_quadratic(n, seed):
    """f = 1/2 x'Ax - b'x with A symmetric positive definite; minimiser A^{-1} b."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A, b = M @ M.T + 0.5 * np.eye(n), rng.standard_normal(n)
    return (lambda x: 0.5 * x @ A @ x - b @ x), (lambda x: A @ x - b), (lambda x: A), A, b


def test_newton_solves_a_quadratic_in_one_step():
    f, grad, hess, A, b = random_quadratic(6, seed=0)
    result = newton(f, grad, hess, np.ones(6))
    assert result.nit == 1 and result.converged
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-10)
    assert result.path.shape == (2, 6)


@pytest.mark.parametrize("line_search", [None, "wolfe", "armijo"])
def test_newton_on_rosenbrock_matches_scipy(line_search):
    f = Rosenbrock()
    result = newton(f, f.grad, f.hess, f.start, tol=1e-10, line_search=line_search)
    reference = minimize(f, f.start, jac=f.grad, hess=f.hess, method="trust-exact",
                         options=dict(gtol=1e-12))
    assert result.converged and result.nit < 30
    np.testing.assert_allclose(result.x, reference.x, atol=1e-8)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-8)
    np.testing.assert_array_equal(result.path[0], f.start)
    np.testing.assert_array_equal(result.path[-1], result.x)


def test_newton_saddle_pure_versus_regularised():
    """Pure Newton jumps onto the saddle; the |eigenvalue| modification escapes to a minimum."""
    f = Saddle(c=0.5)
    pure = newton(f, f.grad, f.hess, f.start, regularize=False)
    assert pure.converged and np.linalg.norm(pure.x) < 1e-6          # a saddle: zero gradient
    assert np.linalg.eigvalsh(f.hess(pure.x)).min() < 0
    for line_search in (None, "wolfe"):
        modified = newton(f, f.grad, f.hess, f.start, line_search=line_search)
        assert modified.converged
        np.testing.assert_allclose(modified.x, f.minimum, atol=1e-8)
    assert np.all(np.diff([f(x) for x in modified.path]) < 0), "a line search makes f decrease"


def test_newton_direction_is_downhill_for_an_indefinite_hessian():
    H, g = np.array([[2.0, 0.0], [0.0, -3.0]]), np.array([1.0, 0.5])
    d = newton_direction(H, g)
    assert g @ d < 0
    np.testing.assert_allclose(d, [-0.5, -0.5 / 3])
    d_pure = newton_direction(H, g, regularize=False)
    np.testing.assert_allclose(d_pure, [-0.5, 0.5 / 3])              # uphill in y


# ----------------------------------------------------------------------------- DFP and BFGS
def test_line_searches_satisfy_their_conditions(rng):
    f = Rosenbrock()
    for x in rng.uniform(-1.5, 1.5, size=(10, 2)):
        g = f.grad(x)
        for d in (-g, -np.linalg.solve(f.hess(x) + 500 * np.eye(2), g)):
            slope = g @ d
            alpha, f_new, g_new = wolfe_line_search(f, f.grad, x, d, f(x), g, c1=1e-4, c2=0.9)
            assert f_new == f(x + alpha * d) and np.array_equal(g_new, f.grad(x + alpha * d))
            assert f_new <= f(x) + 1e-4 * alpha * slope                      # sufficient decrease
            assert abs(g_new @ d) <= 0.9 * abs(slope)                        # strong curvature
            alpha, f_new, _ = armijo_line_search(f, f.grad, x, d, f(x), g)
            assert f_new <= f(x) + 1e-4 * alpha * slope
            assert alpha == 1.0 or f(x + 2 * alpha * d) > f(x) + 2e-4 * alpha * slope   # largest


@pytest.mark.parametrize("update", [dfp_update, bfgs_update])
def test_inverse_hessian_updates_satisfy_the_secant_equation(update, rng):
    M = rng.standard_normal((4, 4))
    H = M @ M.T + np.eye(4)
    s, y = rng.standard_normal(4), rng.standard_normal(4)
    y = y if y @ s > 0 else -y
    H_new = update(H, s, y)
    np.testing.assert_allclose(H_new @ y, s, rtol=1e-10)                      # secant: H+ y = s
    np.testing.assert_allclose(H_new, H_new.T, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(H_new) > 0)                              # stays pos. def.


@pytest.mark.parametrize("method", [bfgs, dfp])
@pytest.mark.parametrize("line_search", ["wolfe", "armijo"])
def test_quasi_newton_on_rosenbrock(method, line_search):
    f = Rosenbrock()
    result = method(f, f.grad, f.start, tol=1e-10, line_search=line_search)
    reference = minimize(f, f.start, jac=f.grad, method="BFGS", options=dict(gtol=1e-10))
    assert result.converged and result.nit < 100
    np.testing.assert_allclose(result.x, reference.x, atol=1e-8)
    np.testing.assert_allclose(result.x, f.minimum, atol=1e-8)
    values = [f(x) for x in result.path]
    assert np.all(np.diff(values) < 0), "every line search step must decrease f"
    assert len(result.path) == result.nit + 1 and result.fun == f(result.x)


def exact_line_search(A):
    """For f = 1/2 x'Ax - b'x the exact minimiser along d is alpha = -g'd / d'Ad."""
    def search(f, grad, x, d, fx, gx):
        alpha = -(gx @ d) / (d @ A @ d)
        return alpha, f(x + alpha * d), grad(x + alpha * d)
    return search


def test_quasi_newton_terminates_in_n_steps_on_a_quadratic_with_exact_line_search():
    n = 6
    f, grad, _, A, b = random_quadratic(n, seed=1)
    x0 = np.zeros(n)
    runs = [method(f, grad, x0, tol=1e-9, line_search=exact_line_search(A)) for method in (bfgs, dfp)]
    for result in runs:
        assert result.converged and result.nit <= n
        np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)
    # with exact line searches both methods (and conjugate gradients) visit the same points
    np.testing.assert_allclose(runs[0].path, runs[1].path, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", [bfgs, dfp])
def test_quasi_newton_escapes_the_saddle(method):
    f = Saddle(c=0.5)
    result = method(f, f.grad, f.start)
    assert result.converged
    np.testing.assert_allclose(result.x, f.minimum, atol=1e-7)


def test_unbounded_function_is_reported_not_raised():
    f = Saddle(c=0.0)                     # x^2 - y^2: no minimum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in (bfgs(f, f.grad, f.start), dfp(f, f.grad, f.start),
                       newton(f, f.grad, f.hess, f.start, max_iter=50)):
            assert not result.converged
            assert not np.isfinite(result.fun) or result.fun < -1e10


@pytest.mark.parametrize("call, argument", [
    (lambda f: bfgs(f, f.grad, np.zeros((2, 2))), "x0"),
    (lambda f: dfp(f, f.grad, [np.nan, 0.0]), "x0"),
    (lambda f: bfgs(f, f.grad, f.start, tol=0.0), "tol"),
    (lambda f: dfp(f, f.grad, f.start, max_iter=0), "max_iter"),
    (lambda f: bfgs(f, f.grad, f.start, line_search="exact"), "line_search"),
    (lambda f: dfp(f, f.grad, f.start, line_search=None), "line_search"),
    (lambda f: newton(f, f.grad, f.hess, f.start, line_search="cubic"), "line_search"),
])
def test_second_order_bad_arguments(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call(Rosenbrock())
