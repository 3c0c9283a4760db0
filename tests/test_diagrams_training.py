"""The chapter-4 diagrams: what they draw, and that bad arguments are refused."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from dlbook.diagrams import training  # noqa: E402


def texts(fig):
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [ax.get_title() for ax in fig.axes]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return out


def test_dropout_panels_nodes_and_dropped_units():
    layers = (3, 5, 5, 2)
    fig = training.dropout_thinned_networks(p=0.5, samples=3, seed=1, layers=layers)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        circles = [p for p in ax.patches if isinstance(p, Circle)]
        assert len(circles) == sum(layers)
    full = fig.axes[0]
    # the full network draws every connection and crosses nothing out
    assert len(full.lines) == 3 * 5 + 5 * 5 + 5 * 2
    thinned = fig.axes[1:]
    crosses = [sum(1 for l in ax.lines if l.get_linewidth() == 1.4) // 2 for ax in thinned]
    assert sum(crosses) > 0, "with p = 0.5 some hidden unit should be dropped"
    for ax, dropped in zip(thinned, crosses):
        assert len(ax.lines) - 2 * dropped < len(full.lines) or dropped == 0
    assert any("thinned" in t for t in texts(fig))
    plt.close(fig)


def test_dropout_p_zero_drops_nothing():
    fig = training.dropout_thinned_networks(p=0.0, samples=2, seed=0)
    n_full = len(fig.axes[0].lines)
    assert all(len(ax.lines) == n_full for ax in fig.axes)
    plt.close(fig)


@pytest.mark.parametrize("kwargs, name", [
    (dict(p=1.0), "p"), (dict(p=-0.1), "p"), (dict(p="0.5"), "p"),
    (dict(samples=0), "samples"), (dict(samples=5), "samples"), (dict(samples=2.0), "samples"),
    (dict(layers=(3, 4)), "layers"), (dict(layers=(3, 12, 2)), "layers"),
    (dict(layers="abc"), "layers"),
])
def test_dropout_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        training.dropout_thinned_networks(**kwargs)


def test_residual_block_has_branch_shortcut_and_sum():
    fig = training.residual_block()
    t = texts(fig)
    assert sum("Linear" in s for s in t) == 2
    assert sum(s == "ReLU" for s in t) == 2
    assert "+" in t and any("identity" in s for s in t)
    assert any(isinstance(p, Circle) for p in fig.axes[0].patches)
    plt.close(fig)


def test_batchnorm_flow_shows_statistics_parameters_and_running_averages():
    fig = training.batchnorm_flow()
    t = " ".join(texts(fig))
    for piece in (r"\mu, \sigma^2", r"\gamma, \beta", "running", r"\hat x_i", "$x_m$"):
        assert piece in t
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
