"""The PyTorch twins: to_torch / from_torch, copy_weights, torch_optimizer_like, side_by_side."""
import copy
import numpy as np
import pytest
import torch
from torch import nn as tnn

from dlbook import nn, optim
from dlbook.compare import agreement, agreement_table, format_error, side_by_side
from dlbook.gradcheck import relative_error
from dlbook.twins import (TorchMaxout, TorchResidual, copy_weights, from_torch, to_torch,
                          torch_optimizer_like)

RTOL = {np.float64: 1e-10, np.float32: 1e-5}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def _rng(seed=0):
    return np.random.default_rng(seed)


# name -> (factory(rng) -> scratch module, input shape, expected torch type)
LAYERS = {
    "Linear": (lambda r: nn.Linear(5, 4, rng=r), (6, 5), tnn.Linear),
    "Linear-nobias": (lambda r: nn.Linear(5, 4, bias=False, rng=r), (6, 5), tnn.Linear),
    "Sigmoid": (lambda r: nn.Sigmoid(), (6, 5), tnn.Sigmoid),
    "Tanh": (lambda r: nn.Tanh(), (6, 5), tnn.Tanh),
    "ReLU": (lambda r: nn.ReLU(), (6, 5), tnn.ReLU),
    "LeakyReLU": (lambda r: nn.LeakyReLU(0.2), (6, 5), tnn.LeakyReLU),
    "PReLU": (lambda r: nn.PReLU(5, init=0.3), (6, 5), tnn.PReLU),
    "ELU": (lambda r: nn.ELU(0.7), (6, 5), tnn.ELU),
    "Softmax": (lambda r: nn.Softmax(dim=1), (6, 5), tnn.Softmax),
    "Maxout": (lambda r: nn.Maxout(5, 3, pieces=4, rng=r), (6, 5), TorchMaxout),
    "Conv2d": (lambda r: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, rng=r), (2, 2, 7, 6), tnn.Conv2d),
    "MaxPool2d": (lambda r: nn.MaxPool2d(2), (2, 3, 6, 6), tnn.MaxPool2d),
    "AvgPool2d": (lambda r: nn.AvgPool2d(3, stride=2), (2, 3, 7, 7), tnn.AvgPool2d),
    "Flatten": (lambda r: nn.Flatten(), (2, 3, 4, 4), tnn.Flatten),
    "BatchNorm1d": (lambda r: nn.BatchNorm1d(5, eps=1e-3, momentum=0.2), (6, 5), tnn.BatchNorm1d),
    "BatchNorm2d": (lambda r: nn.BatchNorm2d(3), (4, 3, 5, 5), tnn.BatchNorm2d),
    "Dropout": (lambda r: nn.Dropout(0.3), (6, 5), tnn.Dropout),
    "Residual": (lambda r: nn.Residual(nn.Sequential(nn.Linear(5, 5, rng=r), nn.Tanh())), (6, 5), TorchResidual),
}


def _run_both(scratch, twin, x, rng):
    """Forward and backward (random upstream) through both; return the scratch and torch results."""
    y = scratch.forward(x)
    upstream = rng.standard_normal(y.shape).astype(x.dtype)
    scratch.zero_grad()
    dx = scratch.backward(upstream)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = twin(xt)
    yt.backward(torch.from_numpy(upstream))
    return (y, dx), (yt.detach().numpy(), xt.grad.numpy())


def _assert_same_function(scratch, twin, x, rng):
    tol = RTOL[x.dtype.type]
    (y, dx), (yt, dxt) = _run_both(scratch, twin, x, rng)
    assert relative_error(y, yt) < tol
    assert relative_error(dx, dxt) < tol
    torch_params = dict(twin.named_parameters())
    assert set(torch_params) == {n for n, _ in scratch.named_parameters()}
    for name, p in scratch.named_parameters():
        assert relative_error(p.grad, torch_params[name].grad.numpy()) < tol, name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_each_layer_has_an_equivalent_twin_and_round_trips(name, dtype):
    factory, shape, torch_type = LAYERS[name]
    rng = _rng(1)
    scratch = factory(rng).astype(dtype)
    if name.startswith("PReLU"):
        scratch.weight.data = rng.uniform(0.1, 0.5, scratch.weight.shape).astype(dtype)
    if name == "Dropout":
        scratch.eval()  # the masks come from different generators: compare the eval identity
    twin = to_torch(scratch)
    assert type(twin) is torch_type
    assert list(twin.state_dict()) == list(scratch.state_dict())
    for t in twin.state_dict().values():
        if t.is_floating_point():
            assert t.dtype == TORCH_DTYPE[dtype]
    x = rng.standard_normal(shape).astype(dtype)

    back = from_torch(twin)
    assert type(back) is type(scratch)
    assert [type(m) for _, m in back.named_modules()] == [type(m) for _, m in scratch.named_modules()]
    assert back.training == scratch.training
    for key, value in scratch.state_dict().items():
        got = back.state_dict()[key]
        assert got.dtype == value.dtype and np.array_equal(got, value), key
    # same code, same weights: the round trip computes bit for bit the same function
    np.testing.assert_array_equal(back.forward(x), scratch.forward(x))

    _assert_same_function(scratch, twin, x, rng)


def test_maxout_twin_sends_tied_gradients_to_the_first_piece():
    rng = _rng(10)
    scratch = nn.Maxout(4, 3, pieces=2, rng=rng).astype(np.float64)
    w = scratch.linear.weight.data.reshape(3, 2, 4)
    w[:, 1] = w[:, 0]  # both pieces of every unit equal: every max is a tie
    scratch.linear.weight.data = w.reshape(6, 4)
    twin = to_torch(scratch)
    _assert_same_function(scratch, twin, rng.standard_normal((5, 4)), rng)
    grad = twin.linear.weight.grad.numpy().reshape(3, 2, 4)
    assert np.all(grad[:, 1] == 0) and np.any(grad[:, 0] != 0)


def test_hyper_parameters_reach_the_twin():
    rng = _rng()
    assert to_torch(nn.LeakyReLU(0.2)).negative_slope == 0.2
    assert to_torch(nn.ELU(0.7)).alpha == 0.7
    assert to_torch(nn.Dropout(0.3)).p == 0.3
    assert to_torch(nn.Softmax(dim=0)).dim == 0
    bn = to_torch(nn.BatchNorm2d(3, eps=1e-3, momentum=0.25))
    assert (bn.num_features, bn.eps, bn.momentum) == (3, 1e-3, 0.25)
    conv = to_torch(nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=rng))
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 2), (2, 1), (1, 0))
    pool = to_torch(nn.MaxPool2d(3, stride=2))
    assert (pool.kernel_size, pool.stride) == ((3, 3), (2, 2))
    maxout = to_torch(nn.Maxout(5, 3, pieces=4, rng=rng))
    assert (maxout.linear.in_features, maxout.out_features, maxout.pieces) == (5, 3, 4)
    # and back
    back = from_torch(tnn.Sequential(tnn.LeakyReLU(0.3), tnn.ELU(0.5), tnn.Dropout(0.4)))
    assert (back[0].negative_slope, back[1].alpha, back[2].p) == (0.3, 0.5, 0.4)


def _nested(rng, dtype):
    # no bias in front of BatchNorm: in training its exact gradient is 0, and two roundoff noises
    # have no meaningful relative error (side_by_side handles that case; this helper does not)
    block = nn.Sequential(nn.Conv2d(3, 3, 3, padding=1, bias=False, rng=rng), nn.BatchNorm2d(3), nn.ReLU())
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=rng), nn.Residual(block), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(3 * 4 * 4, 12, bias=False, rng=rng), nn.BatchNorm1d(12), nn.PReLU(12),
        nn.Maxout(12, 6, pieces=2, rng=rng), nn.Residual(nn.Sequential(nn.Linear(6, 6, rng=rng), nn.ELU())),
        nn.Linear(6, 4, rng=rng),
    ).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nested_model_with_batchnorm_buffers(dtype):
    rng = _rng(2)
    model = _nested(rng, dtype)
    x = rng.standard_normal((8, 1, 8, 8)).astype(dtype)
    for _ in range(3):  # move the running statistics away from their initial 0 and 1
        model.forward(x + rng.standard_normal(x.shape).astype(dtype))
    twin = to_torch(model)
    buffers = dict(twin.named_buffers())
    assert "1.body.1.running_mean" in buffers and "5.running_var" in buffers
    for name, value in model.named_buffers():
        np.testing.assert_array_equal(buffers[name].numpy(), value)
    assert int(buffers["5.num_batches_tracked"]) == 3
    assert not np.allclose(model[5].running_mean, 0)
    # training mode (batch statistics, buffers updated on both sides) ...
    _assert_same_function(model, twin, x, rng)
    for name, value in model.named_buffers():
        assert relative_error(value, buffers[name].numpy()) < RTOL[dtype], name
    # ... and eval mode (the running statistics are used)
    model.eval()
    twin = to_torch(model)
    assert not any(m.training for m in twin.modules())
    _assert_same_function(model, twin, x, rng)

    back = from_torch(twin)
    assert not any(m.training for _, m in back.named_modules())
    np.testing.assert_array_equal(back.forward(x), model.forward(x))
    assert int(back[5].num_batches_tracked) == int(model[5].num_batches_tracked)


def test_train_eval_mode_is_copied_module_by_module():
    rng = _rng()
    model = nn.Sequential(nn.Linear(4, 4, rng=rng), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model[1].eval()  # a mixed state: only the BatchNorm evaluates
    twin = to_torch(model)
    assert [m.training for m in twin] == [True, False, True]
    assert twin.training
    twin[2].eval()
    back = from_torch(twin)
    assert [m.training for m in back] == [True, False, False]


def test_twin_goes_to_the_requested_device():
    twin = to_torch(nn.Linear(3, 2, rng=_rng()), device="cpu")
    assert twin.weight.device.type == "cpu"


def test_copy_weights_both_ways_and_shape_errors():
    rng = _rng(3)
    scratch = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.BatchNorm1d(3)).astype(np.float64)
    twin = to_torch(scratch)
    with torch.no_grad():
        twin[0].weight.mul_(2.0)
        twin[1].running_var.fill_(4.0)
        twin[1].num_batches_tracked.fill_(7)
    copy_weights(twin, scratch)
    np.testing.assert_array_equal(scratch[0].weight.data, twin[0].weight.detach().numpy())
    assert scratch[0].weight.data.dtype == np.float64
    np.testing.assert_array_equal(scratch[1].running_var, 4.0)
    assert int(scratch[1].num_batches_tracked) == 7

    scratch[0].bias.data += 1.0
    copy_weights(scratch, twin)
    np.testing.assert_array_equal(twin[0].bias.detach().numpy(), scratch[0].bias.data)

    wrong = tnn.Sequential(tnn.Linear(5, 3), tnn.BatchNorm1d(3))
    with pytest.raises(ValueError, match=r"0\.weight.*\(3, 4\).*\(3, 5\)"):
        copy_weights(scratch, wrong)
    with pytest.raises(ValueError, match="1.running_mean"):
        copy_weights(scratch, tnn.Sequential(tnn.Linear(4, 3)))
    with pytest.raises(ValueError, match="list"):
        copy_weights(scratch, [])


class Doubler(nn.Module):
    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return 2 * grad_out


def test_unknown_types_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="Doubler"):
        to_torch(nn.Sequential(nn.ReLU(), Doubler()))
    with pytest.raises(ValueError, match="GRU"):
        from_torch(tnn.Sequential(tnn.GRU(3, 3)))
    with pytest.raises(ValueError, match="dilation"):
        from_torch(tnn.Conv2d(1, 1, 3, dilation=2))
    with pytest.raises(ValueError, match="ceil_mode"):
        from_torch(tnn.MaxPool2d(2, ceil_mode=True))
    with pytest.raises(ValueError, match="str"):
        to_torch("Linear")

    class Mystery:
        lr = 0.1

    with pytest.raises(ValueError, match="Mystery"):
        torch_optimizer_like(Mystery(), [torch.zeros(2, requires_grad=True)])


def test_losses_have_twins():
    assert isinstance(to_torch(nn.MSELoss(reduction="sum")), tnn.MSELoss)
    assert to_torch(nn.MSELoss(reduction="sum")).reduction == "sum"
    assert isinstance(to_torch(nn.CrossEntropyLoss()), tnn.CrossEntropyLoss)
    assert isinstance(to_torch(nn.BCEWithLogitsLoss()), tnn.BCEWithLogitsLoss)


# ----------------------------------------------------------------------------- side_by_side
def _mlp(rng, dtype):
    return nn.Sequential(nn.Linear(10, 16, rng=rng), nn.Tanh(), nn.Linear(16, 16, rng=rng), nn.ReLU(),
                         nn.Linear(16, 3, rng=rng)).astype(dtype)


def _cnn(rng, dtype):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, rng=rng), nn.ReLU(), nn.Flatten(),
                         nn.Linear(6 * 2 * 2, 5, rng=rng)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_side_by_side_agrees_and_catches_a_perturbed_weight(kind, dtype):
    rng = _rng(4)
    if kind == "mlp":
        model, x = _mlp(rng, dtype), rng.standard_normal((7, 10)).astype(dtype)
    else:
        model, x = _cnn(rng, dtype), rng.standard_normal((4, 1, 8, 8)).astype(dtype)
    report = side_by_side(model, x, device="cpu", repeats=3)
    assert report.agree(), str(report)
    assert report.output_rel < RTOL[dtype] and report.input_grad_rel < RTOL[dtype]
    assert set(report.param_grads) == {n for n, _ in model.named_parameters()}
    # The largest absolute output difference is roundoff: positive (float arithmetic in two
    # libraries) yet far below the outputs' own size.
    out_scale = float(np.abs(copy.deepcopy(model).forward(x)).max())  # no side effects
    assert 0 <= report.output_max_abs <= 1e3 * np.finfo(dtype).eps * max(out_scale, 1.0)
    assert len(report.numpy_times) == len(report.torch_times) == 3
    assert "agree: yes" in str(report) and " NO" not in str(report)

    # a twin whose last weight differs by 1e-3 (relative) must be caught (the first conv weight
    # would not do for the CNN: scaling it is invisible after BatchNorm, except in running_var)
    twin = to_torch(model)
    last_weight = list(twin.parameters())[-2]
    with torch.no_grad():
        last_weight.mul_(1 + 1e-3)
    bad = side_by_side(model, x, torch_model=twin)
    assert not bad.agree()
    assert bad.output_rel > RTOL[dtype] and bad.input_grad_rel > RTOL[dtype]
    assert "agree: NO" in str(bad)
    assert bad.agree(rtol=1e-1)  # a small perturbation: loose tolerance accepts it


def test_side_by_side_with_a_loss_and_one_gradient_off():
    rng = _rng(5)
    model = _mlp(rng, np.float64)
    x = rng.standard_normal((9, 10))
    target = rng.integers(0, 3, size=9)
    report = side_by_side(model, x, loss=nn.CrossEntropyLoss(), target=target, device="cpu")
    assert report.agree() and report.loss is not None and report.loss.rel < 1e-12
    # a twin with one logit's bias off by 1e-4 (the same shift on every logit would be invisible
    # to cross-entropy): the loss, the outputs and the gradients of the first layer all differ
    twin = to_torch(model)
    with torch.no_grad():
        twin[4].bias[0] += 1e-4
    bad = side_by_side(model, x, torch_model=twin, loss=nn.CrossEntropyLoss(), target=target)
    assert not bad.agree()
    assert bad.loss.rel > 1e-10 and bad.output_rel > 1e-10
    assert bad.param_grads["0.weight"].rel > 1e-10
    assert "grad 0.weight" in str(bad)


def test_side_by_side_checks_its_arguments():
    rng = _rng()
    model = _mlp(rng, np.float32)
    with pytest.raises(ValueError, match="x: expected dtype float32"):
        side_by_side(model, rng.standard_normal((2, 10)))
    with pytest.raises(ValueError, match="loss, target"):
        side_by_side(model, rng.standard_normal((2, 10)).astype(np.float32), loss=nn.MSELoss())
    with pytest.raises(ValueError, match="repeats"):
        side_by_side(model, rng.standard_normal((2, 10)).astype(np.float32), repeats=0)
    with pytest.raises(ValueError, match="torch_model: expected torch.float32"):
        side_by_side(model, rng.standard_normal((2, 10)).astype(np.float32),
                     torch_model=to_torch(model).double())


def test_printed_report_is_stable_and_timings_apart(capsys):
    rng = _rng(6)
    model = _mlp(rng, np.float64)
    x = rng.standard_normal((5, 10))
    first = side_by_side(model, x, device="cpu", repeats=2)
    second = side_by_side(model, x, device="cpu", repeats=2)
    assert str(first) == str(second)  # the text nbval compares does not carry timings
    assert "< 1e-12" in str(first) and "µs" not in str(first) and "ms" not in str(first)
    assert "NumPy" in first.timing() and "torch (cpu)" in first.timing()
    assert format_error(3.4e-4, 1e-12) == "3e-4" and format_error(0.0, 1e-6) == "< 1e-6"
    assert format_error(float("nan"), 1e-6) == "nan"
    assert format_error(5e-13) == "< 1e-12"   # the default floor

    cnn = _cnn(rng, np.float32)
    agreement_table({"MLP": first, "CNN": side_by_side(cnn, rng.standard_normal((2, 1, 8, 8)).astype(np.float32))})
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["model", "dtype", "output", "input", "grad", "worst", "param/buffer", "agree"]
    assert out[2].startswith("MLP") and "float64" in out[2] and out[2].endswith("yes")
    assert out[3].startswith("CNN") and "float32" in out[3]


# ----------------------------------------------------------------------------- optimisers
OPTIMISERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05),
    "SGD-wd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, weight_decay=1e-2),
    "Momentum": lambda ps: optim.Momentum(ps, lr=0.05, momentum=0.9),
    "Nesterov": lambda ps: optim.Nesterov(ps, lr=0.05, momentum=0.9),
    "AdaGrad": lambda ps: optim.AdaGrad(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.003),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3),
    "LBFGS": lambda ps: optim.LBFGS(ps, lr=0.5, max_iter=4, history_size=5),
}


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_torch_optimizer_like_follows_the_same_path(name):
    # Hyper-parameters and problems where the dynamics do not amplify roundoff: RMSprop with a
    # large lr and small alpha, or fixed-step L-BFGS on a non-convex net, turn 1e-16 differences
    # into 1e-4 within 50 steps (chaotic paths, not a disagreement). L-BFGS gets least squares.
    rng = _rng(7)
    if name == "LBFGS":
        model = nn.Sequential(nn.Linear(3, 2, rng=rng)).astype(np.float64)
    else:
        model = nn.Sequential(nn.Linear(3, 8, rng=rng), nn.Tanh(), nn.Linear(8, 2, rng=rng)).astype(np.float64)
    twin = to_torch(model)
    x = rng.standard_normal((16, 3))
    target = rng.standard_normal((16, 2))
    start = model.state_dict()
    opt = OPTIMISERS[name](model.parameters())
    topt = torch_optimizer_like(opt, twin.parameters())
    loss, tloss = nn.MSELoss(), tnn.MSELoss()
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)

    def closure():
        model.zero_grad()
        value = loss.forward(model.forward(x), target)
        model.backward(loss.backward())
        return value

    def tclosure():
        topt.zero_grad()
        value = tloss(twin(xt), tt)
        value.backward()
        return value

    for _ in range(50):
        if name == "LBFGS":
            opt.step(closure)
            topt.step(tclosure)
        else:
            closure()
            opt.step()
            tclosure()
            topt.step()
    moved = max(relative_error(p.data, start[n]) for n, p in model.named_parameters())
    assert moved > 1e-3  # the test is not vacuous: the parameters travelled
    torch_params = dict(twin.named_parameters())
    for n, p in model.named_parameters():
        assert relative_error(p.data, torch_params[n].detach().numpy()) < 1e-10, n


def test_agreement_is_the_relative_error_as_text():
    a = np.array([3.0, 4.0])
    assert agreement(a, a) == "< 1e-12"
    assert agreement(a, a * (1 + 2e-4)) == "1e-4"          # ||a - b|| / (||a|| + ||b||) ~ 2e-4 / 2
    assert agreement(a, torch.tensor(a, requires_grad=True) * 1.0) == "< 1e-12"   # tensors too
    assert agreement(a, a + 1e-9, floor=1e-6) == "< 1e-6"
    with pytest.raises(ValueError, match="shape"):
        agreement(a, np.ones(3))


def test_torch_optimizer_like_copies_hyper_parameters():
    params = [torch.zeros(3, requires_grad=True)]
    scratch_params = [nn.Parameter(np.zeros(3))]
    sgd = torch_optimizer_like(optim.Nesterov(scratch_params, lr=0.2, momentum=0.7), params)
    group = sgd.param_groups[0]
    assert isinstance(sgd, torch.optim.SGD) and group["nesterov"] and group["momentum"] == 0.7
    adagrad = torch_optimizer_like(optim.AdaGrad(scratch_params, lr=0.3, eps=1e-9), params)
    group = adagrad.param_groups[0]
    assert (group["lr"], group["eps"], group["lr_decay"], group["initial_accumulator_value"]) == (0.3, 1e-9, 0, 0)
    adam = torch_optimizer_like(optim.Adam(scratch_params, betas=(0.5, 0.6)), params)
    assert adam.param_groups[0]["betas"] == (0.5, 0.6)
    lbfgs = torch_optimizer_like(optim.LBFGS(scratch_params, max_iter=7, history_size=3), params)
    group = lbfgs.param_groups[0]
    assert (group["max_iter"], group["history_size"], group["max_eval"]) == (7, 3, 8)


def test_roundoff_level_gradients_are_recognised_not_hidden():
    from dlbook.compare import _mark_roundoff, _difference

    rng = _rng(8)
    model = _cnn(rng, np.float32)  # conv bias right before BatchNorm: exact gradient 0 in training
    report = side_by_side(model, rng.standard_normal((4, 1, 8, 8)).astype(np.float32), device="cpu")
    assert report.param_grads["0.bias"].negligible and report.agree()
    assert "both ~0" in str(report)
    assert not report.param_grads["0.weight"].negligible
    model.eval()  # running statistics: the bias matters now, and is compared as usual
    report = side_by_side(model, rng.standard_normal((4, 1, 8, 8)).astype(np.float32), device="cpu")
    assert not report.param_grads["0.bias"].negligible and report.agree()
    # one side tiny, the other not: a real disagreement, never excused as roundoff
    grads = {"w": np.ones(10), "b": np.full(3, 1e-20)}
    torch_grads = {"w": np.ones(10), "b": np.ones(3)}
    diffs = {n: _difference(grads[n], torch_grads[n]) for n in grads}
    _mark_roundoff(diffs, grads, torch_grads, np.float64)
    assert not diffs["b"].negligible and diffs["b"].rel > 0.5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (runs on Colab / GPU CI)")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_side_by_side_on_cuda(dtype):
    rng = _rng(9)
    model = _cnn(rng, dtype)
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    report = side_by_side(model, rng.standard_normal((4, 1, 8, 8)).astype(dtype), device="cuda", repeats=2)
    assert report.device.startswith("cuda") and report.agree(), str(report)
    # TF32 is switched off only inside side_by_side, then the user's settings come back
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
    twin = to_torch(model, device="cuda")
    assert from_torch(twin).state_dict().keys() == model.state_dict().keys()
