"""The backpropagation diagrams: what they draw, and that bad input is refused."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

from dlbook.diagrams.graphs import backprop_layers, shopping_graph  # noqa: E402

INPUTS = {"apple price": 10, "apple count": 2, "orange price": 15, "orange count": 3,
          "tax": 1.1}
VALUES = {"apple total": 20, "orange total": 45, "subtotal": 65, "pay": 71.5,
          "dL/dsubtotal": 1.1, "dL/dtax": 65, "dL/dapple total": 1.1,
          "dL/dorange total": 1.1, "dL/dapple price": 2.2, "dL/dapple count": 11.0,
          "dL/dorange price": 3.3000000000000003, "dL/dorange count": 16.5}


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_shopping_graph_draws_four_operations_nine_edges_and_both_passes():
    fig = shopping_graph(INPUTS, VALUES)
    ax = fig.axes[0]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 4
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 9
    words = texts(fig)
    for number in ("71.5", "65", "2.2", "3.3", "16.5", "11", "1.1"):
        assert number in words, number
    assert "3.3000000000000003" not in words     # rounded to 4 significant digits
    plt.close(fig)


def test_shopping_graph_refuses_missing_values():
    values = dict(VALUES)
    del values["dL/dtax"]
    with pytest.raises(ValueError, match="dL/dtax"):
        shopping_graph(INPUTS, values)
    with pytest.raises(ValueError, match="apple price"):
        shopping_graph({**INPUTS, "apple price": "ten"}, VALUES)


@pytest.mark.parametrize("sizes", [[784, 15, 10], [6, 8, 7, 3]])
def test_backprop_layers_one_affine_box_and_gradient_per_layer(sizes):
    fig = backprop_layers(sizes)
    n_layers = len(sizes) - 1
    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 2 * n_layers           # affine boxes, activations, loss
    words = " ".join(texts(fig))
    for layer in range(1, n_layers + 1):
        assert f"W^{{({layer})}}" in words and f"\\delta^{{({layer})}}" in words
        assert f"{sizes[layer]}×{sizes[layer - 1]}" in words
    assert "\\hat Y - Y" in words
    plt.close(fig)


def test_backprop_layers_mse_head_and_bad_input():
    fig = backprop_layers([4, 3, 2], loss="mse")
    assert "squared" in " ".join(texts(fig))
    plt.close(fig)
    for bad in ([784], [784, 0, 10], [1, 2, 3, 4, 5], "784-15-10", [784, 15.0, 10]):
        with pytest.raises(ValueError, match="sizes"):
            backprop_layers(bad)
    with pytest.raises(ValueError, match="loss"):
        backprop_layers([4, 3, 2], loss="hinge")


def test_backprop_layers_batch_signal_symbol():
    fig = backprop_layers([784, 15, 10], signal="\\Delta")
    words = " ".join(texts(fig))
    assert "\\Delta^{(1)}" in words and "\\Delta^{(2)\\top} A^{(1)}" in words
    assert "\\delta^{(1)}$" not in words          # arrows carry Delta now
    plt.close(fig)
    with pytest.raises(ValueError, match="signal"):
        backprop_layers([4, 3, 2], signal="d")
