"""Chapter times on the CPU and on a GPU, and the speedup of a training loop moved from NumPy to it.

    python benchmarks/gpu.py [--device cuda] [--chapters 03_backprop ...] [--no-chapters]
                             [--loops 256:128 2048,2048:1024] [--epochs 3] [--threads 1]
                             [--markdown gpu.md]

Part 1 executes every chapter twice, with ``DLBOOK_DEVICE=cpu`` and with ``--device``, in the
environment of ``python -m dlbook.execute`` (one BLAS/torch thread, fixed seeds). The notebooks
are written to a temporary folder: the committed ones are not touched. It prints each chapter's
seconds on both.

Part 2 trains MLPs on MNIST (784 -> hidden widths -> 10, ReLU, cross-entropy, SGD) three times
from the same weights through the same mini-batches: with the NumPy engine on the CPU, with torch
on the CPU and with torch on ``--device``. Each ``--loops`` entry is ``WIDTHS:BATCH``, e.g.
``2048,2048:1024``. The epochs of the three alternate; each line reports the median seconds per
epoch (the first epoch pays for warm-up), the speedup ``NumPy time / torch time`` and how closely
the final weights agree with NumPy's (TF32 off, so the GPU computes in true float32).

``--markdown FILE`` writes both tables, headed by the machine, for ``benchmarks/RESULTS.md``.
With ``--device cpu`` the script still runs (the device columns repeat the CPU): the tests use
that. Exits non-zero if a chapter fails.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoopSpec:
    widths: tuple
    batch: int

    @property
    def label(self) -> str:
        return "MLP 784-" + "-".join(map(str, self.widths)) + f"-10, batch {self.batch}"


def parse_loop(text: str) -> LoopSpec:
    """``"2048,2048:1024"`` -> hidden widths (2048, 2048), batch 1024."""
    widths, sep, batch = text.partition(":")
    try:
        spec = LoopSpec(tuple(int(w) for w in widths.split(",")), int(batch))
    except ValueError:
        spec = None
    if not sep or spec is None or spec.batch < 1 or min(spec.widths) < 1:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHS:BATCH with positive integers, e.g. 256:128 or 2048,2048:1024, got {text!r}")
    return spec


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="torch device to compare with the CPU (default: cuda)")
    parser.add_argument("--chapters", nargs="+", metavar="NAME",
                        help="notebooks in book/ to time, by stem (default: all)")
    parser.add_argument("--no-chapters", action="store_true", help="skip part 1 (the chapter times)")
    parser.add_argument("--loops", nargs="*", type=parse_loop, default=None, metavar="WIDTHS:BATCH",
                        help="training loops of part 2 (default: 256:128 2048,2048:1024; none: skip)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per training loop (default 3)")
    parser.add_argument("--images", type=int, default=10000, help="MNIST images per epoch (default 10000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and torch on the CPU in part 2 (default 1, as the book)")
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown to this file")
    args = parser.parse_args(argv)
    if args.loops is None:
        args.loops = [parse_loop("256:128"), parse_loop("2048,2048:1024")]
    for name in ("epochs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: expected an integer >= 1, got {getattr(args, name)}")
    if not 1 <= args.images <= 10000:
        parser.error(f"--images: expected an integer in [1, 10000], got {args.images}")
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # BLAS libraries read their thread count once, when they are loaded: set it before numpy's import.
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dlbook import nn, optim  # noqa: E402
from dlbook.data import load_mnist  # noqa: E402
from dlbook.device import device_label, synchronize, use_exact_float32  # noqa: E402
from dlbook.execute import default_notebooks, execute_notebook  # noqa: E402
from dlbook.gradcheck import relative_error  # noqa: E402
from dlbook.twins import to_torch, torch_optimizer_like  # noqa: E402

LEARNING_RATE = 0.1


# ----------------------------------------------------------------------------- part 1: chapters
def chapter_notebooks(names):
    notebooks = default_notebooks()
    if not names:
        return notebooks
    by_stem = {p.stem: p for p in notebooks}
    unknown = [n for n in names if n not in by_stem]
    if unknown:
        raise SystemExit(f"--chapters: no notebook {', '.join(unknown)} in book/ "
                         f"(expected some of: {', '.join(by_stem)})")
    return [by_stem[n] for n in names]


def time_chapters(notebooks, devices):
    """{stem: {device: seconds, or the error as text}}; every chapter runs on every device."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in notebooks:
            results[path.stem] = {}
            for device in devices:
                try:
                    seconds = execute_notebook(path, output=Path(tmp) / f"{path.stem}-{device}.ipynb",
                                               extra_env={"DLBOOK_DEVICE": device})
                    shown = f"{seconds:7.1f} s"
                except Exception as err:  # report it in the table and go on with the others
                    lines = str(err).strip().splitlines()
                    seconds = shown = f"FAILED: {type(err).__name__}" + (f": {lines[-1]}" if lines else "")
                results[path.stem][device] = seconds
                print(f"{path.stem:<16} on {device:<8} {shown}", flush=True)   # after the kernel's own chatter
    return results


def chapters_markdown(results, devices) -> str:
    head = "| chapter | " + " | ".join(f"{d} (s)" for d in devices) + (" | cpu / gpu |" if len(devices) == 2 else " |")
    lines = [head, "|---" * (len(devices) + 1 + (len(devices) == 2)) + "|"]
    for stem, times in results.items():
        cells = [f"{times[d]:.1f}" if isinstance(times[d], float) else times[d] for d in devices]
        if len(devices) == 2 and all(isinstance(times[d], float) for d in devices):
            cells.append(f"{times[devices[0]] / times[devices[1]]:.2f}x")
        elif len(devices) == 2:
            cells.append("")
        lines.append(f"| {stem} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- part 2: a training loop
def build_mlp(widths, seed=0):
    rng = np.random.default_rng(seed)
    layers, fan_in = [], 784
    for k, width in enumerate(widths):
        # the first layer's input is data: no gradient for it (torch computes none either)
        layers += [nn.Linear(fan_in, width, rng=rng, input_grad=k > 0), nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10, rng=rng))


def numpy_epoch(model, loss_fn, optimizer, x, y, batches):
    losses = []
    for rows in batches:
        optimizer.zero_grad()
        losses.append(loss_fn.forward(model.forward(x[rows]), y[rows]))
        model.backward(loss_fn.backward())
        optimizer.step()
    return float(np.mean(losses))


def torch_epoch(model, loss_fn, optimizer, x, y, batches, device):
    """One epoch on ``device``; the data is already there, and only the mean loss comes back."""
    total = torch.zeros((), device=device)
    for rows in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return float(total) / len(batches)   # float() waits for the device


@dataclass
class LoopResult:
    spec: LoopSpec
    seconds: dict      # runner name -> median seconds per epoch
    losses: dict       # runner name -> mean loss of the last epoch
    weight_error: dict  # torch runner name -> relative error of its final weights against NumPy's


def time_training_loop(spec: LoopSpec, x, y, epochs: int, device: torch.device) -> LoopResult:
    model = build_mlp(spec.widths)
    loss_fn, optimizer = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LEARNING_RATE)
    runners = {"numpy": None}
    for where in dict.fromkeys([torch.device("cpu"), device]):   # cpu once if device is cpu
        twin = to_torch(model, device=where)
        runners[f"torch {where}"] = (where, twin, torch_optimizer_like(optimizer, twin),
                                     torch.from_numpy(x).to(where), torch.from_numpy(y).to(where))
    torch_loss = torch.nn.CrossEntropyLoss()
    order_rng = np.random.default_rng(1)
    times = {name: [] for name in runners}
    losses = {}
    for _ in range(epochs):
        order = order_rng.permutation(len(x))
        batches = [order[i:i + spec.batch] for i in range(0, len(order), spec.batch)]
        for name, runner in runners.items():
            if runner is None:
                start = time.perf_counter()
                losses[name] = numpy_epoch(model, loss_fn, optimizer, x, y, batches)
            else:
                where, twin, twin_opt, xt, yt = runner
                index = [torch.from_numpy(rows).to(where) for rows in batches]
                synchronize(where)
                start = time.perf_counter()
                losses[name] = torch_epoch(twin, torch_loss, twin_opt, xt, yt, index, where)
                synchronize(where)
            times[name].append(time.perf_counter() - start)
    scratch_state = model.state_dict()
    errors = {}
    for name, runner in runners.items():
        if runner is not None:
            state = runner[1].state_dict()
            errors[name] = max(relative_error(v, state[k].detach().cpu().numpy()) for k, v in scratch_state.items())
    return LoopResult(spec, {n: float(np.median(t)) for n, t in times.items()}, losses, errors)


def loop_lines(result: LoopResult) -> list[str]:
    base = result.seconds["numpy"]
    lines = []
    for name, seconds in result.seconds.items():
        line = f"  {name:<12} {seconds * 1e3:9.1f} ms/epoch, last-epoch loss {result.losses[name]:.4f}"
        if name != "numpy":
            line += (f", numpy/torch {base / seconds:6.2f}x, "
                     f"weights agree with numpy to {result.weight_error[name]:.0e}")
        lines.append(line)
    return lines


def loops_markdown(results, epochs, images, threads) -> str:
    lines = [f"SGD lr {LEARNING_RATE}, {images} MNIST images, float32, median of {epochs} epochs; "
             f"NumPy and torch on the CPU use {threads} thread(s). Speedup = NumPy time / torch time.", "",
             "| training loop | runner | ms per epoch | speedup over NumPy | weights vs NumPy |",
             "|---|---|---|---|---|"]
    for r in results:
        base = r.seconds["numpy"]
        for name, seconds in r.seconds.items():
            speedup = "1x" if name == "numpy" else f"{base / seconds:.2f}x"
            error = "" if name == "numpy" else f"{r.weight_error[name]:.0e}"
            lines.append(f"| {r.spec.label} | {name} | {seconds * 1e3:.1f} | {speedup} | {error} |")
    return "\n".join(lines)


def machine_line(device: torch.device) -> str:
    return (f"{time.strftime('%Y-%m-%d')}, device {device_label(device)}, {os.cpu_count()} CPU cores, "
            f"numpy {np.__version__}, torch {torch.__version__}")


def main(args) -> int:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device: {args.device!r} was requested but CUDA is not available here")
    use_exact_float32()
    torch.set_num_threads(args.threads)
    print(machine_line(device), flush=True)
    sections = [f"Measured with `python benchmarks/gpu.py`: {machine_line(device)}."]
    failed = False
    if not args.no_chapters:
        devices = list(dict.fromkeys(["cpu", str(device)]))
        print("\nPart 1: each chapter executed as `python -m dlbook.execute` runs it (1 thread)")
        results = time_chapters(chapter_notebooks(args.chapters), devices)
        failed = any(isinstance(t, str) for times in results.values() for t in times.values())
        sections.append("Seconds to execute each chapter (1 BLAS/torch thread, as `python -m dlbook.execute`):\n\n"
                        + chapters_markdown(results, devices))
    if args.loops:
        print(f"\nPart 2: training loops, {args.images} MNIST images, median of {args.epochs} epochs")
        images, labels = load_mnist("test")   # ships with dlbook: no download on a GPU machine
        x = images[:args.images].reshape(-1, 784).astype(np.float32) / np.float32(255)
        y = labels[:args.images].astype(np.int64)
        loop_results = []
        for spec in args.loops:
            print(spec.label, flush=True)
            result = time_training_loop(spec, x, y, args.epochs, device)
            print("\n".join(loop_lines(result)), flush=True)
            loop_results.append(result)
        sections.append(loops_markdown(loop_results, args.epochs, len(x), args.threads))
    if args.markdown:
        args.markdown.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
        print(f"\nwrote {args.markdown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
