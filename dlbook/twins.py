"""PyTorch twins of the from-scratch modules, and the way back.

``to_torch(module)`` builds the torch module that computes the same function: same layer types
and hyper-parameters, same weights and buffers (state_dict names match by design), same dtype,
same train/eval mode. ``from_torch`` goes the other way for the torch types the engine has.
``copy_weights`` moves weights by name in either direction, and ``torch_optimizer_like`` builds
the torch.optim optimiser with a scratch optimiser's hyper-parameters, so that both sides can be
trained step by step and compared.

torch has no Residual or Maxout module, so ``TorchResidual`` and ``TorchMaxout`` are defined here.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn as tnn

from dlbook import nn as dnn
from dlbook._validate import check_positive_int
from dlbook.nn.module import Module as ScratchModule

_TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
_NUMPY_DTYPES = {v: k for k, v in _TORCH_DTYPES.items()}


# ----------------------------------------------------------------------------- torch modules
class TorchResidual(tnn.Module):
    """y = x + body(x), with the body as child ``body`` (names match dlbook.nn.Residual)."""

    def __init__(self, body: tnn.Module):
        super().__init__()
        if not isinstance(body, tnn.Module):
            raise ValueError(f"body: expected a torch.nn.Module, got {type(body).__name__}")
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class TorchMaxout(tnn.Module):
    """Unit j = max over k of z[:, j*pieces + k] with z = linear(x), as dlbook.nn.Maxout."""

    def __init__(self, in_features: int, out_features: int, pieces: int = 2):
        super().__init__()
        in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        self.pieces = check_positive_int(pieces, "pieces")
        self.linear = tnn.Linear(in_features, self.out_features * self.pieces)

    def forward(self, x):
        z = self.linear(x).unflatten(-1, (self.out_features, self.pieces))
        return z.max(dim=-1).values  # gradient to one winner per unit, like the scratch layer

    def extra_repr(self):
        return f"out_features={self.out_features}, pieces={self.pieces}"


# ----------------------------------------------------------------------------- helpers
def _has_param(module: ScratchModule, name: str) -> bool:
    return name in module._params


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def _module_dtype(module: ScratchModule):
    """The one float dtype of a scratch module's parameters and float buffers (None if it has none)."""
    dtypes = {p.data.dtype for p in module.parameters()}
    dtypes |= {np.asarray(b).dtype for _, b in module.named_buffers()
               if np.issubdtype(np.asarray(b).dtype, np.floating)}
    if len(dtypes) > 1:
        raise ValueError(f"module: parameters and buffers mix dtypes {sorted(str(d) for d in dtypes)}; "
                         "convert it with module.astype(...) first")
    return dtypes.pop() if dtypes else None


def _torch_module_dtype(module: tnn.Module):
    dtypes = {t.dtype for t in module.state_dict().values() if t.is_floating_point()}
    if len(dtypes) > 1:
        raise ValueError(f"torch_module: parameters and buffers mix dtypes {sorted(map(str, dtypes))}")
    if not dtypes:
        return None
    dtype = dtypes.pop()
    if dtype not in _NUMPY_DTYPES:
        raise ValueError(f"torch_module: expected float32 or float64 parameters, got {dtype}")
    return _NUMPY_DTYPES[dtype]


# ----------------------------------------------------------------------------- scratch -> torch
def _linear_to_torch(m, convert):
    out_f, in_f = m.weight.shape
    return tnn.Linear(in_f, out_f, bias=_has_param(m, "bias"))


def _conv_to_torch(m, convert):
    out_c, in_c, kh, kw = m.weight.shape
    return tnn.Conv2d(in_c, out_c, (kh, kw), stride=_pair(m.stride), padding=_pair(m.padding),
                      bias=_has_param(m, "bias"))


def _batchnorm_to_torch(cls):
    def make(m, convert):
        return cls(m.weight.shape[0], eps=float(m.eps), momentum=float(m.momentum))
    return make


def _scratch_to_torch_table():
    return {
        dnn.Sequential: lambda m, convert: tnn.Sequential(*(convert(c) for c in m.children())),
        dnn.Residual: lambda m, convert: TorchResidual(convert(m.body)),
        dnn.Linear: _linear_to_torch,
        dnn.Sigmoid: lambda m, convert: tnn.Sigmoid(),
        dnn.Tanh: lambda m, convert: tnn.Tanh(),
        dnn.ReLU: lambda m, convert: tnn.ReLU(),
        dnn.LeakyReLU: lambda m, convert: tnn.LeakyReLU(negative_slope=float(m.negative_slope)),
        dnn.PReLU: lambda m, convert: tnn.PReLU(num_parameters=m.weight.shape[0]),
        dnn.ELU: lambda m, convert: tnn.ELU(alpha=float(m.alpha)),
        dnn.Softmax: lambda m, convert: tnn.Softmax(dim=int(m.dim)),
        dnn.Maxout: lambda m, convert: TorchMaxout(m.linear.weight.shape[1], m.out_features, m.pieces),
        dnn.Conv2d: _conv_to_torch,
        dnn.MaxPool2d: lambda m, convert: tnn.MaxPool2d(_pair(m.kernel_size), stride=_pair(m.stride)),
        dnn.AvgPool2d: lambda m, convert: tnn.AvgPool2d(_pair(m.kernel_size), stride=_pair(m.stride)),
        dnn.Flatten: lambda m, convert: tnn.Flatten(),
        dnn.BatchNorm1d: _batchnorm_to_torch(tnn.BatchNorm1d),
        dnn.BatchNorm2d: _batchnorm_to_torch(tnn.BatchNorm2d),
        dnn.Dropout: lambda m, convert: tnn.Dropout(p=float(m.p)),
    }


def _loss_to_torch(loss):
    """The torch loss for a scratch loss object, or None if ``loss`` is not one."""
    if type(loss) is dnn.MSELoss:
        return tnn.MSELoss(reduction=getattr(loss, "reduction", "mean"))
    if type(loss) is dnn.CrossEntropyLoss:
        return tnn.CrossEntropyLoss()
    if type(loss) is dnn.BCEWithLogitsLoss:
        return tnn.BCEWithLogitsLoss()
    return None


def _supported(table) -> str:
    return ", ".join(sorted(t.__name__ for t in table))


def to_torch(module, device=None):
    """The torch twin of a scratch module (or loss): same function, weights, buffers, dtype and mode.

    Supported: every layer of ``dlbook.nn`` and any nesting of ``Sequential`` and ``Residual``.
    Anything else (a subclass included: it may compute something else) raises ValueError.
    """
    loss = _loss_to_torch(module)
    if loss is not None:
        return loss
    if not isinstance(module, ScratchModule):
        raise ValueError(f"module: expected a dlbook.nn Module, got {type(module).__name__}")
    table = _scratch_to_torch_table()

    def convert(m):
        make = table.get(type(m))
        if make is None:
            raise ValueError(f"module: no torch twin for {type(m).__name__} (supported: {_supported(table)})")
        return make(m, convert)

    twin = convert(module)
    dtype = _module_dtype(module)
    if dtype is not None:
        twin = twin.to(_TORCH_DTYPES[dtype])
    copy_weights(module, twin)
    _copy_mode(module, twin)
    if device is not None:
        twin = twin.to(device)
    return twin


# ----------------------------------------------------------------------------- torch -> scratch
def _reject(m, name, value, allowed):
    if value != allowed:
        raise ValueError(f"torch_module: {type(m).__name__} with {name}={value!r} has no scratch "
                         f"equivalent (only {name}={allowed!r})")


def _conv_from_torch(m, convert, dtype):
    _reject(m, "dilation", tuple(m.dilation), (1, 1))
    _reject(m, "groups", m.groups, 1)
    _reject(m, "padding_mode", m.padding_mode, "zeros")
    if isinstance(m.padding, str):
        raise ValueError(f"torch_module: Conv2d with padding={m.padding!r} has no scratch equivalent "
                         "(give the padding as ints)")
    return dnn.Conv2d(m.in_channels, m.out_channels, tuple(m.kernel_size), stride=tuple(m.stride),
                      padding=tuple(m.padding), bias=m.bias is not None, dtype=dtype)


def _pool_from_torch(cls):
    def make(m, convert, dtype):
        _reject(m, "padding", m.padding, 0)
        _reject(m, "ceil_mode", m.ceil_mode, False)
        if isinstance(m, tnn.MaxPool2d):
            _reject(m, "dilation", m.dilation, 1)
            _reject(m, "return_indices", m.return_indices, False)
        else:
            _reject(m, "divisor_override", m.divisor_override, None)
        return cls(_pair(m.kernel_size), stride=_pair(m.stride))
    return make


def _batchnorm_from_torch(cls):
    def make(m, convert, dtype):
        _reject(m, "affine", m.affine, True)
        _reject(m, "track_running_stats", m.track_running_stats, True)
        if m.momentum is None:
            raise ValueError(f"torch_module: {type(m).__name__} with momentum=None (cumulative average) "
                             "has no scratch equivalent")
        return cls(m.num_features, eps=m.eps, momentum=m.momentum, dtype=dtype)
    return make


def _flatten_from_torch(m, convert, dtype):
    _reject(m, "start_dim", m.start_dim, 1)
    _reject(m, "end_dim", m.end_dim, -1)
    return dnn.Flatten()


def _softmax_from_torch(m, convert, dtype):
    if m.dim is None:
        raise ValueError("torch_module: Softmax with dim=None has no scratch equivalent; give dim")
    return dnn.Softmax(dim=m.dim)


def _maxout_from_torch(m, convert, dtype):
    if m.linear.bias is None:
        raise ValueError("torch_module: TorchMaxout whose linear has no bias has no scratch equivalent")
    return dnn.Maxout(m.linear.in_features, m.out_features, m.pieces, dtype=dtype)


def _torch_to_scratch_table():
    return {
        tnn.Sequential: lambda m, convert, dtype: dnn.Sequential(*(convert(c) for c in m.children())),
        TorchResidual: lambda m, convert, dtype: dnn.Residual(convert(m.body)),
        tnn.Linear: lambda m, convert, dtype: dnn.Linear(m.in_features, m.out_features,
                                                         bias=m.bias is not None, dtype=dtype),
        tnn.Sigmoid: lambda m, convert, dtype: dnn.Sigmoid(),
        tnn.Tanh: lambda m, convert, dtype: dnn.Tanh(),
        tnn.ReLU: lambda m, convert, dtype: dnn.ReLU(),
        tnn.LeakyReLU: lambda m, convert, dtype: dnn.LeakyReLU(negative_slope=m.negative_slope),
        tnn.PReLU: lambda m, convert, dtype: dnn.PReLU(num_parameters=m.num_parameters, dtype=dtype),
        tnn.ELU: lambda m, convert, dtype: dnn.ELU(alpha=m.alpha),
        tnn.Softmax: _softmax_from_torch,
        TorchMaxout: _maxout_from_torch,
        tnn.Conv2d: _conv_from_torch,
        tnn.MaxPool2d: _pool_from_torch(dnn.MaxPool2d),
        tnn.AvgPool2d: _pool_from_torch(dnn.AvgPool2d),
        tnn.Flatten: _flatten_from_torch,
        tnn.BatchNorm1d: _batchnorm_from_torch(dnn.BatchNorm1d),
        tnn.BatchNorm2d: _batchnorm_from_torch(dnn.BatchNorm2d),
        tnn.Dropout: lambda m, convert, dtype: dnn.Dropout(p=m.p),
    }


def from_torch(torch_module):
    """The scratch module computing what a torch module computes (for the types the engine has)."""
    if not isinstance(torch_module, tnn.Module):
        raise ValueError(f"torch_module: expected a torch.nn.Module, got {type(torch_module).__name__}")
    table = _torch_to_scratch_table()
    dtype = _torch_module_dtype(torch_module) or np.dtype(np.float32)

    def convert(m):
        make = table.get(type(m))
        if make is None:
            raise ValueError(f"torch_module: no scratch equivalent for {type(m).__name__} "
                             f"(supported: {_supported(table)})")
        return make(m, convert, dtype)

    scratch = convert(torch_module)
    copy_weights(torch_module, scratch)
    _copy_mode(torch_module, scratch)
    return scratch


def _copy_mode(src, dst) -> None:
    """Give every submodule of ``dst`` the train/eval flag of the same-named submodule of ``src``."""
    modes = {name: m.training for name, m in src.named_modules()}
    for name, m in dst.named_modules():
        if name not in modes:
            continue
        if isinstance(m, ScratchModule):
            object.__setattr__(m, "training", modes[name])  # per module: train() would recurse
        else:
            m.training = modes[name]


# ----------------------------------------------------------------------------- weights
def _read_state(module) -> dict:
    """name -> NumPy array of every parameter and buffer, for a scratch or a torch module."""
    if isinstance(module, ScratchModule):
        state = {n: p.data for n, p in module.named_parameters()}
        state.update((n, np.asarray(b)) for n, b in module.named_buffers())
        return state
    if isinstance(module, tnn.Module):
        return {n: t.detach().cpu().numpy() for n, t in module.state_dict().items()}
    raise ValueError(f"expected a dlbook.nn Module or a torch.nn.Module, got {type(module).__name__}")


def _write_torch(module: tnn.Module, state: dict) -> None:
    targets = module.state_dict()  # tensors that share storage with the parameters and buffers
    for name, target in targets.items():
        if target.is_floating_point() and target.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dst: parameter {name!r} is {target.dtype}; the twins compare in "
                             "float32 or float64 only, and a copy into it would silently lose "
                             "precision (convert the module with .float() or .double() first)")
    with torch.no_grad():
        for name, value in state.items():
            target = targets[name]
            target.copy_(torch.as_tensor(np.array(value, copy=True)).to(dtype=target.dtype))


def copy_weights(src, dst) -> None:
    """Copy every parameter and buffer of ``src`` into ``dst`` by name (scratch or torch, either way).

    The two must have exactly the same names and shapes; otherwise a ValueError names the
    parameter. Values are converted to ``dst``'s dtype and device.
    """
    source = _read_state(src)
    target = _read_state(dst)
    missing = [n for n in target if n not in source]
    unexpected = [n for n in source if n not in target]
    if missing or unexpected:
        raise ValueError(f"copy_weights: the two modules have different parameter names: "
                         f"only in dst {missing}, only in src {unexpected}")
    for name, value in source.items():
        if np.shape(value) != np.shape(target[name]):
            raise ValueError(f"copy_weights: parameter {name!r} has shape {np.shape(value)} in src "
                             f"but {np.shape(target[name])} in dst")
    if isinstance(dst, ScratchModule):
        dst.load_state_dict(source)   # names and shapes checked above; casts to dst's dtypes
    else:
        _write_torch(dst, source)


# ----------------------------------------------------------------------------- optimisers
def _hyper(opt, name, default=None):
    value = getattr(opt, name, default)
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _torch_params_like(scratch_optimizer, torch_params) -> list:
    """The twin's parameters as a list, checked one by one against the scratch optimiser's."""
    if isinstance(torch_params, tnn.Module):
        torch_params = torch_params.parameters()
    if torch_params is None or isinstance(torch_params, (torch.Tensor, np.ndarray, str)):
        raise ValueError("torch_params: expected the twin's parameters (a torch module or a list "
                         f"of tensors), got {type(torch_params).__name__}")
    try:
        params = list(torch_params)
    except TypeError:
        raise ValueError("torch_params: expected a torch module or a list of tensors, got "
                         f"{type(torch_params).__name__}") from None
    scratch = getattr(scratch_optimizer, "params", None)
    if scratch is None:
        raise ValueError("scratch_optimizer: expected a dlbook.optim optimiser, got "
                         f"{type(scratch_optimizer).__name__}")
    if len(params) != len(scratch):
        raise ValueError(f"torch_params: expected {len(scratch)} tensors, one per parameter of "
                         f"the scratch optimiser, got {len(params)}")
    for i, (t, p) in enumerate(zip(params, scratch)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"torch_params[{i}]: expected a tensor, got {type(t).__name__}")
        if tuple(t.shape) != tuple(p.data.shape):
            raise ValueError(f"torch_params[{i}]: expected shape {tuple(p.data.shape)} (the "
                             f"scratch parameter's), got {tuple(t.shape)}: the order or the "
                             "model differs")
    return params


def torch_optimizer_like(scratch_optimizer, torch_params):
    """The torch.optim optimiser with the hyper-parameters of a dlbook.optim optimiser.

    ``torch_params`` are the twin's parameters (a list of tensors or a torch module), in the same
    order as the scratch optimiser's. Only hyper-parameters are copied, not optimiser state: build
    both before the first step.
    """
    from dlbook import optim as dopt

    params = _torch_params_like(scratch_optimizer, torch_params)
    kind = type(scratch_optimizer)
    lr = float(_hyper(scratch_optimizer, "lr"))
    wd = float(_hyper(scratch_optimizer, "weight_decay", 0.0) or 0.0)
    if kind in (dopt.SGD, dopt.Momentum, dopt.Nesterov):
        momentum = float(_hyper(scratch_optimizer, "momentum", 0.0) or 0.0)
        nesterov = bool(_hyper(scratch_optimizer, "nesterov", kind is dopt.Nesterov))
        return torch.optim.SGD(params, lr=lr, momentum=momentum, dampening=0.0,
                               nesterov=nesterov, weight_decay=wd)
    if kind is dopt.AdaGrad:
        return torch.optim.Adagrad(params, lr=lr, lr_decay=0.0, weight_decay=wd,
                                   initial_accumulator_value=0.0, eps=float(scratch_optimizer.eps))
    if kind is dopt.RMSprop:
        return torch.optim.RMSprop(params, lr=lr, alpha=float(scratch_optimizer.alpha),
                                   eps=float(scratch_optimizer.eps), weight_decay=wd,
                                   momentum=float(_hyper(scratch_optimizer, "momentum", 0.0) or 0.0),
                                   centered=bool(_hyper(scratch_optimizer, "centered", False)))
    if kind is dopt.AdamW:
        beta1, beta2 = _hyper(scratch_optimizer, "betas")
        return torch.optim.AdamW(params, lr=lr, betas=(float(beta1), float(beta2)),
                                 eps=float(scratch_optimizer.eps), weight_decay=wd,
                                 amsgrad=False)
    if kind is dopt.Adam:
        beta1, beta2 = _hyper(scratch_optimizer, "betas")
        return torch.optim.Adam(params, lr=lr, betas=(float(beta1), float(beta2)),
                                eps=float(scratch_optimizer.eps), weight_decay=wd, amsgrad=False)
    if kind is dopt.LBFGS:
        return torch.optim.LBFGS(params, lr=lr, max_iter=int(scratch_optimizer.max_iter),
                                 max_eval=int(_hyper(scratch_optimizer, "max_eval",
                                                     scratch_optimizer.max_iter * 5 // 4)),
                                 history_size=int(scratch_optimizer.history_size),
                                 tolerance_grad=float(scratch_optimizer.tolerance_grad),
                                 tolerance_change=float(scratch_optimizer.tolerance_change),
                                 line_search_fn=_hyper(scratch_optimizer, "line_search_fn", None))
    raise ValueError(f"scratch_optimizer: no torch.optim equivalent for {kind.__name__} "
                     "(supported: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW, LBFGS)")
