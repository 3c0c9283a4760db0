"""The two building blocks of the from-scratch engine: ``Parameter`` and ``Module``.

A module's ``forward`` caches what its ``backward`` needs; ``backward(grad_out)`` returns the
gradient with respect to the input and *adds* parameter gradients into ``param.grad`` (as torch
accumulates into ``.grad``). ``backward`` never changes its input arrays or the parameter values:
updating is the optimiser's job.

Parameters and child modules are registered by attribute assignment, in order, so that
``named_parameters()`` yields the same names as torch's ``state_dict`` ("0.weight", "block.bn.bias").
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

import numpy as np


class Parameter:
    """A learnable array and the gradient accumulated for it."""

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise ValueError(f"data: expected a floating-point array, got dtype {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: subclasses set parameters/children as attributes and define forward/backward."""

    def __init__(self) -> None:
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_params" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._params.pop(name, None)
        self._children.pop(name, None)
        if isinstance(value, Parameter):
            self._params[name] = value
        elif isinstance(value, Module):
            self._children[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Non-learnable state that a twin must copy too (BatchNorm's running statistics)."""
        self._buffers[name] = True
        object.__setattr__(self, name, value)

    # ----- the contract every layer fulfils
    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # ----- traversal by name, matching torch's state_dict keys
    def children(self) -> Iterator["Module"]:
        return iter(self._children.values())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, child in self._children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for mod_name, mod in self.named_modules(prefix):
            for name, p in mod._params.items():
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for mod_name, mod in self.named_modules():
            for name in mod._buffers:
                yield (f"{mod_name}.{name}" if mod_name else name), getattr(mod, name)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers by torch's names (copies, so the caller cannot alias them)."""
        out = OrderedDict((n, p.data.copy()) for n, p in self.named_parameters())
        out.update((n, np.array(b, copy=True)) for n, b in self.named_buffers())
        return out

    def load_state_dict(self, state: dict) -> None:
        """Copy arrays in by name; shapes must match exactly."""
        own = dict(self.named_parameters())
        buffers = {n: m for m_name, m in self.named_modules()
                   for n in [f"{m_name}.{b}" if m_name else b for b in m._buffers]}
        expected = set(own) | set(buffers)
        missing = expected - set(state)
        if missing:
            raise ValueError(f"state: missing entries {sorted(missing)}")
        unexpected = set(state) - expected  # a misspelt name must not be ignored (torch's strict)
        if unexpected:
            raise ValueError(f"state: unexpected entries {sorted(unexpected)}; this module has "
                             f"{sorted(expected)}")
        for name, p in own.items():
            value = np.asarray(state[name])
            if value.shape != p.data.shape:
                raise ValueError(f"state[{name!r}]: expected shape {p.data.shape}, got {value.shape}")
            p.data = value.astype(p.data.dtype, copy=True)
            p.zero_grad()
        for name, mod in buffers.items():
            attr = name.rsplit(".", 1)[-1]
            old = getattr(mod, attr)
            object.__setattr__(mod, attr, np.array(state[name], dtype=np.asarray(old).dtype, copy=True))

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        for _, m in self.named_modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def astype(self, dtype) -> "Module":
        """Cast every parameter and floating buffer, e.g. to float64 for gradient checks."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.zero_grad()
        for m_name, m in self.named_modules():
            for b in m._buffers:
                value = np.asarray(getattr(m, b))
                if np.issubdtype(value.dtype, np.floating):
                    object.__setattr__(m, b, value.astype(dtype))
        return self

    def num_parameters(self) -> int:
        return int(sum(p.data.size for p in self.parameters()))

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._children.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise ValueError(f"layers[{i}]: expected a dlbook Module, got {type(layer).__name__}")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._children)

    def __getitem__(self, i: int) -> Module:
        return list(self._children.values())[i]

    def __iter__(self):
        return iter(self._children.values())

    def forward(self, x):
        for layer in self._children.values():
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self._children.values()):
            grad_out = layer.backward(grad_out)
        return grad_out
