"""Learning-rate schedules: the same lr sequence as torch.optim.lr_scheduler, epoch by epoch."""
import numpy as np
import pytest
import torch

from dlbook.nn import Parameter
from dlbook.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, StepLR
from dlbook.optim.test_functions import Quadratic

from conftest import lr_sequences, start_pair, step_both_on_function

EPOCHS = 30

# (our scheduler, torch's scheduler, keyword arguments shared by both)
SCHEDULES = [
    (StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=7)),
    (StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=3, gamma=0.5)),
    (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, dict(gamma=0.9)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=30)),
    (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=10, eta_min=0.01)),
]
IDS = [f"{ours.__name__}-{kw}" for ours, _, kw in SCHEDULES]


@pytest.mark.parametrize("ours, theirs, kwargs", SCHEDULES, ids=IDS)
def test_lr_sequence_matches_torch(ours, theirs, kwargs):
    seq, seq_t = lr_sequences(ours, theirs, kwargs, EPOCHS)
    assert seq[0] == 0.1 and len(np.unique(seq)) > 2, "the schedule must change the rate"
    np.testing.assert_allclose(seq, seq_t, rtol=1e-12, atol=1e-15)


def test_cosine_reaches_eta_min_at_t_max_and_climbs_back():
    seq, _ = lr_sequences(CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
                          dict(T_max=10, eta_min=0.01), EPOCHS)
    assert seq[10] == pytest.approx(0.01, abs=1e-15)
    assert seq[20] == pytest.approx(0.1, abs=1e-15)
    assert np.all(np.diff(seq[:11]) < 0) and np.all(np.diff(seq[10:21]) > 0)


def test_scheduled_training_follows_torch():
    """SGD with StepLR, then Adam with cosine annealing, on the ill-conditioned quadratic."""
    f = Quadratic(condition=10.0, angle=0.5)
    for make, make_t, sched_kwargs, lr in [
        (SGD, torch.optim.SGD, ("StepLR", dict(step_size=5, gamma=0.5)), 0.15),
        (Adam, torch.optim.Adam, ("CosineAnnealingLR", dict(T_max=20)), 0.3),
    ]:
        name, kwargs = sched_kwargs
        p, x_t = start_pair(f)
        opt, opt_t = make([p], lr=lr), make_t([x_t], lr=lr)
        sched = {"StepLR": StepLR, "CosineAnnealingLR": CosineAnnealingLR}[name](opt, **kwargs)
        sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
        for _ in range(EPOCHS):
            step_both_on_function(f, p, x_t, opt, opt_t)
            sched.step()
            sched_t.step()
            np.testing.assert_allclose(p.data, x_t.detach().numpy(), rtol=1e-12, atol=1e-15)
        assert opt.lr < lr


@pytest.mark.parametrize("make, argument", [
    (lambda o: StepLR(o, step_size=0), "step_size"),
    (lambda o: StepLR(o, step_size=2.5), "step_size"),
    (lambda o: StepLR(o, step_size=2, gamma=0.0), "gamma"),
    (lambda o: ExponentialLR(o, gamma=-0.5), "gamma"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1.0), "eta_min"),
    (lambda o: StepLR(object(), step_size=2), "optimizer"),
])
def test_bad_arguments_raise_value_error_naming_the_argument(make, argument):
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        make(opt)
