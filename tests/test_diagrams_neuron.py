"""The chapter-1 diagrams draw what they claim: the parts, the labels and the computed numbers."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from dlbook.diagrams import neuron  # noqa: E402


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def arrows(fig):
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_biological_neuron_names_each_part_and_its_model():
    words = " ".join(texts(neuron.biological_neuron()))
    for part in ("dendrites", "synapses", "cell body", "axon", "terminals"):
        assert part in words
    for model in ("weights", "threshold", "output"):
        assert model in words


@pytest.mark.parametrize("n_inputs", [1, 3, 5])
def test_mp_neuron_has_one_weighted_arrow_per_input(n_inputs):
    fig = neuron.threshold_unit("mp", n_inputs=n_inputs)
    labels = texts(fig)
    assert [t for t in labels if t.startswith("$w_")] == [
        f"$w_{i + 1}$" for i in range(n_inputs)]
    # inputs -> sum, sum -> step, step -> output
    assert len(arrows(fig)) == n_inputs + 2
    assert any("theta" in t for t in labels) and "$b$" not in labels


def test_perceptron_adds_a_bias_input_and_the_learning_feedback():
    fig = neuron.threshold_unit("perceptron", n_inputs=2)
    labels = texts(fig)
    assert "$b$" in labels and "$1$" in labels
    assert len(arrows(fig)) == 3 + 2 + 1          # 2 inputs + bias, two links, feedback
    assert any("leftarrow" in t for t in labels)
    assert any("sign" in t for t in labels)


def test_traffic_light_writes_note_003_numbers():
    labels = texts(neuron.traffic_light_neuron([1, 0, 0], [-1, 0, 1], -0.5))
    assert "$z = \N{MINUS SIGN}1.5$" in labels
    assert "stop" in labels and "go" not in labels


def test_traffic_light_says_go_for_green():
    labels = texts(neuron.traffic_light_neuron([0, 0, 1], [-1, 0, 1], -0.5))
    assert "$z = 0.5$" in labels and "go" in labels


@pytest.mark.parametrize("kwargs, argument", [
    (dict(x=[1, 0], w=[-1, 0, 1], b=-0.5), "x"),
    (dict(x=[1, 0, 2], w=[-1, 0, 1], b=-0.5), "x"),
    (dict(x=[1, 0, 0], w=[-1, 0], b=-0.5), "w"),
    (dict(x=[1, 0, 0], w=[-1, 0, 1], b="low"), "b"),
    (dict(x=[1, 0, 0], w=[-1, 0, 1], b=-0.5, lamps=("red", "blue", "green")),
     "lamps"),
])
def test_traffic_light_rejects_bad_input(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        neuron.traffic_light_neuron(**kwargs)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(kind="relu"), "kind"), (dict(n_inputs=0), "n_inputs"),
    (dict(n_inputs=2.5), "n_inputs"), (dict(n_inputs=True), "n_inputs")])
def test_threshold_unit_rejects_bad_input(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        neuron.threshold_unit(**kwargs)


@pytest.mark.parametrize("draw", [
    neuron.biological_neuron, lambda: neuron.threshold_unit("perceptron"),
    lambda: neuron.traffic_light_neuron([1, 0, 0], [-1, 0, 1], -0.5)])
def test_diagrams_fit_the_website_column(draw):
    width, _ = draw().get_size_inches()
    assert width <= 7.0
