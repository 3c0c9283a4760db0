"""First-order optimisers: each step uses only the gradient ``g = p.grad`` of every parameter.

They follow ``torch.optim``'s update rules, defaults and eps conventions exactly, so a NumPy run and
its torch twin trace the same trajectory (to rounding) step by step. Every optimiser

* takes a list of ``dlbook.nn.Parameter`` (anything with ``.data`` and ``.grad`` arrays),
* updates ``p.data`` *in place* from ``p.grad`` in ``step()``, in the parameter's own dtype,
* keeps its running averages per parameter in ``self.state[i]`` (a dict for parameter ``i``),
* reads its learning rate from ``self.lr`` at every step, so a scheduler may change it.

Divergence is reported, not raised: a too-large learning rate drives the parameters to ``inf`` and
then ``nan`` silently (overflow warnings are switched off inside ``step``). Check for it with
``np.isfinite(p.data).all()``.
"""
from __future__ import annotations

import numpy as np

from .._validate import FLOAT_DTYPES, check_positive_float, check_unit_interval


def check_params(params) -> list:
    """A non-empty list of parameters, each with floating-point ``.data`` and a same-shaped ``.grad``."""
    if isinstance(params, np.ndarray):
        raise ValueError("params: expected a list of Parameters (e.g. model.parameters()), got an array")
    try:
        params = list(params)
    except TypeError:
        raise ValueError(f"params: expected a list of Parameters, got {type(params).__name__}") from None
    if not params:
        raise ValueError("params: expected a non-empty list of Parameters, got an empty list")
    for i, p in enumerate(params):
        data = getattr(p, "data", None)
        if not isinstance(data, np.ndarray) or not hasattr(p, "grad"):
            raise ValueError(f"params[{i}]: expected a Parameter with .data and .grad arrays, "
                             f"got {type(p).__name__}")
        if data.dtype.type not in FLOAT_DTYPES:
            raise ValueError(f"params[{i}]: expected float32 or float64 data, got {data.dtype}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("params: the same Parameter appears more than once")
    return params


class Optimizer:
    """Base class: holds the parameters, the learning rate ``lr`` and per-parameter ``state``.

    Subclasses implement ``update(p, g, state)``, the rule for one parameter.
    """

    def __init__(self, params, lr):
        self.params = check_params(params)
        self.lr = check_positive_float(lr, "lr")
        self.state = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Reset every ``p.grad`` to zeros (gradients accumulate, as in torch)."""
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        """Apply the update rule once to every parameter, in place."""
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (p, state) in enumerate(zip(self.params, self.state)):
                g = np.asarray(p.grad, dtype=p.data.dtype)
                if g.shape != p.data.shape:  # broadcasting would silently apply a wrong update
                    raise ValueError(f"params[{i}].grad: expected shape {p.data.shape} (the "
                                     f"parameter's), got {g.shape}")
                self.update(p, g, state)

    def update(self, p, g: np.ndarray, state: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def defaults(self) -> dict:
        """The hyper-parameters by torch's argument names (for building a torch twin)."""
        return {name: getattr(self, name) for name in self.hyperparameters}

    hyperparameters: tuple = ("lr",)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (torch's form) and L2 weight decay.

        g <- g + weight_decay * p
        b <- momentum * b + g               (b = 0 before the first step)
        p <- p - lr * b                     (plain momentum)
        p <- p - lr * (g + momentum * b)    (nesterov=True)

    With ``momentum=0`` this is plain ``p <- p - lr * g``. Torch's velocity ``b`` differs from the
    textbook ``v <- mu v - lr g`` only by the factor ``-lr`` (the same path while lr is fixed).
    """

    hyperparameters = ("lr", "momentum", "nesterov", "weight_decay")

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = check_unit_interval(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):  # 1 == True, but 1 is not a switch
            raise ValueError(f"nesterov: expected True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def update(self, p, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p.data
        if self.momentum != 0.0:
            if "momentum_buffer" not in state:   # not setdefault: it would allocate on every step
                state["momentum_buffer"] = np.zeros_like(p.data)
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g
            g = g + self.momentum * b if self.nesterov else b
        p.data -= self.lr * g


class Momentum(SGD):
    """SGD with (heavy-ball) momentum: ``b <- mu b + g;  p <- p - lr b``."""

    hyperparameters = ("lr", "momentum")

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr, momentum=momentum)


class Nesterov(SGD):
    """SGD with Nesterov momentum: ``b <- mu b + g;  p <- p - lr (g + mu b)`` (look-ahead form)."""

    hyperparameters = ("lr", "momentum")

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr, momentum=momentum, nesterov=True)


class AdaGrad(Optimizer):
    """AdaGrad: each coordinate's step shrinks with the sum of its squared gradients.

        S <- S + g * g
        p <- p - lr * g / (sqrt(S) + eps)
    """

    hyperparameters = ("lr", "eps")

    def __init__(self, params, lr=0.01, eps=1e-10):
        super().__init__(params, lr)
        self.eps = check_positive_float(eps, "eps")

    def update(self, p, g, state):
        if "sum" not in state:
            state["sum"] = np.zeros_like(p.data)
        S = state["sum"]
        S += g * g
        p.data -= self.lr * (g / (np.sqrt(S) + self.eps))


class RMSprop(Optimizer):
    """RMSprop: AdaGrad with a leaky (exponentially weighted) average of squared gradients.

        S <- alpha * S + (1 - alpha) * g * g
        p <- p - lr * g / (sqrt(S) + eps)
    """

    hyperparameters = ("lr", "alpha", "eps")

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        super().__init__(params, lr)
        self.alpha = check_unit_interval(alpha, "alpha")
        self.eps = check_positive_float(eps, "eps")

    def update(self, p, g, state):
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p.data)
        S = state["square_avg"]
        S *= self.alpha
        S += (1.0 - self.alpha) * (g * g)
        p.data -= self.lr * (g / (np.sqrt(S) + self.eps))


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and RMSprop scaling (v), both bias-corrected.

        g <- g + weight_decay * p                          (L2 penalty, as torch.optim.Adam)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)      (t = 1, 2, ...)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (check_unit_interval(beta1, "betas[0]"), check_unit_interval(beta2, "betas[1]"))
        self.eps = check_positive_float(eps, "eps")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def update(self, p, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p.data
        self._adam_step(p, g, state)

    def _adam_step(self, p, g, state):
        """The bias-corrected Adam step from ``g`` (shared with AdamW)."""
        beta1, beta2 = self.betas
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.sqrt(v) / np.sqrt(1.0 - beta2**t) + self.eps
        p.data -= step_size * (m / denom)
