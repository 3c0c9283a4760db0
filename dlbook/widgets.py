"""Sliders that work everywhere: live in Jupyter and Colab, precomputed on the static website.

One helper, :func:`slider_figure`, turns a pure function of some knobs into a figure with sliders::

    from dlbook.widgets import slider_figure, LogSlider, IntSlider

    def draw(lr, depth):
        fig, ax = plt.subplots()
        ...                     # plot what training with this lr and depth gives
        return fig              # a matplotlib Figure, and nothing else

    slider_figure(draw, lr=LogSlider(1e-3, 10, default=0.1, steps=13), depth=IntSlider(1, 8, default=3))

Ending a cell with that expression displays one output that carries three views of the figure:

* ``application/vnd.jupyter.widget-view+json`` -- ipywidgets core sliders (a log-scale slider for
  a :class:`LogSlider`, an integer slider for an :class:`IntSlider`) above an ``Output`` that
  redraws on release; the callback ends in ``plt.show()`` so Colab replaces the figure instead of
  stacking a new one. Only in a live IPython kernel, and not when ``DLBOOK_WIDGETS=static``.
* ``text/html`` -- a slider that needs no kernel: ``draw`` is called once for every point of the
  knob grid, each figure is stored as a small PNG, and a few lines of inline JavaScript show the
  frame that the range inputs select. The website shows this view (``nb_mime_priority_overrides``
  in ``_config.yml`` drops the widget view from the HTML build). The HTML is the same bytes on
  every run (no random ids, PNG metadata off), so nbval can compare it.
* ``text/plain`` -- a one-line description, for terminals and logs.

Nothing ever waits for input: under nbval or ``python -m dlbook.execute`` the cell renders its
frames and the default frame and returns.

Keep each figure small (the frames are inlined in the page): ``draw`` should make a figure of the
book's default size or smaller, and the grid should stay well under ``max_frames``.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import numbers
import os
import struct

import numpy as np

from dlbook._validate import check_positive_int

MODE_ENV = "DLBOOK_WIDGETS"  # "static": never build the live widget (set by dlbook.execute)
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

__all__ = ["slider_figure", "SliderFigure", "LogSlider", "IntSlider", "FloatSlider", "Choice", "MODE_ENV", "live_kernel"]


# --------------------------------------------------------------------------------------- knobs
class Knob:
    """A finite grid of values for one argument of ``draw``, and the live widget that picks one."""

    values: tuple
    labels: tuple
    default_index: int
    label = None  # shown next to the slider instead of the argument name

    @property
    def default(self):
        return self.values[self.default_index]

    def __len__(self) -> int:
        return len(self.values)

    def snap(self, value):
        """The grid value nearest to ``value`` (live sliders can report 0.30000000000000004)."""
        return self.values[self._nearest_index(value)]

    def _nearest_index(self, value) -> int:
        return int(np.argmin([abs(float(v) - float(value)) for v in self.values]))

    def live_widget(self, name: str, continuous_update: bool):  # pragma: no cover - abstract
        raise NotImplementedError

    def _described(self, name: str) -> dict:
        return {"description": self.label or name, "style": {"description_width": "initial"}}


def _check_number(value, name: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok:
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _check_range(low, high, kind: str):
    low = _check_number(low, f"{kind} low")
    high = _check_number(high, f"{kind} high")
    if not low < high:
        raise ValueError(f"{kind}: expected low < high, got low={low!r}, high={high!r}")
    return low, high


def _check_label(label):
    if label is not None and not (isinstance(label, str) and label.strip()):
        raise ValueError(f"label: expected a non-empty string shown next to the slider, got {label!r}")
    return label


def _tidy(x: float) -> float:
    """Round away the last-bit noise of a computed grid value (0.1 stays 0.1, not 0.1000000000000001)."""
    return float(f"{x:.12g}")


# No knob has more positions than this: every position is a stored frame (the whole grid is bounded
# by max_frames too, but that is checked only once all knobs exist, and a huge grid would already
# have been built by then).
MAX_KNOB_VALUES = 1000


def _check_count_of_values(count: int, kind: str) -> None:
    if count > MAX_KNOB_VALUES:
        raise ValueError(f"{kind}: expected at most {MAX_KNOB_VALUES} values (each one is a stored "
                         f"frame), got {count}")


def _check_distinct(values, kind: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{kind}: low and high are too close for the grid: its values are not "
                         f"distinct ({values[0]!r} ... {values[-1]!r}); widen the range or use "
                         "fewer steps")


def _default_index(knob: Knob, default, name: str) -> int:
    if default is None:
        return (len(knob.values) - 1) // 2
    value = _check_number(default, name)
    lo, hi = min(knob.values), max(knob.values)
    if not lo <= value <= hi:
        raise ValueError(f"{name}: expected a value within [{lo:g}, {hi:g}], got {default!r}")
    return knob._nearest_index(value)


class LogSlider(Knob):
    """``steps`` log-spaced values from ``low`` to ``high`` (both > 0): learning rates, weight decay.

    A ``default`` off the grid snaps to the nearest grid value (nearest in log scale).
    """

    def __init__(self, low, high, default=None, steps: int = 13, label=None):
        self.label = _check_label(label)
        low, high = _check_range(low, high, "LogSlider")
        if low <= 0:
            raise ValueError(f"LogSlider low: expected a number > 0 (log scale), got {low!r}")
        steps = check_positive_int(steps, "LogSlider steps", minimum=2)
        _check_count_of_values(steps, "LogSlider steps")
        self.low, self.high, self.steps = low, high, steps
        exponents = np.linspace(math.log10(low), math.log10(high), steps)
        self.values = tuple(_tidy(10.0 ** e) for e in exponents)
        _check_distinct(self.values, "LogSlider")
        self.labels = tuple(f"{v:.3g}" for v in self.values)
        self.default_index = _default_index(self, default, "LogSlider default")

    def _nearest_index(self, value) -> int:
        value = float(value)
        if value <= 0:
            return 0
        return int(np.argmin([abs(math.log(v) - math.log(value)) for v in self.values]))

    def live_widget(self, name, continuous_update):
        import ipywidgets

        lo, hi = math.log10(self.low), math.log10(self.high)
        return ipywidgets.FloatLogSlider(value=self.default, base=10, min=lo, max=hi, step=(hi - lo) / (self.steps - 1),
                                         **self._described(name), readout_format=".3g",
                                         continuous_update=continuous_update)

    def __repr__(self) -> str:
        return f"LogSlider({self.low:g}, {self.high:g}, default={self.default:g}, steps={self.steps})"


class IntSlider(Knob):
    """The integers ``low, low + step, ..., high``: depth, width, number of units, epochs."""

    def __init__(self, low, high, default=None, step: int = 1, label=None):
        self.label = _check_label(label)
        for arg, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"IntSlider {arg}: expected an integer, got {value!r}")
        if not low < high:
            raise ValueError(f"IntSlider: expected low < high, got low={low!r}, high={high!r}")
        step = check_positive_int(step, "IntSlider step")
        if (high - low) % step:
            raise ValueError(f"IntSlider step: expected a divisor of high - low = {high - low}, got {step}")
        _check_count_of_values((high - low) // step + 1, "IntSlider")
        self.low, self.high, self.step = int(low), int(high), step
        self.values = tuple(range(self.low, self.high + 1, step))
        self.labels = tuple(str(v) for v in self.values)
        if default is not None and (isinstance(default, bool) or not isinstance(default, numbers.Integral)):
            raise ValueError(f"IntSlider default: expected an integer, got {default!r}")
        self.default_index = _default_index(self, default, "IntSlider default")

    def snap(self, value):
        return int(super().snap(value))

    def live_widget(self, name, continuous_update):
        import ipywidgets

        return ipywidgets.IntSlider(value=self.default, min=self.low, max=self.high, step=self.step,
                                    **self._described(name), continuous_update=continuous_update)

    def __repr__(self) -> str:
        return f"IntSlider({self.low}, {self.high}, default={self.default}, step={self.step})"


class FloatSlider(Knob):
    """``steps`` evenly spaced values from ``low`` to ``high``: momentum, dropout rate, noise level."""

    def __init__(self, low, high, default=None, steps: int = 11, label=None):
        self.label = _check_label(label)
        low, high = _check_range(low, high, "FloatSlider")
        steps = check_positive_int(steps, "FloatSlider steps", minimum=2)
        _check_count_of_values(steps, "FloatSlider steps")
        self.low, self.high, self.steps = low, high, steps
        self.values = tuple(_tidy(v) for v in np.linspace(low, high, steps))
        _check_distinct(self.values, "FloatSlider")
        self.labels = tuple(f"{v:.3g}" for v in self.values)
        self.default_index = _default_index(self, default, "FloatSlider default")

    def live_widget(self, name, continuous_update):
        import ipywidgets

        return ipywidgets.FloatSlider(value=self.default, min=self.low, max=self.high,
                                      step=(self.high - self.low) / (self.steps - 1), **self._described(name),
                                      readout_format=".3g", continuous_update=continuous_update)

    def __repr__(self) -> str:
        return f"FloatSlider({self.low:g}, {self.high:g}, default={self.default:g}, steps={self.steps})"


class Choice(Knob):
    """One of a few named options: an activation function, an optimiser, an initialisation."""

    def __init__(self, options, default=None, label=None):
        self.label = _check_label(label)
        options = tuple(options)
        if len(options) < 2:
            raise ValueError(f"Choice options: expected at least two options, got {options!r}")
        if len(set(map(str, options))) != len(options):
            raise ValueError(f"Choice options: expected distinct options, got {options!r}")
        self.values = options
        self.labels = tuple(str(o) for o in options)
        if default is None:
            self.default_index = 0
        elif default in options:
            self.default_index = options.index(default)
        else:
            raise ValueError(f"Choice default: expected one of {options!r}, got {default!r}")

    def snap(self, value):
        if value not in self.values:
            raise ValueError(f"Choice: expected one of {self.values!r}, got {value!r}")
        return value

    def live_widget(self, name, continuous_update):
        import ipywidgets

        return ipywidgets.Dropdown(options=list(zip(self.labels, self.values)), value=self.default,
                                  **self._described(name))

    def __repr__(self) -> str:
        return f"Choice({list(self.values)!r}, default={self.default!r})"


# --------------------------------------------------------------------------------------- frames
def _figure_to_png(fig, dpi) -> bytes:
    """PNG bytes of ``fig``, identical on every run: no timestamp or software tag in the file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return _shrink_png(buf.getvalue())


def _shrink_png(png: bytes) -> bytes:
    """Re-encode as a 256-colour palette PNG (3-4x smaller for line plots), when Pillow is there."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return png
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
        pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        pal.save(out, format="PNG", optimize=True)
    return out.getvalue() if len(out.getvalue()) < len(png) else png


def png_size(png: bytes):
    """(width, height) in pixels, read from the PNG header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("png: expected PNG bytes")
    return struct.unpack(">II", png[16:24])


def _is_figure(obj) -> bool:
    from matplotlib.figure import Figure

    return isinstance(obj, Figure)


def _managed_by_pyplot(fig) -> bool:
    from matplotlib._pylab_helpers import Gcf

    return any(m.canvas.figure is fig for m in Gcf.get_all_fig_managers())


_SCRUBBER_JS = """(function () {
  var roots = document.querySelectorAll("div.dlbook-slider:not([data-ready])");
  Array.prototype.forEach.call(roots, function (root) {
    root.setAttribute("data-ready", "1");
    var data = JSON.parse(root.querySelector("script.dlbook-slider-data").textContent);
    var img = root.querySelector("img.dlbook-slider-frame");
    var inputs = root.querySelectorAll("input.dlbook-slider-input");
    var outputs = root.querySelectorAll("output.dlbook-slider-value");
    function show() {
      var index = 0, alt = [];
      for (var k = 0; k < inputs.length; k++) {
        var knob = data.knobs[k], i = parseInt(inputs[k].value, 10);
        index = index * knob.labels.length + i;
        outputs[k].textContent = knob.labels[i];
        alt.push(knob.name + " = " + knob.labels[i]);
      }
      img.src = "data:image/png;base64," + data.frames[index];
      img.alt = alt.join(", ");
      root.setAttribute("data-frame", String(index));
    }
    for (var k = 0; k < inputs.length; k++) {
      inputs[k].addEventListener("input", show);
      inputs[k].addEventListener("change", show);
    }
    show();
  });
})();"""


# Frames are shown at their natural size, so text keeps the size the book style gives it (10 pt
# at 100 dpi, about 14 px); a frame wider than this would be scaled down to the article column
# and its tick labels would become unreadable, so it is refused.
DEFAULT_FRAME_DPI = 100
MAX_FRAME_WIDTH_PX = 760


class SliderFigure:
    """What :func:`slider_figure` returns: display it (end a cell with it) to see the sliders."""

    def __init__(self, draw, knobs: dict, frame_dpi=DEFAULT_FRAME_DPI, max_frames: int = 100, continuous_update: bool = False):
        if not callable(draw):
            raise ValueError(f"draw: expected a function of the knobs that returns a matplotlib Figure, got {draw!r}")
        if not knobs:
            raise ValueError("knobs: expected at least one knob, e.g. lr=LogSlider(1e-3, 1, default=0.1)")
        for name, knob in knobs.items():
            if not isinstance(knob, Knob):
                raise ValueError(f"{name}: expected a knob (LogSlider, IntSlider, FloatSlider or Choice), got {knob!r}")
        self.draw = draw
        self.knobs = dict(knobs)
        self.frame_dpi = _check_number(frame_dpi, "frame_dpi")
        if not 10 <= self.frame_dpi <= 200:
            raise ValueError(f"frame_dpi: expected a resolution between 10 and 200 dpi, got {frame_dpi!r}")
        self.max_frames = check_positive_int(max_frames, "max_frames")
        if not isinstance(continuous_update, bool):
            raise ValueError(f"continuous_update: expected True or False, got {continuous_update!r}")
        self.continuous_update = continuous_update
        self.n_frames = math.prod(len(k) for k in self.knobs.values())
        if self.n_frames > self.max_frames:
            sizes = " x ".join(f"{len(k)} ({n})" for n, k in self.knobs.items())
            raise ValueError(f"knobs: the grid has {sizes} = {self.n_frames} frames, over max_frames="
                             f"{self.max_frames}; use fewer steps (every frame is stored in the page)")
        self._frames = None
        self._widget = None

    # ---- the grid
    @property
    def defaults(self) -> dict:
        return {name: knob.default for name, knob in self.knobs.items()}

    @property
    def default_index(self) -> int:
        """Position of the default frame in :attr:`frames` (row-major over the knobs, in order)."""
        index = 0
        for knob in self.knobs.values():
            index = index * len(knob) + knob.default_index
        return index

    def grid(self):
        """Every knob setting, in frame order: a list of ``{name: value}`` dicts."""
        names = list(self.knobs)
        return [dict(zip(names, combo)) for combo in itertools.product(*(k.values for k in self.knobs.values()))]

    def figure(self, **values):
        """Call ``draw`` with these values (missing knobs take their defaults); check it made a Figure."""
        unknown = set(values) - set(self.knobs)
        if unknown:
            raise ValueError(f"values: unknown knob(s) {sorted(unknown)}; the knobs are {list(self.knobs)}")
        args = {**self.defaults, **values}
        fig = self.draw(**args)
        if not _is_figure(fig):
            raise ValueError(f"draw: expected a matplotlib Figure to be returned for {args}, got {fig!r} "
                             "(end draw with `return fig`)")
        return fig

    @property
    def frames(self) -> list:
        """PNG bytes of every frame, computed once (``draw`` is called ``n_frames`` times)."""
        if self._frames is None:
            frames = []
            for values in self.grid():
                frames.append(self._render(values))
                self._check_frame_width(frames[-1], values)
            self._frames = frames
        return self._frames

    def _render(self, values: dict) -> bytes:
        """PNG bytes of the frame for ``values`` (missing knobs take their defaults)."""
        import matplotlib.pyplot as plt

        fig = self.figure(**values)
        try:
            return _figure_to_png(fig, self.frame_dpi)
        finally:
            plt.close(fig)

    def _img_tag(self, png: bytes) -> str:
        """The ``<img>`` showing a frame, at its natural size; its alt text names the defaults."""
        width, height = png_size(png)
        alt = ", ".join(f"{knob.label or name} = {knob.labels[knob.default_index]}"
                        for name, knob in self.knobs.items())
        return (f'<img class="dlbook-slider-frame" src="data:image/png;base64,'
                f'{base64.b64encode(png).decode("ascii")}" alt="{html.escape(alt)}" '
                f'width="{width}" height="{height}" style="max-width:100%;height:auto">')

    def _check_frame_width(self, png: bytes, values: dict) -> None:
        width, _ = png_size(png)
        if width > MAX_FRAME_WIDTH_PX:
            raise ValueError(
                f"draw: the frame for {values} is {width} px wide at {self.frame_dpi:g} dpi, over "
                f"{MAX_FRAME_WIDTH_PX} px: the website would shrink it and its text would be "
                f"unreadable; make the figure at most {MAX_FRAME_WIDTH_PX / self.frame_dpi:.1f} "
                "inches wide (figsize)")

    # ---- the static view
    def preview_html(self) -> str:
        """The default frame alone, for a live kernel: the live sliders are right above it, so the
        other frames need not be computed (one draw instead of ``n_frames``)."""
        return self._img_tag(self._render({}))

    def html(self) -> str:
        """The kernel-free slider: the default frame, one range input per knob, inline JavaScript."""
        frames = self.frames
        default = self.default_index
        knob_data = [{"name": knob.label or name, "labels": list(knob.labels)} for name, knob in self.knobs.items()]
        data = json.dumps({"knobs": knob_data, "frames": [base64.b64encode(f).decode("ascii") for f in frames]},
                          separators=(",", ":")).replace("</", "<\\/")
        controls = []
        for name, knob in self.knobs.items():
            label = html.escape(knob.label or name)
            controls.append(
                f'<label style="display:inline-flex;align-items:center;gap:0.4em;margin-right:1.2em">{label} '
                f'<input class="dlbook-slider-input" type="range" min="0" max="{len(knob) - 1}" step="1" '
                f'value="{knob.default_index}" aria-label="{label}" data-knob="{html.escape(name)}" '
                f'style="width:min(16em,55vw)"> '
                f'<output class="dlbook-slider-value">{html.escape(knob.labels[knob.default_index])}</output></label>')
        return (f'<div class="dlbook-slider" data-frame="{default}" data-frames="{len(frames)}">\n'
                f'<div class="dlbook-slider-controls" style="margin-bottom:0.3em">{"".join(controls)}</div>\n'
                f'{self._img_tag(frames[default])}\n'
                f'<script type="application/json" class="dlbook-slider-data">{data}</script>\n'
                f"<script>{_SCRUBBER_JS}</script>\n</div>")

    def __repr__(self) -> str:
        parts = []
        for name, knob in self.knobs.items():
            parts.append(f"{name} in {knob.labels[0]}..{knob.labels[-1]} ({len(knob)} values, default "
                         f"{knob.labels[knob.default_index]})")
        draw_name = getattr(self.draw, "__name__", type(self.draw).__name__)
        return f"<slider figure {draw_name}: {'; '.join(parts)}; {self.n_frames} frames>"

    # ---- the live view
    def widget(self):
        """The live ipywidgets view: one core slider per knob above an Output holding the figure."""
        if self._widget is not None:
            return self._widget
        import ipywidgets

        controls = {name: knob.live_widget(name, self.continuous_update) for name, knob in self.knobs.items()}
        out = ipywidgets.Output()
        # The first frame goes in through the Output's state, not by printing into it: printed output
        # would travel with the running cell, and nbval would count it as an extra cell output.
        out.outputs = (self._live_output(self.figure()),)

        def redraw(change=None):
            import matplotlib.pyplot as plt

            values = {name: self.knobs[name].snap(w.value) for name, w in controls.items()}
            with out:
                out.clear_output(wait=True)
                fig = self.figure(**values)
                try:
                    if not _managed_by_pyplot(fig):
                        from IPython.display import display

                        display(fig)
                    plt.show()
                finally:
                    plt.close(fig)  # the inline backend's show() closes it too; elsewhere nothing would

        for w in controls.values():
            w.observe(redraw, names="value")
        self._redraw = redraw
        self._widget = ipywidgets.VBox([ipywidgets.HBox(list(controls.values())), out])
        return self._widget

    @staticmethod
    def _live_output(fig) -> dict:
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
        return {"output_type": "display_data", "metadata": {},
                "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": repr(fig)}}

    def _repr_mimebundle_(self, include=None, exclude=None):
        if live_kernel():
            # A reader's kernel draws only what the reader asks for: the live sliders, plus the
            # default frame as the fallback view for a notebook saved and reopened without kernel.
            w = self.widget()
            return {"text/plain": repr(self), "text/html": self.preview_html(),
                    WIDGET_VIEW_MIME: {"version_major": 2, "version_minor": 0, "model_id": w.model_id}}
        return {"text/plain": repr(self), "text/html": self.html()}


def live_kernel() -> bool:
    """True in a Jupyter or Colab kernel that can show widgets, unless ``DLBOOK_WIDGETS=static``.

    A kernel started by pytest (nbval) is not live either: it inherits ``PYTEST_CURRENT_TEST``
    from the test process, and then sliders and progress bars behave as in the committed outputs.
    So a plain ``pytest --nbval`` in a course repository passes without this repository's
    conftest.py. ``DLBOOK_WIDGETS=live`` forces a live kernel all the same.
    """
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode not in ("", "live", "static"):
        raise ValueError(f"{MODE_ENV}: expected 'live' or 'static', got {os.environ[MODE_ENV]!r}")
    if mode == "static" or (mode == "" and "PYTEST_CURRENT_TEST" in os.environ):
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


def slider_figure(draw, *, frame_dpi=DEFAULT_FRAME_DPI, max_frames: int = 100, continuous_update: bool = False, **knobs) -> SliderFigure:
    """A figure with sliders: ``draw(**values)`` must return a matplotlib Figure for any knob values.

    ``knobs`` maps each argument of ``draw`` to a :class:`LogSlider`, :class:`IntSlider`,
    :class:`FloatSlider` or :class:`Choice`. ``frame_dpi`` sets the resolution of the website's
    precomputed frames, which the website shows at their natural size (at most
    ``MAX_FRAME_WIDTH_PX`` wide, so at most 7.6 inches at the default 100 dpi); ``max_frames`` bounds the grid; ``continuous_update``
    redraws the live figure while dragging instead of on release (for draws well under 100 ms).
    """
    return SliderFigure(draw, knobs, frame_dpi=frame_dpi, max_frames=max_frames, continuous_update=continuous_update)
