"""Tests aimed at realistic single-line faults that looser tests let through: each case is built
so that the fault changes the result by O(1), not by a few times the tolerance."""
import numpy as np
import pytest
import torch

from dlbook import nn, optim
from dlbook.nn import Parameter
from dlbook.optim.quasi_newton import armijo_line_search


# ------------------------------------------------------------- eps where eps dominates
@pytest.mark.parametrize("ours, theirs", [
    (lambda p: optim.Adam(p, lr=0.1), lambda t: torch.optim.Adam(t, lr=0.1)),
    (lambda p: optim.AdaGrad(p, lr=0.1, eps=1e-6), lambda t: torch.optim.Adagrad(t, lr=0.1, eps=1e-6)),
    (lambda p: optim.RMSprop(p, lr=0.1), lambda t: torch.optim.RMSprop(t, lr=0.1)),
])
def test_eps_placement_matters_when_gradients_are_of_the_order_of_eps(ours, theirs):
    """With |g| ~ eps, eps added to sqrt(v) (torch) or inside the sqrt changes each step by a
    factor of about 100 or more, far beyond any tolerance."""
    grads = np.array([1e-8, -3e-8, 5e-9, 2e-6])
    p = Parameter(np.zeros(4))
    t = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt, topt = ours([p]), theirs([t])
    for k in range(5):
        g = grads * (1 + 0.1 * k)
        p.grad = g.copy()
        t.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=0)


def test_batchnorm_eps_placement_matters_when_the_variance_is_of_the_order_of_eps():
    rng = np.random.default_rng(0)
    x = 1e-3 * rng.standard_normal((8, 3))          # variance 1e-6, eps 1e-5 dominates
    upstream = rng.standard_normal((8, 3))
    ours = nn.BatchNorm1d(3, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    y = ours.forward(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.backward(upstream), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    # The output std is far below 1 because eps dominates: sqrt(1e-6 / (1e-6 + 1e-5)) ~ 0.3.
    assert 0.1 < y.std(axis=0).max() < 0.5


def test_batchnorm2d_normalises_per_channel_over_batch_and_pixels():
    rng = np.random.default_rng(1)
    # Channels with very different means and scales, pixels with different offsets.
    x = rng.standard_normal((6, 3, 4, 5)) * np.array([1, 10, 100])[None, :, None, None]
    x += np.array([5, -50, 500])[None, :, None, None] + np.arange(5)[None, None, None, :]
    y = nn.BatchNorm2d(3, dtype=np.float64).forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-10)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)
    # Not per pixel: the per-column offsets survive normalisation.
    assert np.abs(y.mean(axis=(0, 1, 2))).max() > 0.1


# ------------------------------------------------------------------ BFGS is not DFP
def reference_quasi_newton(f, grad, x0, kind, steps):
    """The first iterates of BFGS or DFP written out independently, in the 'direct sum' forms
    (not the product forms of dlbook.optim.quasi_newton), with the same Armijo line search."""
    x, H = np.array(x0, float), np.eye(len(x0))
    g = grad(x)
    path = [x.copy()]
    for _ in range(steps):
        d = -H @ g
        alpha, _, _ = armijo_line_search(f, grad, x, d, f(x), g)
        x_new = x + alpha * d
        g_new = grad(x_new)
        s, y = x_new - x, g_new - g
        ys, Hy = y @ s, H @ y
        if kind == "bfgs":
            H = (H + (ys + y @ Hy) * np.outer(s, s) / ys**2
                 - (np.outer(Hy, s) + np.outer(s, Hy)) / ys)
        else:
            H = H + np.outer(s, s) / ys - np.outer(Hy, Hy) / (y @ Hy)
        x, g = x_new, g_new
        path.append(x.copy())
    return np.array(path)


@pytest.mark.parametrize("kind", ["bfgs", "dfp"])
def test_bfgs_and_dfp_follow_their_own_update_not_the_other_one(kind):
    rosen = optim.test_functions.Rosenbrock()
    f, grad = rosen.value, rosen.grad
    x0 = np.array([-1.2, 1.0])
    got = getattr(optim, kind)(f, grad, x0, line_search="armijo", max_iter=6).path[:7]
    mine = reference_quasi_newton(f, grad, x0, kind, 6)
    other = reference_quasi_newton(f, grad, x0, "dfp" if kind == "bfgs" else "bfgs", 6)
    np.testing.assert_allclose(got, mine, rtol=1e-9, atol=1e-12)
    # The two methods really do part ways within these steps, so the test can tell them apart.
    assert np.abs(mine - other).max() > 1e-3


# ------------------------------------------------------- L-BFGS curvature threshold
def test_lbfgs_skips_pairs_with_tiny_curvature_as_torch_does():
    """On f(x) = sum(x) + 1e-13 |x|^2 every pair has y's ~ 1e-12 < 1e-10: torch stores none and
    keeps steepest descent; storing them (threshold 0) would scale steps by ~1e12."""
    c = 1e-13

    def loss_np(x):
        return float(x.sum() + c * x @ x), np.ones_like(x) + 2 * c * x

    p = Parameter(np.zeros(3))
    t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    ours = optim.LBFGS([p], lr=0.1, max_iter=4)
    theirs = torch.optim.LBFGS([t], lr=0.1, max_iter=4)

    def closure():
        value, g = loss_np(p.data)
        p.grad = g
        return value

    def tclosure():
        theirs.zero_grad()
        value = t.sum() + c * (t * t).sum()
        value.backward()
        return value

    for _ in range(2):
        ours.step(closure)
        theirs.step(tclosure)
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-9)
    assert np.abs(p.data).max() < 10  # steepest-descent-sized steps, no 1e12 blow-up
