"""The momentum / Nesterov vector diagram: computed arrows, labels, bad input."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from dlbook.diagrams.optim import momentum_steps, momentum_vs_nesterov  # noqa: E402
from dlbook.optim.test_functions import Quadratic  # noqa: E402

F = Quadratic(condition=10.0, angle=0.5)


def test_steps_add_up_and_match_the_update_rules():
    theta, v = np.array([-1.0, 0.5]), np.array([0.3, -0.1])
    plain = momentum_steps(F.grad, theta, v, lr=0.05, mu=0.9)
    np.testing.assert_allclose(plain["actual"], 0.9 * v - 0.05 * F.grad(theta))
    ahead = momentum_steps(F.grad, theta, v, lr=0.05, mu=0.9, nesterov=True)
    np.testing.assert_allclose(ahead["gradient"], -0.05 * F.grad(theta + 0.9 * v))
    np.testing.assert_allclose(ahead["actual"], ahead["momentum"] + ahead["gradient"])
    assert not np.allclose(plain["gradient"], ahead["gradient"])


def test_figure_has_two_panels_with_three_arrows_each_and_labels():
    fig = momentum_vs_nesterov(F.grad, (-1.0, 0.5), (0.3, -0.1), lr=0.05)
    try:
        assert len(fig.axes) == 2
        for ax, name in zip(fig.axes, ("Momentum", "Nesterov")):
            arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
            assert len(arrows) == 3
            texts = " ".join(t.get_text() for t in ax.texts)
            assert "momentum step" in texts and "actual step" in texts
            assert ax.get_title() == f"{name} update"
        assert "look-ahead" in " ".join(t.get_text() for t in fig.axes[1].texts)
        assert fig.get_size_inches()[0] <= 7.5
    finally:
        plt.close(fig)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(theta=(1.0, 2.0, 3.0)), "theta"), (dict(velocity=(np.nan, 0.0)), "velocity"),
    (dict(lr=0.0), "lr"), (dict(mu=1.0), "mu"), (dict(mu=-0.1), "mu")])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, argument):
    args = dict(theta=(0.0, 1.0), velocity=(0.1, 0.1), lr=0.1, mu=0.9) | kwargs
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        momentum_steps(F.grad, **args)
