"""How fast is the from-scratch NumPy engine next to torch on the CPU? Measured side by side.

Both run in this one process, in float32, with the same thread count for NumPy's BLAS and for
torch, on the same data and starting weights. Each case is timed ``--repeats`` times after a
warm-up, alternating NumPy and torch so that both see the same load on a shared machine; the
line reports the medians and the ratio ``NumPy time / torch time`` (below 1x: NumPy is faster).

    python benchmarks/speed.py [--repeats 50] [--threads 1]

Cases: a full training step of an MLP 784-256-10 (ReLU, cross-entropy, SGD) at batch 128, and
forward + backward (weight, bias and input gradients) of each of LeNet's two conv layers at
batch 64. Goals: MLP <= 1.0x, conv <= 3x. Results and the machine: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="timed runs per case (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and for torch")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats: expected an integer >= 1, got {args.repeats}")
    if args.threads < 1:
        parser.error(f"--threads: expected an integer >= 1, got {args.threads}")
    return args


ARGS = parse_args()
# BLAS libraries read their thread count once, when they are loaded: set it before numpy's import.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dlbook.gradcheck import relative_error  # noqa: E402
from dlbook.nn import Conv2d, CrossEntropyLoss, Linear, ReLU, Sequential  # noqa: E402
from dlbook.optim import SGD  # noqa: E402
from dlbook.twins import to_torch, torch_optimizer_like  # noqa: E402

torch.set_num_threads(ARGS.threads)


def median_times(numpy_step, torch_step, repeats):
    """Median seconds of each step, after one warm-up call of each, alternating the two."""
    numpy_step()
    torch_step()
    times = {numpy_step: [], torch_step: []}
    for _ in range(repeats):
        for step in (numpy_step, torch_step):
            start = time.perf_counter()
            step()
            times[step].append(time.perf_counter() - start)
    return float(np.median(times[numpy_step])), float(np.median(times[torch_step]))


def report(label, numpy_s, torch_s, what_agrees, error):
    """One line per case; it ends with the ratio, e.g. ``ratio 0.83x``."""
    print(f"{label}: numpy {numpy_s * 1e3:6.2f} ms, torch {torch_s * 1e3:6.2f} ms "
          f"({what_agrees} agree to {error:.0e}), ratio {numpy_s / torch_s:.2f}x", flush=True)


def mlp_case(rng, repeats, batch=128, lr=0.1):
    # The first layer's input is data: neither side computes its gradient (torch skips it too).
    model = Sequential(Linear(784, 256, rng=rng, input_grad=False), ReLU(), Linear(256, 10, rng=rng))
    loss_fn, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=lr)
    twin = to_torch(model)                         # same layers and starting weights
    twin_loss, twin_optimizer = to_torch(loss_fn), torch_optimizer_like(optimizer, twin)

    x = rng.standard_normal((batch, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=batch)
    xt, labels_t = torch.from_numpy(x), torch.from_numpy(labels)

    def numpy_step():
        optimizer.zero_grad()
        loss = loss_fn.forward(model.forward(x), labels)
        model.backward(loss_fn.backward())
        optimizer.step()
        return loss

    def torch_step():
        twin_optimizer.zero_grad()
        loss = twin_loss(twin(xt), labels_t)
        loss.backward()
        twin_optimizer.step()
        return loss.item()

    numpy_step()                                   # first step from the same weights:
    torch_step()                                   # both compute the same gradients
    error = relative_error(model[0].weight.grad, twin[0].weight.grad.numpy())
    numpy_s, torch_s = median_times(numpy_step, torch_step, repeats)
    report(f"mlp 784-256-10 train step (fwd+bwd+SGD), batch {batch}", numpy_s, torch_s, "dW1", error)


def conv_case(rng, repeats, name, c_in, c_out, size, padding, batch=64, kernel=5):
    layer = Conv2d(c_in, c_out, kernel, padding=padding, rng=rng)
    twin = to_torch(layer)
    x = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    out_size = size + 2 * padding - kernel + 1
    upstream = rng.standard_normal((batch, c_out, out_size, out_size)).astype(np.float32)
    xt, upstream_t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(upstream)

    def numpy_step():
        layer.zero_grad()
        layer.forward(x)
        return layer.backward(upstream)

    def torch_step():
        twin.zero_grad()
        xt.grad = None
        twin(xt).backward(upstream_t)
        return xt.grad

    error = relative_error(numpy_step(), torch_step().numpy())
    numpy_s, torch_s = median_times(numpy_step, torch_step, repeats)
    label = (f"{name} {c_in}->{c_out} {kernel}x{kernel} pad {padding} on {size}x{size}, "
             f"batch {batch}, fwd+bwd (dW, db, dx)")
    report(label, numpy_s, torch_s, "dx", error)


def blas_threads() -> str:
    """The thread count NumPy's BLAS really uses, when threadpoolctl (a scikit-learn dependency) is there."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    counts = {str(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"}
    return "/".join(sorted(counts)) or "unknown"


def main():
    print(f"threads: {ARGS.threads} (torch.get_num_threads() = {torch.get_num_threads()}; "
          f"OMP/OPENBLAS/MKL_NUM_THREADS = {os.environ['OPENBLAS_NUM_THREADS']})")
    print(f"numpy {np.__version__} (BLAS threads: {blas_threads()}), torch {torch.__version__}, "
          f"float32, CPU, median of {ARGS.repeats} runs after a warm-up")
    rng = np.random.default_rng(0)
    mlp_case(rng, ARGS.repeats)
    conv_case(rng, ARGS.repeats, "conv1", c_in=1, c_out=6, size=28, padding=2)
    conv_case(rng, ARGS.repeats, "conv2", c_in=6, c_out=16, size=14, padding=0)


if __name__ == "__main__":
    main()
