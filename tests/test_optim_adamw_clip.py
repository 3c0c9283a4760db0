"""AdamW and clip_grad_norm against torch.optim.AdamW and torch.nn.utils.clip_grad_norm_."""
import inspect
import math

import numpy as np
import pytest
import torch

from dlbook.nn import Parameter
from dlbook.optim import SGD, Adam, AdamW, clip_grad_norm
from dlbook.optim.test_functions import Rosenbrock
from dlbook.twins import torch_optimizer_like

from conftest import (flat, make_net, net_loss_and_grads, rel_diff, start_pair,
                      step_both_on_function, step_both_on_net, torch_net_loss)

TOL64 = 1e-12


# ----------------------------------------------------------------------------- AdamW
ADAMW_CASES = {
    "defaults": {},
    "strong_decay": dict(weight_decay=0.5, betas=(0.8, 0.99), eps=1e-6),
    "no_decay": dict(weight_decay=0.0),
}


@pytest.mark.parametrize("case", list(ADAMW_CASES))
def test_adamw_rosenbrock_trajectory_matches_torch(case):
    kwargs = ADAMW_CASES[case]
    f = Rosenbrock()
    p, x_t = start_pair(f)
    opt = AdamW([p], lr=0.05, **kwargs)
    opt_t = torch.optim.AdamW([x_t], lr=0.05, **kwargs)
    for step in range(80):
        step_both_on_function(f, p, x_t, opt, opt_t)
        err = rel_diff(p.data, x_t.detach().numpy())
        assert err < TOL64, f"step {step}: relative difference {err:.2e}"
    assert f(p.data) < f(np.array(f.start))


@pytest.mark.parametrize("case", list(ADAMW_CASES))
def test_adamw_network_trajectory_matches_torch(case):
    params, data = make_net()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = AdamW(params, lr=0.02, **ADAMW_CASES[case])
    opt_t = torch.optim.AdamW(tparams, lr=0.02, **ADAMW_CASES[case])
    first = None
    for step in range(50):
        loss, _ = step_both_on_net(params, tparams, data, opt, opt_t)
        first = loss if first is None else first
        err = rel_diff(flat(p.data for p in params), flat(t.detach() for t in tparams))
        assert err < TOL64, f"step {step}: relative difference {err:.2e}"
    assert loss < first


def test_adamw_float32_keeps_dtype_and_updates_in_place():
    params, data = make_net(np.float32)
    arrays = [p.data for p in params]
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt, opt_t = AdamW(params, lr=0.02), torch.optim.AdamW(tparams, lr=0.02)
    for _ in range(20):
        step_both_on_net(params, tparams, data, opt, opt_t)
    for p, a, t in zip(params, arrays, tparams):
        assert p.data is a and p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_adamw_decay_is_decoupled_from_the_gradient_scale():
    """With zero gradient Adam's L2 decay and AdamW's differ: AdamW shrinks by 1 - lr*wd."""
    a, b = Parameter(np.array([2.0, -4.0])), Parameter(np.array([2.0, -4.0]))
    opt_w, opt_l2 = AdamW([a], lr=0.1, weight_decay=0.5), Adam([b], lr=0.1, weight_decay=0.5)
    opt_w.step()                      # zero gradient: only the decay acts
    np.testing.assert_allclose(a.data, np.array([2.0, -4.0]) * (1 - 0.1 * 0.5), rtol=1e-15)
    opt_l2.step()                     # L2 through Adam: a step of about lr, whatever the size
    np.testing.assert_allclose(b.data, np.array([2.0 - 0.1, -4.0 + 0.1]), rtol=1e-6)


def test_adamw_defaults_equal_torch_defaults():
    torch_sig = inspect.signature(torch.optim.AdamW).parameters
    for name, par in inspect.signature(AdamW).parameters.items():
        if name == "params":
            continue
        assert name in torch_sig, f"{name} is not a torch argument name"
        assert par.default == torch_sig[name].default, f"default of {name} differs"


def test_torch_optimizer_like_builds_adamw():
    params, data = make_net()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = AdamW(params, lr=0.03, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.2)
    opt_t = torch_optimizer_like(opt, tparams)
    assert type(opt_t) is torch.optim.AdamW
    for key, value in (("lr", 0.03), ("betas", (0.85, 0.995)), ("eps", 1e-7),
                       ("weight_decay", 0.2)):
        assert opt_t.defaults[key] == value
    for _ in range(10):
        step_both_on_net(params, tparams, data, opt, opt_t)
    assert rel_diff(flat(p.data for p in params), flat(t.detach() for t in tparams)) < TOL64


P = [Parameter(np.zeros(2))]


@pytest.mark.parametrize("make, name", [
    (lambda: AdamW(P, lr=0.0), "lr"),
    (lambda: AdamW(P, weight_decay=-0.1), "weight_decay"),
    (lambda: AdamW(P, betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda: AdamW(P, betas=(0.9, 1.5)), r"betas\[1\]"),
    (lambda: AdamW(P, betas=0.9), "betas"),
    (lambda: AdamW(P, eps=0.0), "eps"),
    (lambda: AdamW([], lr=0.1), "params"),
])
def test_adamw_bad_input_names_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


# ----------------------------------------------------------------------------- clip_grad_norm
def random_params(rng, scale, dtype=np.float64):
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in [(4, 3), (3,), (2, 4)]]
    for p in params:
        p.grad = (scale * rng.standard_normal(p.data.shape)).astype(dtype)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_matches_torch(norm_type, scale):
    params = random_params(np.random.default_rng(3), scale)
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    for p, t in zip(params, tparams):
        t.grad = torch.from_numpy(p.grad.copy())
    total = clip_grad_norm(params, max_norm=1.5, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(tparams, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, float)
    assert abs(total - total_t.item()) <= TOL64 * total_t.item()
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=TOL64, atol=0)


def test_clip_caps_the_norm_and_keeps_the_direction():
    params = random_params(np.random.default_rng(0), 100.0)
    before = flat(p.grad for p in params)
    total = clip_grad_norm(params, max_norm=2.0)
    after = flat(p.grad for p in params)
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-14)
    assert np.linalg.norm(after) == pytest.approx(2.0, rel=1e-6)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))


def test_clip_leaves_small_gradients_alone_and_works_in_place():
    params = random_params(np.random.default_rng(1), 1e-3, np.float32)
    grads = [p.grad for p in params]
    copies = [g.copy() for g in grads]
    clip_grad_norm(params, max_norm=1.0)
    for p, g, c in zip(params, grads, copies):
        assert p.grad is g and g.dtype == np.float32
        np.testing.assert_array_equal(g, c)


def test_clip_accepts_one_parameter_and_skips_missing_gradients():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    p.grad, q.grad = np.array([3.0, 0.0, 4.0]), None
    assert clip_grad_norm(p, 1.0) == pytest.approx(5.0)
    assert clip_grad_norm([q], 1.0) == 0.0
    np.testing.assert_allclose(p.grad, [0.6, 0.0, 0.8], rtol=1e-6)


def test_clipped_training_matches_torch_step_by_step():
    """SGD on a loss scaled by 1e3 (gradients far above max_norm), clipped every step."""
    params, data = make_net()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt, opt_t = SGD(params, lr=0.05), torch.optim.SGD(tparams, lr=0.05)
    totals = []
    for step in range(40):
        net_loss_and_grads(params, data, scale=1e3)
        totals.append(clip_grad_norm(params, max_norm=1.0))
        opt.step()
        opt_t.zero_grad()
        torch_net_loss(tparams, data, scale=1e3).backward()
        total_t = torch.nn.utils.clip_grad_norm_(tparams, max_norm=1.0)
        opt_t.step()
        assert abs(totals[-1] - total_t.item()) <= 1e-10 * total_t.item()
        err = rel_diff(flat(p.data for p in params), flat(t.detach() for t in tparams))
        assert err < 1e-12, f"step {step}: relative difference {err:.2e}"
    assert min(totals) > 1.0          # every step was clipped


def test_clip_reports_non_finite_norm():
    p = Parameter(np.ones(2))
    p.grad = np.array([np.inf, 1.0])
    assert math.isinf(clip_grad_norm([p], 1.0))


@pytest.mark.parametrize("kwargs, name", [
    (dict(max_norm=0.0), "max_norm"),
    (dict(max_norm=-1.0), "max_norm"),
    (dict(max_norm=float("nan")), "max_norm"),
    (dict(max_norm="1"), "max_norm"),
    (dict(max_norm=1.0, norm_type=0), "norm_type"),
    (dict(max_norm=1.0, norm_type="two"), "norm_type"),
    (dict(max_norm=1.0, norm_type=float("nan")), "norm_type"),
])
def test_clip_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        clip_grad_norm([Parameter(np.zeros(2))], **kwargs)


def test_clip_bad_params_and_grad_shape():
    with pytest.raises(ValueError, match="params"):
        clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match="params"):
        clip_grad_norm(np.zeros(3), 1.0)
    p = Parameter(np.zeros(3))
    p.grad = np.zeros(2)
    with pytest.raises(ValueError, match=r"params\[0\]\.grad"):
        clip_grad_norm([p], 1.0)
