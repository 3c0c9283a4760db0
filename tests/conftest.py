"""Shared helpers for the engine's tests: torch agreement and random inputs."""
import os

import numpy as np
import pytest
import torch
from hypothesis import settings

from dlbook.gradcheck import relative_error

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
