"""dlbook.diagrams.cnn: what the convolution diagrams draw, and bad input."""
import matplotlib
import numpy as np
import pytest

from dlbook.diagrams import cnn

matplotlib.use("Agg")

X = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
K = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize("padding, stride, count", [(0, 1, 4), (1, 1, 16), (1, 2, 4),
                                                    (0, 2, 1), (2, 3, 4)])
def test_window_positions_count_matches_the_output_size(padding, stride, count):
    assert len(cnn.window_positions((4, 4), (3, 3), padding, stride)) == count


def test_convolution_step_fills_note_004s_output_in_order():
    fig = cnn.convolution_step(X, K, step=3)
    t = texts(fig)
    # the title names the third of four positions and its value, note 004's 6
    assert any("position 3 of 4" in s and "output[1, 0] = 6" in s for s in t)
    assert "15" in t and "16" in t and "6" in t        # filled output cells
    assert any("products, sum 6" in s for s in t)
    close(fig)


def test_convolution_step_past_the_end_shows_the_finished_output():
    fig = cnn.convolution_step(X, K, step=16, padding=0, stride=1)
    assert any("position 4 of 4" in s for s in texts(fig))
    close(fig)


def test_convolution_step_with_padding_draws_the_zero_ring():
    fig = cnn.convolution_step(X, K, step=1, padding=1)
    # 6 x 6 padded input + 3 x 3 kernel + 3 x 3 products + 4 x 4 output cells
    rects = [p for p in fig.axes[0].patches if type(p).__name__ == "Rectangle"]
    veils = [p for p in rects if p.get_alpha() == 0.55]
    assert len(veils) == 6 * 6 - 4 * 4
    assert len(rects) - len(veils) == 36 + 9 + 9 + 16
    close(fig)


@pytest.mark.parametrize("kwargs", [dict(step=0), dict(step=1, stride=0),
                                    dict(step=1, padding=-1), dict(step=1.5)])
def test_convolution_step_rejects_bad_knobs(kwargs):
    with pytest.raises(ValueError):
        cnn.convolution_step(X, K, **kwargs)


def test_convolution_step_rejects_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="kernel"):
        cnn.convolution_step(X[:2, :2], K, step=1)


def test_pooling_windows_boxes_each_maximum_and_prints_both_outputs():
    x = np.array([[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]])
    fig = cnn.pooling_windows(x)
    t = texts(fig)
    for value in ("2.25", "1.5"):                      # average pooling of note 004
        assert value in t
    boxed = [p for p in fig.axes[0].patches if not p.get_fill()]
    assert len(boxed) == 4
    close(fig)
    with pytest.raises(ValueError, match="size"):
        cnn.pooling_windows(x, size=3)


def test_multichannel_convolution_draws_one_output_map_per_filter():
    fig = cnn.multichannel_convolution(in_channels=3, filters=2)
    t = texts(fig)
    assert [s for s in t if s.startswith("map ")] == ["map 0", "map 1"]
    assert any("output 2" in s for s in t)
    close(fig)
    with pytest.raises(ValueError):
        cnn.multichannel_convolution(in_channels=0)


def test_lenet_and_blocks_label_their_parts():
    fig = cnn.lenet_architecture()
    assert {"6@28×28", "16@5×5", "120", "84", "10"} <= set(texts(fig))
    close(fig)
    fig = cnn.inception_module((64, 96, 128, 16, 32, 32))
    t = texts(fig)
    assert "5×5 conv\n32 ch" in t and "concatenate along channels" in t
    close(fig)
    with pytest.raises(ValueError, match="widths"):
        cnn.inception_module((1, 2, 3))
    fig = cnn.residual_block()
    assert "F(x) + x" in texts(fig)
    close(fig)


def test_layout_padding_gives_every_frame_the_same_size():
    sizes = set()
    for padding in (0, 1):
        for stride in (1, 2):
            fig = cnn.convolution_step(X, K, 2, padding, stride, layout_padding=1)
            sizes.add(tuple(fig.get_size_inches().round(6)))
            close(fig)
    assert len(sizes) == 1
    with pytest.raises(ValueError, match="layout_padding"):
        cnn.convolution_step(X, K, 1, padding=1, layout_padding=0)
