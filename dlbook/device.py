"""Where the PyTorch side runs, what the environment is, and how big the experiments are.

The same chapter runs on a 2-core CPU (CI, a laptop) and on a Colab GPU. ``get_device`` picks the
accelerator, ``describe_environment`` prints what was picked (the setup cell of every chapter),
and ``scale`` is the switch for the larger experiments. torch is imported inside the functions,
so ``import dlbook.device`` stays cheap.
"""
from __future__ import annotations

import os
import platform

DEVICE_ENV = "DLBOOK_DEVICE"
SCALE_ENV = "DLBOOK_SCALE"
SCALES = ("small", "full")


def _mps_available(torch) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device():
    """The torch device the twins run on: cuda if available, else mps, else cpu.

    The environment variable ``DLBOOK_DEVICE`` (e.g. ``cpu``, ``cuda``, ``cuda:1``, ``mps``)
    overrides the choice; a value torch cannot parse, or a device this machine does not have,
    raises ValueError instead of failing later inside a chapter.
    """
    import torch

    requested = os.environ.get(DEVICE_ENV, "").strip()
    if requested:
        try:
            device = torch.device(requested)
        except (RuntimeError, ValueError) as err:
            raise ValueError(
                f"{DEVICE_ENV}: expected a torch device such as 'cpu', 'cuda', 'cuda:0' or 'mps', "
                f"got {requested!r} ({err})") from None
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError(f"{DEVICE_ENV}: {requested!r} was requested but CUDA is not available "
                                 "on this machine; unset it or use 'cpu'")
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise ValueError(f"{DEVICE_ENV}: {requested!r} was requested but this machine has "
                                 f"{torch.cuda.device_count()} CUDA device(s)")
        elif device.type == "mps":
            if not _mps_available(torch):
                raise ValueError(f"{DEVICE_ENV}: 'mps' was requested but the MPS backend is not "
                                 "available on this machine; unset it or use 'cpu'")
        elif device.type != "cpu":
            raise ValueError(f"{DEVICE_ENV}: expected 'cpu', 'cuda[:N]' or 'mps', got {requested!r}")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available(torch):
        return torch.device("mps")
    return torch.device("cpu")


def synchronize(device) -> None:
    """Wait until ``device`` has finished its queued work: GPU calls return before the work is
    done, so a timer read without this measures only the launch."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def device_label(device) -> str:
    """The device as printed in the book: ``cpu``, or ``cuda`` with the GPU's name."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def use_exact_float32() -> None:
    """Switch TensorFloat-32 off for CUDA matrix products and cuDNN convolutions.

    On Ampere and later GPUs, TF32 rounds float32 inputs to 10 mantissa bits, so a torch twin would
    differ from the NumPy float32 result by about 1e-3 instead of 1e-6. The setup cell of every
    chapter calls this; on a CPU or MPS it changes nothing that is used. The legacy flags are set
    (not ``fp32_precision``): torch raises when the two APIs are mixed, and ``dlbook.compare`` reads
    the legacy ones.
    """
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def scale() -> str:
    """``"small"`` (the default: each chapter runs in about a minute on 2 CPU cores) or ``"full"``.

    Read from the environment variable ``DLBOOK_SCALE``; any other value is a ValueError, so a
    typo does not silently run the small experiments.
    """
    value = os.environ.get(SCALE_ENV, "").strip().lower()
    if value == "":
        return "small"
    if value not in SCALES:
        raise ValueError(f"{SCALE_ENV}: expected 'small' or 'full', got {os.environ[SCALE_ENV]!r}")
    return value


def describe_environment() -> str:
    """One line with the versions and the device, for the setup cell of each chapter."""
    import numpy
    import torch

    import dlbook

    return (f"dlbook {dlbook.__version__} | Python {platform.python_version()} | "
            f"NumPy {numpy.__version__} | torch {torch.__version__} | device {device_label(get_device())} | "
            f"scale {scale()}")


SEED_ENV = "DLBOOK_SEED"


def base_seed() -> int:
    """The chapter's base random seed: ``DLBOOK_SEED`` (a non-negative integer), default 0.

    Committed outputs use 0. Every checked claim (:mod:`dlbook.claims`) must hold for other seeds
    too: run a chapter with ``DLBOOK_SEED=1``, ``2``, ... before committing it. Experiments over
    several seeds use ``base_seed() + k`` for k = 0, 1, ...
    """
    value = os.environ.get(SEED_ENV, "").strip()
    if value == "":
        return 0
    if not value.isdigit():
        raise ValueError(f"{SEED_ENV}: expected a non-negative integer, got {os.environ[SEED_ENV]!r}")
    return int(value)
