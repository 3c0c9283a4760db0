"""Shared helpers for the engine's tests: torch agreement and random inputs."""
import os

import numpy as np
import pytest
import torch
from hypothesis import settings

from dlbook.gradcheck import relative_error
from dlbook.nn import Parameter
from dlbook.optim import LBFGS, SGD

torch.set_num_threads(1)

# Hypothesis: under CI (CI=true) every run draws the same examples (derandomize), so a red CI is
# reproducible by running the same commit again; on a developer's machine each run searches
# anew, so over time the search stays broad. HYPOTHESIS_PROFILE=ci|dev picks one explicitly.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "") == "true" else "dev"))

# Tolerances of the design card: float64 agreement to 1e-10, float32 to 1e-5 (relative).
RTOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def load_into_torch(scratch, torch_module):
    """Copy a scratch module's parameters and buffers into a torch module, by torch's names."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in scratch.state_dict().items()}
    torch_module.load_state_dict(state, strict=True)
    return torch_module


def assert_matches_torch(scratch, torch_module, x, rng, dtype=np.float64, compare_input_grad=True):
    """Run both on the same input and random upstream gradient; compare y, dx and every param grad."""
    x = np.asarray(x, dtype=dtype)
    scratch.astype(dtype)
    torch_module = load_into_torch(scratch, torch_module.to(torch.float64 if dtype == np.float64 else torch.float32))
    y = scratch.forward(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    scratch.zero_grad()
    dx = scratch.backward(upstream)

    xt = torch.from_numpy(x.copy()).requires_grad_(compare_input_grad)
    yt = torch_module(xt)
    yt.backward(torch.from_numpy(upstream))
    tol = RTOL[np.dtype(dtype).type]
    assert y.dtype == dtype and dx.dtype == dtype
    assert relative_error(y, yt.detach().numpy()) < tol, "outputs differ"
    if compare_input_grad:
        assert relative_error(dx, xt.grad.numpy()) < tol, "input gradients differ"
    torch_params = dict(torch_module.named_parameters())
    for name, p in scratch.named_parameters():
        assert p.grad.dtype == dtype
        assert relative_error(p.grad, torch_params[name].grad.numpy()) < tol, f"grad of {name} differs"
    return y, dx


def forward_backward_read_only(layer, x, rng):
    """Forward and backward on a read-only input and upstream gradient (the in-place trap).

    Writing into either raises; the upstream must also come back unchanged. Returns (y, dx).
    """
    x.setflags(write=False)
    y = layer(x)
    upstream = rng.standard_normal(y.shape).astype(y.dtype)
    upstream.setflags(write=False)
    before = upstream.copy()
    dx = layer.backward(upstream)
    np.testing.assert_array_equal(upstream, before)
    return y, dx


# --------------------------------------------- a tiny tanh network for the optimiser tests
def rel_diff(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def make_net(dtype=np.float64, seed=0):
    """A 3-6-2 tanh network with MSE loss: (params, data)."""
    rng = np.random.default_rng(seed)
    shapes = [(6, 3), (6,), (2, 6), (2,)]
    params = [Parameter((0.5 * rng.standard_normal(s)).astype(dtype)) for s in shapes]
    X = rng.standard_normal((20, 3)).astype(dtype)
    Y = np.stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]], axis=1).astype(dtype)
    return params, (X, Y)


def net_loss_and_grads(params, data, scale=1.0):
    """Forward and hand-written backward pass of scale * MSE; writes p.grad."""
    (W1, b1, W2, b2), (X, Y) = [p.data for p in params], data
    h = np.tanh(X @ W1.T + b1)
    out = h @ W2.T + b2
    loss = scale * np.mean((out - Y) ** 2)
    d_out = scale * 2.0 * (out - Y) / out.size
    d_z = (d_out @ W2) * (1.0 - h * h)
    for p, g in zip(params, [d_z.T @ X, d_z.sum(0), d_out.T @ h, d_out.sum(0)]):
        p.grad = g
    return loss


def torch_net_loss(tparams, data, scale=1.0):
    W1, b1, W2, b2 = tparams
    X, Y = (torch.from_numpy(a) for a in data)
    out = torch.tanh(X @ W1.T + b1) @ W2.T + b2
    return scale * torch.mean((out - Y) ** 2)


def flat(arrays):
    return np.concatenate([np.asarray(a).ravel() for a in arrays])


# ------------------------------------------- one step of ours and torch's, side by side
def start_pair(f):
    """A Parameter and a float64 torch leaf, both at the start point of test function ``f``."""
    return (Parameter(np.array(f.start)),
            torch.tensor(f.start, dtype=torch.float64, requires_grad=True))


def step_both_on_function(f, p, x_t, opt, opt_t):
    """One step of each optimiser on ``f``: ours from ``f.grad``, torch's by autograd through
    the same formula."""
    opt.zero_grad()
    p.grad += f.grad(p.data)
    opt.step()
    opt_t.zero_grad()
    f(x_t).backward()
    opt_t.step()


def step_both_on_net(params, tparams, data, opt, opt_t):
    """One step of each optimiser on the tiny tanh network; returns both losses (before it)."""
    loss = net_loss_and_grads(params, data)
    opt.step()
    opt_t.zero_grad()
    loss_t = torch_net_loss(tparams, data)
    loss_t.backward()
    opt_t.step()
    return loss, loss_t.item()


def lr_sequences(ours, theirs, kwargs, steps, lr=0.1):
    """The learning rates of our scheduler and torch's over ``steps`` steps, side by side."""
    opt = SGD([Parameter(np.zeros(1))], lr=lr)
    opt_t = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched, sched_t = ours(opt, **kwargs), theirs(opt_t, **kwargs)
    seq, seq_t = [opt.lr], [opt_t.param_groups[0]["lr"]]
    for _ in range(steps):
        opt_t.step()                 # torch expects optimizer.step() before scheduler.step()
        sched.step()
        sched_t.step()
        seq.append(opt.lr)
        seq_t.append(opt_t.param_groups[0]["lr"])
        assert sched.get_last_lr() == [opt.lr]
    return np.array(seq), np.array(seq_t)


def run_lbfgs_pair(params, tparams, loss_and_grads, torch_loss, n_steps, torch_backward=True,
                   **kwargs):
    """Call step(closure) n_steps times on both sides; yield both flat iterates and n_iter after
    each. ``torch_loss()`` returns the loss; with ``torch_backward=False`` it has also put the
    gradients in ``.grad`` itself (for example from the same formula as the NumPy side)."""
    opt, opt_t = LBFGS(params, **kwargs), torch.optim.LBFGS(tparams, **kwargs)

    def closure():
        opt.zero_grad()
        return loss_and_grads()

    def closure_t():
        opt_t.zero_grad()
        loss = torch_loss()
        if torch_backward:
            loss.backward()
        return loss

    for _ in range(n_steps):
        loss, loss_t = opt.step(closure), opt_t.step(closure_t)
        assert abs(float(loss) - loss_t.item()) <= 1e-10 * max(1.0, abs(loss_t.item()))
        state, state_t = opt.state[0], opt_t.state[tparams[0]]
        assert (state["n_iter"], state["func_evals"]) == (state_t["n_iter"], state_t["func_evals"])
        yield (np.concatenate([p.data.ravel() for p in params]),
               np.concatenate([t.detach().numpy().ravel() for t in tparams]), state["n_iter"])
