"""Device selection, the environment line and the scale switch."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import dlbook
from dlbook.device import describe_environment, get_device, scale, use_exact_float32


def _expected_default():
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def test_default_device_follows_what_the_machine_has(monkeypatch):
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    assert get_device().type == _expected_default()


def test_cpu_when_no_accelerator(monkeypatch):
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")


def test_cuda_preferred_when_available(monkeypatch):
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_override(monkeypatch):
    monkeypatch.setenv("DLBOOK_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("DLBOOK_DEVICE", " cpu ")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["banana", "cuda:x", "meta"])
def test_bad_override_is_a_value_error(monkeypatch, value):
    monkeypatch.setenv("DLBOOK_DEVICE", value)
    with pytest.raises(ValueError, match="DLBOOK_DEVICE"):
        get_device()


def test_unavailable_override_is_a_value_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for value in ("cuda", "cuda:0", "mps"):
        monkeypatch.setenv("DLBOOK_DEVICE", value)
        with pytest.raises(ValueError, match="not available"):
            get_device()


def test_scale(monkeypatch):
    monkeypatch.delenv("DLBOOK_SCALE", raising=False)
    assert scale() == "small"
    monkeypatch.setenv("DLBOOK_SCALE", "full")
    assert scale() == "full"
    monkeypatch.setenv("DLBOOK_SCALE", "Small")
    assert scale() == "small"
    monkeypatch.setenv("DLBOOK_SCALE", "")
    assert scale() == "small"


@pytest.mark.parametrize("value", ["large", "1", "fulll"])
def test_bad_scale_is_a_value_error(monkeypatch, value):
    monkeypatch.setenv("DLBOOK_SCALE", value)
    with pytest.raises(ValueError, match=f"DLBOOK_SCALE.*{value}"):
        scale()


def test_describe_environment(monkeypatch):
    monkeypatch.setenv("DLBOOK_DEVICE", "cpu")
    monkeypatch.delenv("DLBOOK_SCALE", raising=False)
    line = describe_environment()
    assert f"dlbook {dlbook.__version__}" in line
    assert f"NumPy {np.__version__}" in line and f"torch {torch.__version__}" in line
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in line
    assert "device cpu" in line and "scale small" in line
    assert "\n" not in line


def test_use_exact_float32_switches_tf32_off():
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = (matmul.allow_tf32, cudnn.allow_tf32)
    try:
        matmul.allow_tf32 = cudnn.allow_tf32 = True
        use_exact_float32()
        assert matmul.allow_tf32 is False and cudnn.allow_tf32 is False
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = saved


def test_importing_device_and_data_does_not_import_torch():
    code = "import sys, dlbook.device, dlbook.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
