"""dlbook.widgets and dlbook.plotting: knob grids, precomputed frames, the static and live views,
and the divergence convention. The browser side of the static slider is in test_site.py."""
import base64
import io
import json
import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from dlbook import plotting, widgets  # noqa: E402
from dlbook.widgets import Choice, FloatSlider, IntSlider, LogSlider, slider_figure  # noqa: E402


def draw_line(lr, depth=1):
    """A figure that visibly depends on both knobs."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    x = np.linspace(0, 1, 20)
    ax.plot(x, lr * x**depth)
    ax.set_title(f"lr={lr:.3g} depth={depth}")
    return fig


@pytest.fixture(autouse=True)
def no_leftover_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a helper left a pyplot figure open"


def data_of(html):
    return json.loads(re.search(r'<script type="application/json" class="dlbook-slider-data">(.*?)</script>',
                                html, re.S).group(1))


# ------------------------------------------------------------------------------------- knobs
def test_log_slider_grid_is_geometric_and_hits_the_ends():
    k = LogSlider(1e-3, 10, default=0.1, steps=9)
    assert k.values[0] == 1e-3 and k.values[-1] == 10.0
    ratios = np.array(k.values[1:]) / np.array(k.values[:-1])
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert k.default == 0.1  # exactly, not 0.10000000000000002
    assert k.labels[k.default_index] == "0.1"


def test_log_slider_default_snaps_in_log_space():
    k = LogSlider(1, 100, default=9, steps=3)  # grid 1, 10, 100: 9 is nearer 10 in log scale
    assert k.default == 10.0
    assert LogSlider(1, 100, steps=3).default == 10.0  # no default: the middle


def test_log_slider_snaps_by_ratio_not_by_difference():
    knob = LogSlider(1, 100, steps=3)  # grid 1, 10, 100
    # 4 is 4.0x above 1 and 2.5x below 10: by ratio the nearest is 10; by difference it is 1
    # (3 away from 1, 6 away from 10). 40 is 2.5x from 100 and 4x from 10: 100 by ratio, 10 by
    # difference (30 vs 60).
    assert knob.snap(4) == 10.0 and knob.snap(40) == 100.0
    assert LogSlider(1, 100, default=4, steps=3).default == 10.0


def test_grids_too_large_or_degenerate_are_refused_before_they_are_built():
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="IntSlider: expected at most 1000 values"):
        IntSlider(0, 10**9)
    with pytest.raises(ValueError, match="LogSlider steps: expected at most 1000 values"):
        LogSlider(1e-3, 1, steps=10**9)
    with pytest.raises(ValueError, match="FloatSlider steps: expected at most 1000 values"):
        FloatSlider(0, 1, steps=10**9)
    assert time.perf_counter() - start < 1.0  # refused up front, not after building the grid
    with pytest.raises(ValueError, match="FloatSlider: low and high are too close"):
        FloatSlider(1, 1 + 1e-13)
    with pytest.raises(ValueError, match="LogSlider: low and high are too close"):
        LogSlider(1, 1 + 1e-13)


def test_continuous_update_must_be_a_bool():
    with pytest.raises(ValueError, match="continuous_update: expected True or False, got 'no'"):
        slider_figure(draw_line, lr=LogSlider(0.1, 1, steps=2), continuous_update="no")


def test_int_and_float_and_choice_grids():
    assert IntSlider(1, 8, default=3).values == tuple(range(1, 9))
    assert IntSlider(1, 8, default=3).default == 3
    assert IntSlider(2, 10, step=4).values == (2, 6, 10)
    f = FloatSlider(0, 1, default=0.3, steps=11)
    assert f.values[3] == 0.3 and f.default == 0.3
    c = Choice(["sigmoid", "relu"], default="relu")
    assert c.default == "relu" and c.labels == ("sigmoid", "relu")
    assert c.snap("sigmoid") == "sigmoid"


@pytest.mark.parametrize("make, message", [
    (lambda: LogSlider(0, 1), "LogSlider low"),
    (lambda: LogSlider(1, 0.5), "low < high"),
    (lambda: LogSlider(1e-3, 1, steps=1), "steps"),
    (lambda: LogSlider(1e-3, 1, default=5), "default"),
    (lambda: LogSlider(1e-3, float("inf")), "finite"),
    (lambda: IntSlider(1.5, 4), "IntSlider low"),
    (lambda: IntSlider(1, 8, default=2.5), "IntSlider default"),
    (lambda: IntSlider(1, 8, step=3), "divisor"),
    (lambda: FloatSlider(0, 1, steps=True), "steps"),
    (lambda: Choice(["relu"]), "at least two"),
    (lambda: Choice(["a", "b"], default="c"), "Choice default"),
    (lambda: LogSlider(1e-3, 1, label=""), "label"),
])
def test_bad_knobs_raise_value_errors_that_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_snap_maps_live_slider_noise_to_grid_values():
    k = LogSlider(1e-2, 1, steps=3)
    assert k.snap(0.10000000000000002) == 0.1
    assert IntSlider(1, 4).snap(2.0) == 2 and isinstance(IntSlider(1, 4).snap(2.0), int)


# ------------------------------------------------------------------------------------- frames
def test_one_frame_per_grid_point_in_row_major_order():
    calls = []

    def draw(lr, depth):
        calls.append((lr, depth))
        return draw_line(lr, depth)

    sf = slider_figure(draw, lr=LogSlider(0.1, 10, default=1, steps=3), depth=IntSlider(1, 2, default=2))
    frames = sf.frames
    assert len(frames) == sf.n_frames == 6
    assert calls == [(0.1, 1), (0.1, 2), (1.0, 1), (1.0, 2), (10.0, 1), (10.0, 2)]
    assert sf.default_index == 3 and sf.grid()[3] == {"lr": 1.0, "depth": 2}
    sizes = {Image.open(io.BytesIO(f)).size for f in frames}
    assert len(sizes) == 1, "every frame must have the same size, or the page jumps while scrubbing"
    assert len(set(frames)) == 6, "different knob values drew identical frames"
    sf.frames  # cached: draw is not called again
    assert len(calls) == 6


def test_frames_are_byte_identical_across_runs_and_carry_no_metadata():
    knobs = dict(lr=LogSlider(0.1, 10, steps=3))
    a = slider_figure(draw_line, **knobs).frames
    b = slider_figure(draw_line, **knobs).frames
    assert a == b
    for png in a:
        assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_frame_dpi_sets_the_frame_size():
    small = slider_figure(draw_line, frame_dpi=40, lr=LogSlider(0.1, 1, steps=2)).frames[0]
    large = slider_figure(draw_line, frame_dpi=80, lr=LogSlider(0.1, 1, steps=2)).frames[0]
    assert widgets.png_size(small) == (80, 60) and widgets.png_size(large) == (160, 120)


def test_frames_too_wide_for_the_column_are_refused():
    def wide(n):
        fig, ax = plt.subplots(figsize=(9, 2))
        ax.plot(range(n))
        return fig

    with pytest.raises(ValueError, match=r"draw: the frame .* 900 px wide .* at most 7.6 inches"):
        slider_figure(wide, n=IntSlider(2, 3)).frames
    assert len(slider_figure(draw_line, lr=LogSlider(0.1, 1, steps=2)).frames) == 2


def test_preview_draws_once_and_shows_the_default_frame():
    calls = []

    def counted(lr):
        calls.append(lr)
        return draw_line(lr)

    sf = slider_figure(counted, lr=LogSlider(0.1, 10, default=1, steps=3))
    html = sf.preview_html()
    assert calls == [1.0]
    assert html.startswith('<img class="dlbook-slider-frame"') and 'alt="lr = 1"' in html


def test_grid_over_max_frames_is_refused_before_drawing():
    def draw(lr, depth):
        raise AssertionError("draw must not run for a refused grid")

    with pytest.raises(ValueError, match="max_frames"):
        slider_figure(draw, max_frames=50, lr=LogSlider(1e-3, 1, steps=10), depth=IntSlider(1, 8))


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=0.1), "expected a knob"),
    (dict(), "at least one knob"),
    (dict(lr=LogSlider(0.1, 1), frame_dpi=5), "frame_dpi"),
])
def test_bad_slider_figure_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        slider_figure(draw_line, **kwargs)


def test_draw_must_return_a_figure():
    def draw(lr):
        plt.plot([lr])

    sf = slider_figure(draw, lr=LogSlider(0.1, 1, steps=2))
    with pytest.raises(ValueError, match="return fig"):
        sf.frames
    plt.close("all")


# ------------------------------------------------------------------------------------- static view
def test_static_html_is_deterministic_and_self_contained():
    knobs = dict(lr=LogSlider(0.01, 1, default=0.1, steps=5, label="learning rate"), depth=IntSlider(1, 3, default=2))
    html = slider_figure(draw_line, **knobs).html()
    assert html == slider_figure(draw_line, **knobs).html()
    assert "id=" not in html, "ids would have to be unique per page; the slider finds itself by class"
    assert "http" not in html, "the static slider must not load anything"
    data = data_of(html)
    assert [k["name"] for k in data["knobs"]] == ["learning rate", "depth"]
    assert data["knobs"][0]["labels"] == ["0.01", "0.0316", "0.1", "0.316", "1"]
    assert len(data["frames"]) == 15
    # The default frame is shown before any script runs, and matches the data's default entry.
    default = re.search(r'<img class="dlbook-slider-frame" src="data:image/png;base64,([^"]+)"', html).group(1)
    assert default == data["frames"][2 * 3 + 1]
    assert 'alt="learning rate = 0.1, depth = 2"' in html
    inputs = re.findall(r'<input class="dlbook-slider-input" type="range" min="0" max="(\d+)" step="1" value="(\d+)"', html)
    assert inputs == [("4", "2"), ("2", "1")]
    base64.b64decode(default, validate=True)


def test_sanitize_rules_hide_pixels_but_keep_the_slider_structure():
    import configparser
    from pathlib import Path

    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parent.parent / "book" / "nbval_sanitize.cfg")

    def sanitize(text):
        for section in cfg.sections():
            text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
        return text

    a = slider_figure(draw_line, lr=LogSlider(0.1, 1, steps=2)).html()
    b = slider_figure(lambda lr: draw_line(2 * lr), lr=LogSlider(0.1, 1, steps=2)).html()
    assert a != b and sanitize(a) == sanitize(b)  # other pixels: same after sanitising
    c = slider_figure(draw_line, lr=LogSlider(0.1, 1, steps=3)).html()
    assert sanitize(a) != sanitize(c)  # another grid: still a difference nbval sees
    assert "<PNG>" in sanitize(a) and "iVBOR" not in sanitize(a)


def test_mimebundle_outside_a_kernel_is_static_only(monkeypatch):
    monkeypatch.delenv(widgets.MODE_ENV, raising=False)
    sf = slider_figure(draw_line, lr=LogSlider(0.1, 1, default=0.1, steps=2))
    bundle = sf._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == "<slider figure draw_line: lr in 0.1..1 (2 values, default 0.1); 2 frames>"


def test_mode_switch_is_validated(monkeypatch):
    monkeypatch.setenv(widgets.MODE_ENV, "sometimes")
    with pytest.raises(ValueError, match=widgets.MODE_ENV):
        widgets.live_kernel()
    monkeypatch.setenv(widgets.MODE_ENV, "static")
    assert widgets.live_kernel() is False


# ------------------------------------------------------------------------------------- live view
def test_live_widget_uses_core_sliders_and_redraws_on_change():
    ipywidgets = pytest.importorskip("ipywidgets")
    calls = []

    def draw(lr, depth):
        calls.append((lr, depth))
        return draw_line(lr, depth)

    sf = slider_figure(draw, lr=LogSlider(1e-3, 10, default=0.1, steps=5), depth=IntSlider(1, 8, default=3))
    box = sf.widget()
    controls, out = box.children
    lr_w, depth_w = controls.children
    assert isinstance(lr_w, ipywidgets.FloatLogSlider) and isinstance(depth_w, ipywidgets.IntSlider)
    assert math.isclose(lr_w.value, 0.1) and depth_w.value == 3
    assert isinstance(out, ipywidgets.Output)
    # The first frame is in the Output's state (not printed during the cell), as a PNG.
    (first,) = out.outputs
    assert first["data"]["image/png"] and calls == [(0.1, 3)]
    # Moving a slider calls draw with grid values (snapped), and closes the figure afterwards.
    depth_w.value = 5
    lr_w.value = 10 ** -0.99999  # FloatLogSlider noise: snaps to the grid value 0.1
    assert calls[1:] == [(0.1, 5), (0.1, 5)]
    lr_w.value = 1.0
    assert calls[-1] == (1.0, 5)
    assert sf.widget() is box
    box.close_all()


def test_choice_is_a_dropdown_live():
    ipywidgets = pytest.importorskip("ipywidgets")
    sf = slider_figure(lambda act: draw_line(1.0 if act == "relu" else 0.5), act=Choice(["sigmoid", "relu"]))
    (dropdown,) = sf.widget().children[0].children
    assert isinstance(dropdown, ipywidgets.Dropdown) and dropdown.value == "sigmoid"
    sf.widget().close_all()


# ------------------------------------------------------------------------------------- plotting
def test_first_divergence():
    assert plotting.first_divergence([3, 2, 1]) is None
    assert plotting.first_divergence([1, 10, np.nan, 5]) == 2
    assert plotting.first_divergence([1, np.inf]) == 1
    assert plotting.first_divergence([1, 2e6, 3]) == 1
    assert plotting.first_divergence([1, 50, 3], threshold=10) == 1
    with pytest.raises(ValueError, match="threshold"):
        plotting.first_divergence([1], threshold=-1)


def test_loss_curve_stops_at_divergence_and_says_so():
    plotting.use_book_style()
    fig, ax = plt.subplots()
    losses = np.array([1.0, 2.0, 8.0, 1e9, np.nan, np.nan])
    k = plotting.loss_curve(ax, losses, log=True)
    assert k == 3
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0, 8.0])
    assert [t.get_text() for t in ax.texts] == ["diverged at step 3"]
    assert ax.get_yscale() == "log"
    plt.close(fig)


def test_loss_curve_of_a_run_that_diverges_at_once_is_not_empty():
    fig, ax = plt.subplots()
    assert plotting.loss_curve(ax, [np.inf, np.inf], steps=[10, 20]) == 10
    assert [t.get_text() for t in ax.texts] == ["diverged at step 10"]
    plt.close(fig)


def test_labels_of_several_diverged_runs_are_stacked_not_overlaid():
    fig, ax = plt.subplots()
    plotting.loss_curve(ax, [1.0, np.inf], label="SGD")
    plotting.loss_curve(ax, [1.0, 2.0, 3.0], label="Adam")            # finite: no label
    plotting.loss_curve(ax, [1.0, 2.0, np.nan], label="Momentum")
    plotting.mark_divergence(ax, [np.inf])                            # unnamed
    texts = [t for t in ax.texts if t.get_gid() == plotting.DIVERGENCE_GID]
    assert [t.get_text() for t in texts] == ["SGD: diverged at step 1", "Momentum: diverged at step 2",
                                             "diverged at step 0"]
    heights = [t.get_position()[1] for t in texts]
    assert heights == sorted(heights, reverse=True) and len(set(heights)) == 3
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    plt.close(fig)


def test_loss_curve_of_a_finite_run_has_no_label_and_checks_its_steps():
    fig, ax = plt.subplots()
    assert plotting.loss_curve(ax, [3.0, 2.0, 1.0], label="numpy") is None
    assert len(ax.texts) == 0 and ax.get_legend() is not None
    with pytest.raises(ValueError, match="steps"):
        plotting.loss_curve(ax, [3.0, 2.0], steps=[0, 1, 2])
    with pytest.raises(ValueError, match="losses"):
        plotting.loss_curve(ax, [])
    plt.close(fig)


def test_path_2d_and_contour():
    fig, ax = plt.subplots()
    cs = plotting.contour(ax, lambda x, y: x**2 + 10 * y**2, (-2, 2), (-1, 1), levels=10,
                          log_levels=True)
    levels = np.asarray(cs.levels)
    assert len(levels) == 10 and levels.max() == pytest.approx(4 + 10)  # f's largest value
    np.testing.assert_allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))  # geometric
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1)
    pts = np.array([[1.0, 1.0], [-2.0, -3.0], [4e6, 1.0], [np.nan, np.nan]])
    assert plotting.path_2d(ax, pts, label="GD") == 2
    assert "GD: diverged at step 2" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="points"):
        plotting.path_2d(ax, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="xlim"):
        plotting.contour(ax, lambda x, y: x, (1, 0), (0, 1))
    plt.close(fig)


def test_show_images_accepts_torch_layout():
    fig = plotting.show_images(np.zeros((5, 1, 4, 4)), ncols=3, titles=list("abcde"))
    assert len(fig.axes) == 6 and fig.axes[4].get_title() == "e"
    plt.close(fig)
    with pytest.raises(ValueError, match="titles"):
        plotting.show_images(np.zeros((2, 4, 4)), titles=["a"])


def test_use_book_style_sets_the_look():
    plotting.use_book_style()
    assert matplotlib.rcParams["axes.grid"] is True
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in colours] == [c.lower() for c in plotting.PALETTE]


# ------------------------------------------------------------------------------------- in a real kernel
def test_in_a_live_kernel_one_output_then_redraws_on_slider_moves():
    """What Jupyter, Colab and nbval see: the cell sends exactly one output (widget view + static
    frames + text), nothing on the side; a slider move from the frontend redraws through plt.show()."""
    import os

    # Not PYTEST_CURRENT_TEST either: a kernel that inherits it runs static, as under nbval.
    env = {k: v for k, v in os.environ.items()
           if k not in (widgets.MODE_ENV, "MPLBACKEND", "PYTEST_CURRENT_TEST")}
    km, kc = _start_kernel(env)
    try:
        code = ("import matplotlib.pyplot as plt\n"
                "from dlbook.widgets import slider_figure, IntSlider\n"
                "def draw(n):\n    fig, ax = plt.subplots(figsize=(2, 1.5))\n    ax.plot(range(n))\n    return fig\n"
                "slider_figure(draw, n=IntSlider(2, 6, default=3))")
        msgs = _run(kc, kc.execute(code))
        outputs = [m for m in msgs if m["msg_type"] in ("display_data", "execute_result", "stream", "clear_output", "error")]
        assert [m["msg_type"] for m in outputs] == ["execute_result"], [(m["msg_type"], m["content"]) for m in outputs]
        data = outputs[0]["content"]["data"]
        assert set(data) == {"text/plain", "text/html", widgets.WIDGET_VIEW_MIME}
        # A live kernel draws the default frame only, not the whole grid of static frames.
        assert "dlbook-slider-data" not in data["text/html"]
        assert data["text/html"].count("data:image/png;base64,") == 1
        opened = {m["content"]["comm_id"]: m["content"]["data"]["state"] for m in msgs if m["msg_type"] == "comm_open"}
        slider_id = next(cid for cid, state in opened.items() if state.get("_model_name") == "IntSliderModel")
        assert opened[slider_id]["value"] == 3 and opened[slider_id]["min"] == 2

        # The frontend moves the slider to 5: the kernel redraws into the Output widget.
        move = kc.session.msg("comm_msg", {"comm_id": slider_id,
                                           "data": {"method": "update", "state": {"value": 5}, "buffer_paths": []}})
        kc.shell_channel.send(move)
        redraw = _run(kc, move["header"]["msg_id"])
        kinds = [m["msg_type"] for m in redraw if m["msg_type"] in ("display_data", "clear_output", "error", "stream")]
        assert kinds == ["clear_output", "display_data"], [(m["msg_type"], m["content"]) for m in redraw]
        shown = next(m for m in redraw if m["msg_type"] == "display_data")["content"]["data"]
        assert "image/png" in shown
        left_open = _run(kc, kc.execute("print(len(plt.get_fignums()))"))
        assert [m["content"]["text"] for m in left_open if m["msg_type"] == "stream"] == ["0\n"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _start_kernel(env):
    from dlbook.execute import kernel_manager

    km = kernel_manager()
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc


def _run(kc, msg_id, timeout=120):
    """Every iopub message caused by request ``msg_id``, up to the kernel going idle."""
    msgs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return msgs
        msgs.append(msg)
