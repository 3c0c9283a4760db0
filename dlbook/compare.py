"""Run a from-scratch model and its PyTorch twin side by side, and say how closely they agree.

``side_by_side`` feeds both the same input and the same upstream gradient (or the same loss and
target), then compares the outputs, the input gradients, every parameter gradient and every
buffer (BatchNorm's running statistics) by relative error ||a - b|| / (||a|| + ||b||).

Printed reports are meant for notebooks checked by nbval, so they must not change from run to
run: errors below a floor far under the tolerance print as a bucket ("< 1e-12"), larger ones with
one significant digit, and timings live apart in ``report.timing()`` (print those in a cell
marked ``# NBVAL_IGNORE_OUTPUT``).
"""
from __future__ import annotations

import contextlib
import math
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from dlbook._validate import check_float_array, check_positive_int

# Agreement tolerances of the design card (relative error), and the floor below which printed
# errors become a bucket: roundoff lies far below it, so the printed text is stable run to run.
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
PRINT_FLOOR = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}
# A parameter gradient whose two sides are both below ROUNDOFF_FACTOR * eps * (largest parameter
# gradient norm) is zero up to roundoff (e.g. the bias of a layer feeding BatchNorm in training:
# its exact gradient is 0). Its relative error compares two noises, so it counts as agreeing.
ROUNDOFF_FACTOR = 1000


@dataclass(frozen=True)
class Difference:
    """How two arrays differ: relative error (what agreement is judged on) and max abs difference."""

    rel: float
    max_abs: float
    shape: tuple
    negligible: bool = False  # both sides are zero up to roundoff (see ROUNDOFF_FACTOR)

    def within(self, rtol: float) -> bool:
        return self.negligible or self.rel < rtol  # nan compares False: no agreement


@dataclass
class TwinReport:
    """The outcome of one ``side_by_side`` run. Print it for the agreement table."""

    dtype: np.dtype
    device: str
    output: Difference
    input_grad: Difference
    param_grads: dict = field(default_factory=dict)   # name -> Difference
    buffers: dict = field(default_factory=dict)       # name -> Difference, after the forward pass
    loss: Difference | None = None
    numpy_times: list = field(default_factory=list)   # seconds per forward+backward
    torch_times: list = field(default_factory=list)

    # ----- the headline numbers, by name
    @property
    def output_max_abs(self) -> float:
        return self.output.max_abs

    @property
    def output_rel(self) -> float:
        return self.output.rel

    @property
    def input_grad_rel(self) -> float:
        return self.input_grad.rel

    @property
    def numpy_time(self) -> float:
        """Median seconds of one forward + backward pass in NumPy (CPU)."""
        return statistics.median(self.numpy_times)

    @property
    def torch_time(self) -> float:
        """Median seconds of one forward + backward pass in torch on ``device``."""
        return statistics.median(self.torch_times)

    @property
    def tolerance(self) -> float:
        return RTOL[np.dtype(self.dtype)]

    def rows(self) -> list[tuple[str, Difference]]:
        """(quantity, Difference) for everything compared, in a fixed order."""
        rows = [("output", self.output)]
        if self.loss is not None:
            rows.append(("loss", self.loss))
        rows.append(("input gradient", self.input_grad))
        rows += [(f"grad {name}", d) for name, d in self.param_grads.items()]
        rows += [(f"buffer {name}", d) for name, d in self.buffers.items()]
        return rows

    def agree(self, rtol: float | None = None) -> bool:
        """True if every relative error is below ``rtol`` (default: 1e-10 in float64, 1e-5 in float32).

        Parameter gradients that are zero up to roundoff on both sides count as agreeing.
        """
        rtol = self.tolerance if rtol is None else rtol
        return all(d.within(rtol) for _, d in self.rows())

    def __str__(self) -> str:
        floor = PRINT_FLOOR[np.dtype(self.dtype)]
        rows = [(q, str(d.shape), _format_difference(d, floor), "yes" if d.within(self.tolerance) else "NO")
                for q, d in self.rows()]
        header = ("quantity", "shape", "rel. error", "agree")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        lines = [f"NumPy vs PyTorch ({np.dtype(self.dtype).name}, tolerance {_sci(self.tolerance)})",
                 _line(header, widths), _line(tuple("-" * w for w in widths), widths)]
        lines += [_line(r, widths) for r in rows]
        lines.append(f"agree: {'yes' if self.agree() else 'NO'}")
        return "\n".join(lines)

    __repr__ = __str__

    def timing(self) -> str:
        """Median forward+backward times: run-to-run noise, so print in an nbval-ignored cell."""
        ratio = self.numpy_time / self.torch_time if self.torch_time > 0 else math.inf
        return (f"forward+backward, median of {len(self.numpy_times)}: NumPy (cpu) "
                f"{format_time(self.numpy_time)}, torch ({self.device}) {format_time(self.torch_time)}; "
                f"NumPy/torch time ratio {ratio:.2f}")


def _line(cells, widths) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()


def _sci(value: float) -> str:
    """1 significant digit: 3e-4, 1e-10."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_error(value: float, floor: float = 1e-12) -> str:
    """A relative error as stable text: a bucket below ``floor``, else 1 significant digit."""
    if math.isnan(value):
        return "nan"
    if value < floor:
        return f"< {_sci(floor)}"
    return _sci(value)


def agreement(a, b, floor: float = 1e-12) -> str:
    """How closely two arrays agree, for a notebook's printout: ``||a - b|| / (||a|| + ||b||)``
    as stable text (``format_error``), e.g. ``"< 1e-12"`` or ``"3e-7"``. Torch tensors are moved
    to the CPU first."""
    from dlbook.gradcheck import relative_error

    return format_error(relative_error(_to_numpy(a), _to_numpy(b)), floor)


def _to_numpy(value):
    detach = getattr(value, "detach", None)   # a torch tensor, on any device
    return detach().cpu().numpy() if detach is not None else value


def _format_difference(d: Difference, floor: float) -> str:
    return "both ~0" if d.negligible else format_error(d.rel, floor)


def _worst(diffs) -> float:
    errors = [d.rel for d in diffs if not d.negligible]
    if not errors:
        return 0.0
    return math.nan if any(math.isnan(e) for e in errors) else max(errors)


def format_time(seconds: float) -> str:
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _difference(a, b) -> Difference:
    from dlbook.gradcheck import relative_error

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the two sides produced different shapes: NumPy {a.shape}, torch {b.shape}")
    max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    return Difference(rel=relative_error(a, b), max_abs=max_abs, shape=tuple(a.shape))


@contextlib.contextmanager
def _full_precision_cuda(torch, device):
    """TF32 would make float32 convolutions on Ampere+ GPUs differ by ~1e-3: switch it off here."""
    if device.type != "cuda":
        yield
        return
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _model_device(torch, model):
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device("cpu")


def side_by_side(scratch, x, torch_model=None, upstream=None, loss=None, target=None, device=None,
                 repeats: int = 1) -> TwinReport:
    """Run ``scratch`` and its torch twin on ``x``; return a ``TwinReport`` of their differences.

    The twin is ``to_torch(scratch, device)`` unless ``torch_model`` is given (it must use the
    same parameter names). Backward starts from ``upstream`` (default: a standard normal array
    from seed 0, the same for both sides) or, with ``loss`` and ``target``, from the scratch loss
    and its torch twin. ``device`` defaults to ``dlbook.device.get_device()``. Both sides run
    ``repeats`` times for the timings; the first run is the one compared. Note that in train mode
    each run updates BatchNorm running statistics, on both sides alike; Dropout draws different
    masks on the two sides, so compare models with Dropout in eval mode.
    """
    import torch

    from dlbook.device import get_device, synchronize
    from dlbook.nn.module import Module
    from dlbook.twins import _loss_to_torch, _module_dtype, to_torch

    if not isinstance(scratch, Module):
        raise ValueError(f"scratch: expected a dlbook.nn Module, got {type(scratch).__name__}")
    check_float_array(x, "x")
    repeats = check_positive_int(repeats, "repeats")
    dtype = x.dtype
    model_dtype = _module_dtype(scratch)
    if model_dtype is not None and model_dtype != dtype:
        raise ValueError(f"x: expected dtype {model_dtype} (that of the scratch model), got {dtype}")
    if (loss is None) != (target is None):
        raise ValueError("loss, target: give both (backward from the loss) or neither (backward "
                         "from an upstream gradient)")
    if loss is not None and upstream is not None:
        raise ValueError("upstream: give either upstream or loss and target, not both")
    if upstream is not None:
        check_float_array(upstream, "upstream")
        if upstream.dtype != dtype:
            raise ValueError(f"upstream: expected dtype {dtype} (that of x), got {upstream.dtype}")

    # ----- the torch side
    if torch_model is None:
        device = torch.device(device) if device is not None else get_device()
        if device.type == "mps" and dtype == np.float64:
            device = torch.device("cpu")  # MPS has no float64
        torch_model = to_torch(scratch, device)
    else:
        if not isinstance(torch_model, torch.nn.Module):
            raise ValueError(f"torch_model: expected a torch.nn.Module, got {type(torch_model).__name__}")
        if device is not None:
            torch_model.to(device)
        device = _model_device(torch, torch_model)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    torch_params = dict(torch_model.named_parameters())
    wrong = [n for n, p in torch_params.items() if p.dtype != torch_dtype]
    if wrong:
        raise ValueError(f"torch_model: expected {torch_dtype} parameters (the dtype of x), "
                         f"but {wrong[0]!r} is {torch_params[wrong[0]].dtype}")
    missing = [n for n, _ in scratch.named_parameters() if n not in torch_params]
    if missing:
        raise ValueError(f"torch_model: has no parameter named {missing[0]!r} (the scratch model's names "
                         f"are {[n for n, _ in scratch.named_parameters()]})")
    torch_loss = None
    target_t = None
    if loss is not None:
        torch_loss = loss if isinstance(loss, torch.nn.Module) else _loss_to_torch(loss)
        if torch_loss is None:
            raise ValueError(f"loss: expected a dlbook.nn loss (MSELoss, CrossEntropyLoss, "
                             f"BCEWithLogitsLoss), got {type(loss).__name__}")
        target = np.asarray(target)
        if np.issubdtype(target.dtype, np.integer):
            target_t = torch.as_tensor(target, dtype=torch.long, device=device)
        else:
            target_t = torch.as_tensor(target, dtype=torch_dtype, device=device)
    x_t = torch.as_tensor(np.array(x, copy=True), device=device)

    state = {"upstream": upstream, "upstream_t": None}

    def run_numpy():
        scratch.zero_grad()
        start = time.perf_counter()
        y = scratch.forward(x)
        value = None
        if loss is not None:
            value = loss.forward(y, target)
            g = loss.backward()
        else:
            if state["upstream"] is None:
                state["upstream"] = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
            g = state["upstream"]
        dx = scratch.backward(g)
        return time.perf_counter() - start, y, dx, value

    def run_torch():
        for p in torch_model.parameters():
            p.grad = None
        xt = x_t.detach().clone().requires_grad_(True)
        synchronize(device)
        start = time.perf_counter()
        yt = torch_model(xt)
        value = None
        if torch_loss is not None:
            value = torch_loss(yt, target_t)
            value.backward()
        else:
            if state["upstream_t"] is None:
                state["upstream_t"] = torch.as_tensor(state["upstream"], device=device)
            yt.backward(state["upstream_t"])
        synchronize(device)
        return time.perf_counter() - start, yt, xt.grad, value

    numpy_times, torch_times = [], []
    with _full_precision_cuda(torch, device):
        seconds, y, dx, value = run_numpy()
        numpy_times.append(seconds)
        y, dx = np.array(y, copy=True), np.array(dx, copy=True)
        grads = {n: p.grad.copy() for n, p in scratch.named_parameters()}
        buffers = {n: np.array(b, copy=True) for n, b in scratch.named_buffers()}

        seconds, yt, dxt, value_t = run_torch()
        torch_times.append(seconds)
        torch_buffers = {n: b.detach().cpu().numpy() for n, b in torch_model.named_buffers()}
        report = TwinReport(
            dtype=np.dtype(dtype), device=str(device),
            output=_difference(y, yt.detach().cpu().numpy()),
            input_grad=_difference(dx, dxt.detach().cpu().numpy()),
            loss=None if loss is None else _difference(value, value_t.detach().cpu().numpy()),
        )
        torch_grads = {}
        for name, g in grads.items():
            tg = torch_params[name].grad
            torch_grads[name] = np.zeros_like(g) if tg is None else tg.cpu().numpy()
            report.param_grads[name] = _difference(g, torch_grads[name])
        _mark_roundoff(report.param_grads, grads, torch_grads, dtype)
        for name, b in buffers.items():
            if name in torch_buffers:
                report.buffers[name] = _difference(b, torch_buffers[name])

        for _ in range(repeats - 1):
            numpy_times.append(run_numpy()[0])
            torch_times.append(run_torch()[0])
    report.numpy_times, report.torch_times = numpy_times, torch_times
    return report


def _mark_roundoff(diffs: dict, grads: dict, torch_grads: dict, dtype) -> None:
    """Flag the gradients that are zero up to roundoff on both sides (see ROUNDOFF_FACTOR)."""
    norms = {n: max(np.linalg.norm(np.ravel(grads[n]).astype(np.float64)),
                    np.linalg.norm(np.ravel(torch_grads[n]).astype(np.float64))) for n in grads}
    largest = max(norms.values(), default=0.0)
    if largest == 0.0:
        return
    threshold = ROUNDOFF_FACTOR * np.finfo(dtype).eps * largest
    for name, norm in norms.items():
        if norm <= threshold:
            d = diffs[name]
            diffs[name] = Difference(d.rel, d.max_abs, d.shape, negligible=True)


def agreement_table(reports: dict, rtol: float | None = None) -> None:
    """Print one line per named report: dtype, output / input-gradient / worst other error, verdict."""
    if not isinstance(reports, dict) or not reports:
        raise ValueError("reports: expected a non-empty dict of name -> report from side_by_side")
    header = ("model", "dtype", "output", "input grad", "worst param/buffer", "agree")
    rows = []
    for name, r in reports.items():
        if not isinstance(r, TwinReport):
            raise ValueError(f"reports[{name!r}]: expected a report from side_by_side, got {type(r).__name__}")
        floor = PRINT_FLOOR[np.dtype(r.dtype)]
        others = [d for q, d in r.rows() if q.startswith(("grad ", "buffer ", "loss"))]
        worst = _worst(others) if others else None
        rows.append((str(name), np.dtype(r.dtype).name, format_error(r.output.rel, floor),
                     format_error(r.input_grad.rel, floor),
                     "-" if worst is None else format_error(worst, floor),
                     "yes" if r.agree(rtol) else "NO"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [_line(header, widths), _line(tuple("-" * w for w in widths), widths)]
    lines += [_line(row, widths) for row in rows]
    print("\n".join(lines))
