"""LinearLR against torch.optim.lr_scheduler.LinearLR, and L-BFGS with the strong Wolfe line
search against torch.optim.LBFGS(line_search_fn="strong_wolfe"), iterate by iterate in float64."""
import numpy as np
import pytest
import torch

from dlbook.nn import Parameter
from dlbook.optim import SGD, LBFGS, CosineAnnealingLR, LinearLR
from dlbook.optim.lbfgs import cubic_interpolate, strong_wolfe
from dlbook.optim.test_functions import Quadratic, Rosenbrock, Saddle
from dlbook.twins import torch_optimizer_like

from conftest import (lr_sequences, make_net, net_loss_and_grads, run_lbfgs_pair, start_pair,
                      step_both_on_function, torch_net_loss)


# ------------------------------------------------------------------------------- LinearLR
def linear_sequences(kwargs, steps=12, lr=0.3):
    return lr_sequences(LinearLR, torch.optim.lr_scheduler.LinearLR, kwargs, steps, lr)


@pytest.mark.parametrize("kwargs", [
    {}, dict(start_factor=0.1, total_iters=8), dict(start_factor=1.0, end_factor=0.2, total_iters=4),
    dict(start_factor=0.5, end_factor=0.0, total_iters=3), dict(start_factor=0.01, total_iters=1)])
def test_linear_lr_matches_torch(kwargs):
    seq, seq_t = linear_sequences(kwargs)
    np.testing.assert_allclose(seq, seq_t, rtol=1e-12, atol=1e-15)
    assert len(np.unique(np.round(seq, 12))) > 1, "the schedule must change the rate"


def test_linear_lr_defaults_warm_up_from_a_third_over_five_steps():
    seq, _ = linear_sequences({}, steps=8, lr=0.3)
    np.testing.assert_allclose(seq[:6], 0.3 * np.array([1, 1.4, 1.8, 2.2, 2.6, 3.0]) / 3,
                               rtol=1e-14)
    np.testing.assert_allclose(seq[5:], 0.3, rtol=1e-14)     # constant after total_iters


def test_warm_up_then_cosine_trains_like_torch():
    """Warm-up for 5 updates, then cosine annealing: SGD on a quadratic, parameters compared."""
    f = Quadratic(condition=10.0, angle=0.5)
    p, x_t = start_pair(f)
    opt, opt_t = SGD([p], lr=0.15), torch.optim.SGD([x_t], lr=0.15)
    warm = LinearLR(opt, start_factor=0.2, total_iters=5)
    warm_t = torch.optim.lr_scheduler.LinearLR(opt_t, start_factor=0.2, total_iters=5)
    cosine = cosine_t = None
    for step in range(25):
        step_both_on_function(f, p, x_t, opt, opt_t)
        if step < 5:
            warm.step()
            warm_t.step()
        else:
            if cosine is None:
                cosine = CosineAnnealingLR(opt, T_max=20)
                cosine_t = torch.optim.lr_scheduler.CosineAnnealingLR(opt_t, T_max=20)
            cosine.step()
            cosine_t.step()
        assert opt.lr == pytest.approx(opt_t.param_groups[0]["lr"], rel=1e-12)
        np.testing.assert_allclose(p.data, x_t.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert f(p.data) < 1e-2 * f(np.array(f.start))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(start_factor=0.0), "start_factor"), (dict(start_factor=1.5), "start_factor"),
    (dict(start_factor="0.5"), "start_factor"), (dict(end_factor=-0.1), "end_factor"),
    (dict(end_factor=1.01), "end_factor"), (dict(total_iters=0), "total_iters"),
    (dict(total_iters=2.5), "total_iters")])
def test_linear_lr_bad_arguments(kwargs, argument):
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        LinearLR(opt, **kwargs)
    assert opt.lr == 0.1, "a refused scheduler must leave the rate alone"


def test_linear_lr_needs_a_dlbook_optimizer():
    with pytest.raises(ValueError, match="^optimizer:"):
        LinearLR(object())


# ------------------------------------------------------------------ strong Wolfe line search
def test_cubic_interpolate_finds_the_minimiser_of_a_cubic():
    """For an exact cubic the interpolant is the cubic itself: its local minimiser comes back."""
    c = lambda x: x**3 - 3 * x + 1               # minimiser at x = 1
    dc = lambda x: 3 * x**2 - 3
    x = cubic_interpolate(0.2, c(0.2), dc(0.2), 2.0, c(2.0), dc(2.0))
    assert x == pytest.approx(1.0, rel=1e-12)
    x = cubic_interpolate(2.0, c(2.0), dc(2.0), 0.2, c(0.2), dc(0.2))  # order does not matter
    assert x == pytest.approx(1.0, rel=1e-12)
    assert cubic_interpolate(0.2, c(0.2), dc(0.2), 2.0, c(2.0), dc(2.0), bounds=(1.5, 3)) == 1.5


def test_strong_wolfe_returns_a_step_satisfying_both_conditions():
    f = Rosenbrock()
    x = np.array(f.start)
    g = f.grad(x)
    d = -g / np.abs(g).sum()
    gtd = float(g @ d)
    f_new, g_new, t, evals = strong_wolfe(lambda t: (f(x + t * d), f.grad(x + t * d)),
                                          1.0, d, f(x), g, gtd)
    assert f_new <= f(x) + 1e-4 * t * gtd                   # sufficient decrease
    assert abs(g_new @ d) <= 0.9 * abs(gtd)                  # curvature (strong)
    assert f_new == f(x + t * d) and 1 <= evals <= 25


# ---------------------------------------------------------------- L-BFGS with the line search
def run_pair(params, tparams, loss_and_grads, torch_loss, n_steps, **kwargs):
    """step(closure) with the strong Wolfe search on both sides; yield both flat iterates after
    each call. ``torch_loss()`` returns the loss with the gradients in ``.grad``."""
    for x, x_torch, _ in run_lbfgs_pair(params, tparams, loss_and_grads, torch_loss, n_steps,
                                        torch_backward=False, line_search_fn="strong_wolfe",
                                        **kwargs):
        yield x, x_torch


def two_d_pair(f, autograd=False):
    """Both sides on a 2-D test function. By default torch gets the gradient from the same
    formula ``f.grad`` (on tensors), so the two runs see bit-identical numbers and any gap is
    the optimiser's; ``autograd=True`` uses torch autograd (rounds differently)."""
    p, x_t = start_pair(f)

    def loss_and_grads():
        p.grad += f.grad(p.data)
        return f(p.data)

    def torch_loss():
        if autograd:
            loss = f(x_t)
            loss.backward()
            return loss
        with torch.no_grad():
            x_t.grad = f.grad(x_t.detach())
            return f(x_t.detach())

    return p, x_t, loss_and_grads, torch_loss


@pytest.mark.parametrize("f", [Rosenbrock(), Quadratic(condition=50.0, angle=0.3),
                               Saddle(c=0.5)], ids=repr)
def test_strong_wolfe_lbfgs_matches_torch_iterate_by_iterate(f):
    """max_iter=2 per call: every call does two iterations, each with its own line search;
    with the same gradient numbers the iterates agree to rounding over the whole run."""
    p, x_t, loss_and_grads, torch_loss = two_d_pair(f)
    iterates = []
    for x, x_torch in run_pair([p], [x_t], loss_and_grads, torch_loss, 20, max_iter=2):
        assert np.linalg.norm(x - x_torch) <= 1e-12 * max(1.0, np.linalg.norm(x_torch))
        iterates.append(x)
    assert len({tuple(x) for x in iterates}) > 3, "the runs must move"


def test_strong_wolfe_lbfgs_with_autograd_gradients_agrees_for_the_first_steps():
    """Autograd rounds the gradient differently; Rosenbrock amplifies that slowly."""
    p, x_t, loss_and_grads, torch_loss = two_d_pair(Rosenbrock(), autograd=True)
    for x, x_torch in run_pair([p], [x_t], loss_and_grads, torch_loss, 5, max_iter=1):
        assert np.linalg.norm(x - x_torch) <= 1e-10 * np.linalg.norm(x_torch)


def test_strong_wolfe_lbfgs_solves_rosenbrock_as_torch_does():
    """One call with torch's defaults for a full solve: same iterations, evaluations, answer."""
    f = Rosenbrock()
    p, x_t, loss_and_grads, torch_loss = two_d_pair(f)
    (x, x_torch), = run_pair([p], [x_t], loss_and_grads, torch_loss, 1, max_iter=200,
                             tolerance_grad=1e-10, tolerance_change=1e-14)
    np.testing.assert_allclose(x, x_torch, rtol=1e-10)
    np.testing.assert_allclose(x, f.minimum, atol=1e-6)
    assert f(x) < 1e-12


def test_strong_wolfe_with_a_tiny_evaluation_budget_matches_torch():
    """max_iter=1 gives max_eval=1: the search gets its first trial only (max_ls=0) and keeps
    it only if it lowers f. From Rosenbrock's start it does not, so neither library moves."""
    f = Rosenbrock()
    p, x_t, loss_and_grads, torch_loss = two_d_pair(f)
    for x, x_torch in run_pair([p], [x_t], loss_and_grads, torch_loss, 5, max_iter=1):
        np.testing.assert_array_equal(x, x_torch)
        np.testing.assert_array_equal(x, f.start)
    # a budget that cuts searches short: the two agree until Rosenbrock amplifies the
    # last-bit differences of the two-loop recursion (torch fuses multiply-adds)
    p, x_t, loss_and_grads, torch_loss = two_d_pair(f)
    for x, x_torch in run_pair([p], [x_t], loss_and_grads, torch_loss, 5, max_iter=4,
                               max_eval=6, history_size=3):
        np.testing.assert_allclose(x, x_torch, rtol=1e-10, atol=1e-14)


def test_strong_wolfe_lbfgs_matches_torch_on_a_network():
    params, data = make_net(seed=5)
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]

    def torch_loss():
        loss = torch_net_loss(tparams, data)
        loss.backward()
        return loss

    first = net_loss_and_grads(params, data)
    for x, x_torch in run_pair(params, tparams, lambda: net_loss_and_grads(params, data),
                               torch_loss, 4, max_iter=5, history_size=5):
        assert np.linalg.norm(x - x_torch) <= 1e-9 * np.linalg.norm(x_torch)
    assert net_loss_and_grads(params, data) < 0.5 * first


def test_line_search_beats_the_fixed_step_on_rosenbrock():
    """The reason to use it: fewer iterations to f < 1e-8 than the fixed step of 1."""
    f = Rosenbrock()
    counts = {}
    for search in (None, "strong_wolfe"):
        p = Parameter(np.array(f.start))
        opt = LBFGS([p], max_iter=1, line_search_fn=search, max_eval=30)

        def closure():
            opt.zero_grad()
            p.grad += f.grad(p.data)
            return f(p.data)

        for k in range(1, 300):
            opt.step(closure)
            if f(p.data) < 1e-8:
                break
        counts[search] = k
    assert counts["strong_wolfe"] < counts[None] < 300


def test_torch_twin_of_a_line_search_lbfgs_uses_the_line_search():
    opt = LBFGS([Parameter(np.zeros(2))], line_search_fn="strong_wolfe")
    twin = torch_optimizer_like(opt, [torch.zeros(2, dtype=torch.float64, requires_grad=True)])
    assert twin.defaults["line_search_fn"] == "strong_wolfe"


@pytest.mark.parametrize("value", ["wolfe", "Strong_Wolfe", 1, True])
def test_unknown_line_search_raises_naming_the_argument(value):
    with pytest.raises(ValueError, match="^line_search_fn:"):
        LBFGS([Parameter(np.zeros(2))], line_search_fn=value)
