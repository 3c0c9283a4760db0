"""Chapter 2's diagrams draw the network they are given: one unit per drawn neuron, one line per
weight between drawn units, the parameter counts of eq. (eq-param-count) as labels, and a clear
error for sizes that do not describe a network."""
import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch  # noqa: E402

from dlbook.diagrams.mlp import (batch_forward_shapes, feedforward_network,  # noqa: E402
                                 layer_parameter_counts, one_hidden_layer_network)


def _circles(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, Circle)]


def _edges(fig):
    return [line for line in fig.axes[0].lines if line.get_gid() == "edge"]


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_parameter_counts_follow_the_formula():
    assert layer_parameter_counts([3, 4, 4, 2]) == [16, 20, 10]
    assert sum(layer_parameter_counts([784, 15, 10])) == 11_935


def test_a_small_network_draws_every_unit_and_every_weight():
    fig = feedforward_network([3, 4, 4, 2])
    assert len(_circles(fig)) == 3 + 4 + 4 + 2
    assert len(_edges(fig)) == 3 * 4 + 4 * 4 + 4 * 2
    texts = " ".join(_texts(fig))
    assert "= 16" in texts and "= 20" in texts and "= 10" in texts
    assert "46 parameters" in fig.axes[0].get_title()
    plt.close(fig)


def test_a_wide_layer_is_elided_but_its_true_width_is_printed():
    fig = feedforward_network([784, 15, 10], max_drawn=6)
    assert len(_circles(fig)) == 6 + 6 + 6 - 3          # one slot per wide layer is the ellipsis
    assert len(_edges(fig)) == 5 * 5 + 5 * 5
    texts = " ".join(_texts(fig))
    assert "784" in texts and "11,775" in texts and "11,935 parameters" in fig.axes[0].get_title()
    plt.close(fig)


def test_the_approximation_network_names_its_output_weights():
    fig = one_hidden_layer_network(inputs=2, hidden=4)
    texts = _texts(fig)
    assert {"$c_{1}$", "$c_{2}$", "$c_{3}$", "$c_{M}$"} <= set(texts)
    assert len(_circles(fig)) == 2 + 4 + 1
    assert len(_edges(fig)) == 2 * 4 + 4
    plt.close(fig)


def test_the_shapes_diagram_prints_every_matrix_shape():
    fig = batch_forward_shapes([3, 4, 2], batch=6)
    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 3 + 2                            # activations and weight matrices
    texts = " ".join(_texts(fig))
    for shape in ("6×3", "3×4", "6×4", "4×2", "6×2"):
        assert shape in texts
    plt.close(fig)


@pytest.mark.parametrize("sizes", [[3], [3, 0, 2], [3, 2.5, 1], "342", 7, [True, 2]])
def test_sizes_that_are_not_a_network_raise(sizes):
    with pytest.raises(ValueError, match="sizes"):
        feedforward_network(sizes)


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="max_drawn"):
        feedforward_network([3, 2], max_drawn=2)
    with pytest.raises(ValueError, match="hidden"):
        one_hidden_layer_network(inputs=2, hidden=0)
    with pytest.raises(ValueError, match="batch"):
        batch_forward_shapes([3, 2], batch=-1)
