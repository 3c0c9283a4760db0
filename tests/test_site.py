"""The website as a reader meets it: a strict offline build, checked as files and in headless Chromium.

The site is built once for this module (`jupyter-book build . -n -W --keep-going` into a temporary
folder), served from a localhost http.server, and loaded in Debian's Chromium through Playwright with
every request to another host blocked and recorded. Where Chromium or Playwright is missing the
browser tests skip with a message, except under CI=true, where that is a failure.
"""
import functools
import html.parser
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from dlbook import colab

ROOT = Path(__file__).resolve().parent.parent
MAX_PAGE_BYTES = 5_000_000
MAX_SITE_BYTES = 40_000_000
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("DLBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SEARCH_TERM = "gradient"


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    entries = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return entries + [c["file"] for c in toc.get("chapters", [])]


def notebook_pages():
    return [e for e in toc_pages() if (ROOT / f"{e}.ipynb").is_file()]


# ------------------------------------------------------------------------------ build and serve
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(ROOT), "--path-output", str(out),
           "-n", "-W", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    html_dir = out / "_build" / "html"
    return {"returncode": result.returncode, "log": result.stdout + result.stderr, "html": html_dir}


@pytest.fixture(scope="module")
def built(site):
    if site["returncode"] != 0:
        pytest.fail("the strict build failed:\n" + site["log"][-4000:])
    return site["html"]


@pytest.fixture(scope="module")
def server(built):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(built)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def html_pages(html_dir):
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


class Refs(html.parser.HTMLParser):
    """The URLs a page points at, the ids it defines, and what loads as a resource."""

    def __init__(self):
        super().__init__()
        self.links, self.resources, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("script", "img", "iframe", "source") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "preload", "icon", "modulepreload"}:
            self.resources.append(a["href"])


@functools.lru_cache(maxsize=None)
def parse(path):
    refs = Refs()
    refs.feed(Path(path).read_text(encoding="utf8"))
    return refs


def is_external(url):
    return bool(urlsplit(url).scheme) or url.startswith("//")


# ------------------------------------------------------------------------------ the build as files
def test_strict_build_has_zero_warnings(site):
    assert site["returncode"] == 0, site["log"][-4000:]
    assert "build succeeded" in site["log"]
    assert "WARNING" not in site["log"] and "ERROR" not in site["log"]


def test_every_toc_page_is_built(built):
    for entry in toc_pages():
        assert (built / f"{entry}.html").is_file(), f"{entry} has no page"


def test_pages_load_nothing_from_other_hosts(built):
    for page in html_pages(built):
        external = [u for u in parse(page).resources if is_external(u) and not u.startswith("data:")]
        assert not external, f"{page.name} loads {external}: the site must work offline"
        text = page.read_text(encoding="utf8")
        for marker in ("require.js", "require.min.js", "@jupyter-widgets", "widget-state+json", "widget-view+json"):
            assert marker not in text, f"{page.name} contains {marker}: widget JavaScript or state reached the site"


def test_mathjax_is_served_from_the_site(built):
    page = built / "book" / "preface.html"
    scripts = [u for u in parse(page).resources if "mathjax" in u.lower()]
    assert scripts and all(not is_external(u) for u in scripts)
    target = (page.parent / urlsplit(scripts[0]).path).resolve()
    assert target.name == "tex-chtml.js" and target.is_file()
    fonts = list((target.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10


def test_page_and_site_sizes(built):
    total = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
    assert total < MAX_SITE_BYTES, f"the site is {total / 1e6:.1f} MB"
    for page in html_pages(built):
        weight = page.stat().st_size
        for url in parse(page).resources:
            path = urlsplit(url).path
            if not is_external(url) and "_static" not in path and path:
                target = (page.parent / unquote(path)).resolve()
                weight += target.stat().st_size if target.is_file() else 0
        assert weight < MAX_PAGE_BYTES, f"{page.relative_to(built)} weighs {weight / 1e6:.1f} MB with its images"


def test_internal_links_and_anchors_resolve(built):
    broken = []
    for page in html_pages(built):
        refs = parse(page)
        for url in refs.links + refs.resources:
            if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            if parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = page
            if not target.is_file():
                broken.append(f"{page.relative_to(built)} -> {url}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{page.relative_to(built)} -> {url} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_notebook_page_has_its_colab_button(built):
    branch = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))["repository"]["branch"]
    for entry in notebook_pages():
        links = parse(built / f"{entry}.html").links
        assert colab.colab_url(f"{entry}.ipynb", branch) in links, f"{entry}: no Colab launch button"


def test_static_sliders_are_in_the_pages(built):
    text = (built / "book" / "preface.html").read_text(encoding="utf8")
    assert text.count('class="dlbook-slider"') >= 1
    assert 'class="dlbook-slider-input" type="range"' in text


# ------------------------------------------------------------------------------ in the browser
@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed (pip install -r requirements.txt)"
    if reason is None and not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but the reader tests cannot run: {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class Reader:
    """One browser tab that blocks every other host and records what went wrong."""

    def __init__(self, browser, base):
        self.base = base
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.external, self.errors = [], []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}")
                     if r.url.startswith(base) else None)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, path):
        response = self.page.goto(self.base + "/" + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP {response.status if response else 'no response'}"
        try:
            self.page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)",
                                        timeout=15_000)
        except Exception:
            pytest.fail(f"{path}: MathJax did not start (is book/_static/mathjax served?)")
        self.page.evaluate("() => window.MathJax ? MathJax.startup.promise.then(() => true) : true")
        return self.page

    def close(self):
        self.page.close()


@pytest.fixture
def reader(browser, server):
    r = Reader(browser, server)
    yield r
    r.close()


MATH_STATE = """() => {
  const maths = [...document.querySelectorAll('.math')];
  const unrendered = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60));
  const body = document.querySelector('main') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .cell_input, textarea').forEach(e => e.remove());
  return {maths: maths.length, containers: document.querySelectorAll('mjx-container').length,
          unrendered: unrendered, rawDollars: clone.textContent.includes('$$')};
}"""

IMAGES_LOADED = """async () => {
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(ok => { img.onload = ok; img.onerror = ok; })));
  return imgs.filter(img => !(img.naturalWidth > 0)).map(img => img.currentSrc.slice(0, 80) || img.outerHTML.slice(0, 80));
}"""


@pytest.mark.browser
@pytest.mark.parametrize("entry", toc_pages())
def test_page_reads_well_offline(reader, entry):
    page = reader.open(f"{entry}.html")
    math = page.evaluate(MATH_STATE)
    assert not math["unrendered"], f"{entry}: math left unrendered: {math['unrendered'][:3]}"
    assert math["containers"] >= math["maths"]
    assert not math["rawDollars"], f"{entry}: raw $$ in the text: a formula MyST did not parse"
    if entry != "book/glossary" and entry != "book/references":
        assert math["containers"] > 0, f"{entry}: a chapter with no rendered formula at all"
    broken = page.evaluate(IMAGES_LOADED)
    assert not broken, f"{entry}: images that did not load: {broken}"
    sliders = page.locator("div.dlbook-slider")
    for s in range(sliders.count()):
        slider = sliders.nth(s)
        assert slider.get_attribute("data-ready") == "1", f"{entry}: slider {s} was not initialised"
        frame_img = slider.locator("img.dlbook-slider-frame")
        inputs = slider.locator("input.dlbook-slider-input")
        for k in range(inputs.count()):
            knob = inputs.nth(k)
            before_frame, before_src = slider.get_attribute("data-frame"), frame_img.get_attribute("src")
            at_end = knob.input_value() == knob.get_attribute("max")
            knob.focus()
            page.keyboard.press("Home" if at_end else "End")
            assert slider.get_attribute("data-frame") != before_frame, f"{entry}: slider {s} knob {k} did not move"
            assert frame_img.get_attribute("src") != before_src, f"{entry}: slider {s} knob {k} shows the same frame"
            assert frame_img.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    assert not reader.external, f"{entry}: tried to reach other hosts: {reader.external}"
    assert not reader.errors, f"{entry}: " + "\n".join(reader.errors)


@pytest.mark.browser
def test_search_finds_a_term(reader):
    page = reader.open(f"search.html?q={SEARCH_TERM}")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    assert any("Preface" in h for h in hits), hits
    assert not reader.external and not reader.errors, reader.external + reader.errors


@pytest.mark.browser
def test_static_slider_with_two_knobs_picks_the_right_frame(browser):
    """The inline JavaScript indexes frames row-major over the knobs, as SliderFigure stores them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlbook.widgets import Choice, IntSlider, slider_figure

    def draw(n, colour):
        fig, ax = plt.subplots(figsize=(1.5, 1))
        ax.plot(range(n), color=colour)
        return fig

    sf = slider_figure(draw, frame_dpi=40, n=IntSlider(2, 5, default=3), colour=Choice(["red", "blue", "green"]))
    frames = sf.html()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(f"<!doctype html><html><body>{frames}</body></html>")
    slider = page.locator("div.dlbook-slider")
    n_knob, colour_knob = page.locator("input.dlbook-slider-input").all()
    data = page.evaluate("() => JSON.parse(document.querySelector('script.dlbook-slider-data').textContent)")

    def shown():
        index = int(slider.get_attribute("data-frame"))
        assert page.locator("img.dlbook-slider-frame").get_attribute("src").endswith(data["frames"][index])
        return index, page.locator("img.dlbook-slider-frame").get_attribute("alt")

    assert shown() == (1 * 3 + 0, "n = 3, colour = red")
    colour_knob.focus()
    page.keyboard.press("ArrowRight")
    assert shown() == (1 * 3 + 1, "n = 3, colour = blue")
    n_knob.focus()
    page.keyboard.press("End")
    assert shown() == (3 * 3 + 1, "n = 5, colour = blue")
    assert page.locator("output.dlbook-slider-value").all_inner_texts() == ["5", "blue"]
    assert not errors
    page.close()
