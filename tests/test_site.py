"""The website as a reader meets it: a strict offline build, checked as files and in headless Chromium.

The site is built once for this module (`jupyter-book build . -n -W --keep-going` into a temporary
folder) and served from a localhost http.server. Playwright drives Debian's Chromium (never a
downloaded browser) with every request to another host blocked and recorded. Each page is loaded
once at 1280 x 900 (desktop) and once at 390 x 844 (phone); everything a test asserts is observed
during those two visits (see `Observer`), so the whole tour takes a minute or two. Where Chromium or
Playwright is missing the browser tests skip with a message, except under CI=true, where that is a
failure (.ci/run installs Chromium and fonts-noto-cjk).
"""
import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from dlbook import colab
from dlbook.lecture.book import toc_entries

ROOT = Path(__file__).resolve().parent.parent
MAX_PAGE_BYTES = 3_000_000  # a page with its own images; the shared theme and MathJax files are cached
MAX_SITE_BYTES = 40_000_000  # the pages and what they load, per edition
MAX_KIT_BYTES = 30_000_000   # the lecture kit they link to (python -m dlbook.lecture)
LECTURE_KIT = ("slides", "student")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("DLBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SEARCH_TERM = "gradient"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CJK_FONTS = ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"')
DUPLICATED_BY_DIRECTIVES = ("proof", "proof-content", "exercise-content", "solution-content")
MIN_FRAME_SCALE = 0.8  # a slider frame shown at >= 80% of its natural width keeps its text legible
MIN_TRACK_PX = 180


def toc_pages():
    return toc_entries(ROOT)


def notebook_pages():
    return [e for e in toc_pages() if (ROOT / f"{e}.ipynb").is_file()]


ZH = "zh"  # the Chinese edition's folder (python -m dlbook.i18n build)


def both_editions(entries):
    return list(entries) + [f"{ZH}/{e}" for e in entries]


# ------------------------------------------------------------------------------ build and serve
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(ROOT), "--path-output", str(out),
           "-n", "-W", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    html_dir = out / "_build" / "html"
    log = result.stdout + result.stderr
    if result.returncode == 0:  # README's first command: the build, then the lecture kit it links to
        kit = subprocess.run([sys.executable, "-m", "dlbook.lecture", "--site", str(html_dir)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)
        log += kit.stdout + kit.stderr
        if kit.returncode != 0:
            return {"returncode": kit.returncode, "log": log, "html": html_dir}
        # ... and the Chinese edition beside it (strict: no message left untranslated)
        zh = subprocess.run([sys.executable, "-m", "dlbook.i18n", "build", "--strict", "--site",
                             str(html_dir / ZH), "--work", str(out / "zh_work")],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
        log += zh.stdout + zh.stderr
        if zh.returncode != 0:
            return {"returncode": zh.returncode, "log": log, "html": html_dir}
    return {"returncode": result.returncode, "log": log, "html": html_dir}


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
    """The URLs a page points at, the ids it defines (with repeats), and what loads as a resource."""

    def __init__(self):
        super().__init__()
        self.links, self.resources, self.ids, self.id_list, self.scripts = [], [], set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if a.get("id"):
            self.id_list.append(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("script", "img", "iframe", "source") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a)
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
    for entry in both_editions(toc_pages()):
        assert (built / f"{entry}.html").is_file(), f"{entry} has no page"


def test_pages_load_nothing_from_other_hosts(built):
    for page in html_pages(built):
        external = [u for u in parse(page).resources if is_external(u) and not u.startswith("data:")]
        assert not external, f"{page.name} loads {external}: the site must work offline"
        text = page.read_text(encoding="utf8")
        for marker in ("require.js", "require.min.js", "@jupyter-widgets", "widget-state+json", "widget-view+json"):
            assert marker not in text, f"{page.name} contains {marker}: widget JavaScript or state reached the site"


def test_mathjax_is_served_from_the_site_and_never_blocks_parsing(built):
    page = built / "book" / "preface.html"
    scripts = [s for s in parse(page).scripts if "mathjax" in s["src"].lower()]
    assert scripts and all(not is_external(s["src"]) for s in scripts)
    assert all("defer" in s or "async" in s for s in scripts), f"MathJax must load with defer or async: {scripts}"
    target = (page.parent / urlsplit(scripts[0]["src"]).path).resolve()
    assert target.name == "tex-chtml.js" and target.is_file()
    fonts = list((target.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10


def test_no_source_maps_or_unused_icon_script_ship(built):
    maps = [str(p.relative_to(built)) for p in built.rglob("*.map")]
    assert not maps, f"source maps in the site: {maps}"
    shipped = [p for p in (built / "_static").rglob("*") if p.suffix in (".js", ".css")]
    pointers = [str(p.relative_to(built)) for p in shipped
                if "sourceMappingURL=" in p.read_text(encoding="utf8", errors="replace")]
    assert not pointers, f"files still point at removed source maps: {pointers}"
    for page in html_pages(built):
        assert not [s for s in parse(page).scripts if "fontawesome" in s["src"]], f"{page.name} loads fontawesome.js"


def test_page_and_site_sizes(built):
    def size(paths):
        return sum(p.stat().st_size for p in paths if p.is_file())

    kit = [p for folder in LECTURE_KIT for p in (built / folder).rglob("*")]
    chinese = size((built / ZH).rglob("*"))
    total = size(built.rglob("*")) - size(kit) - chinese
    assert total < MAX_SITE_BYTES, f"the English site is {total / 1e6:.1f} MB"
    assert chinese < MAX_SITE_BYTES, f"the Chinese site is {chinese / 1e6:.1f} MB"
    assert size(kit) < MAX_KIT_BYTES, f"the slides and student notebooks are {size(kit) / 1e6:.1f} MB"
    heavy = []
    for page in html_pages(built):
        weight = page.stat().st_size
        for url in parse(page).resources:
            path = urlsplit(url).path
            if not is_external(url) and "_static" not in path and path:
                target = (page.parent / unquote(path)).resolve()
                weight += target.stat().st_size if target.is_file() else 0
        if weight >= MAX_PAGE_BYTES:
            heavy.append(f"{page.relative_to(built)} weighs {weight / 1e6:.2f} MB with its images")
    assert not heavy, "\n".join(heavy)


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


def test_no_page_repeats_an_html_id(built):
    repeated = {}
    for page in html_pages(built):
        counts = {}
        for ident in parse(page).id_list:
            counts[ident] = counts.get(ident, 0) + 1
        twice = sorted(i for i, n in counts.items() if n > 1)
        if twice:
            repeated[str(page.relative_to(built))] = twice
    assert not repeated, f"repeated ids: {repeated}"
    chapter = parse(built / "book" / "01_neuron.html").id_list
    assert any(i.startswith("solution-content") for i in chapter), "the renamed ids are gone: update this test"


def test_every_notebook_page_has_its_colab_button(built):
    branch = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))["repository"]["branch"]
    for entry in both_editions(notebook_pages()):
        links = parse(built / f"{entry}.html").links
        assert colab.colab_url(f"{entry}.ipynb", branch) in links, f"{entry}: no Colab launch button"
        assert (ROOT / f"{entry}.ipynb").is_file(), f"the Colab button of {entry} opens a missing notebook"


def test_every_page_links_the_same_page_in_the_other_edition(built):
    missing = []
    for entry in toc_pages():
        for page, other in ((entry, f"{ZH}/{entry}"), (f"{ZH}/{entry}", entry)):
            path = built / f"{page}.html"
            targets = {(path.parent / urlsplit(u).path).resolve() for u in parse(path).links
                       if not is_external(u) and urlsplit(u).path}
            if (built / f"{other}.html").resolve() not in targets:
                missing.append(f"{page} -> {other}")
    assert not missing, f"pages without a link to their other edition: {missing}"


def test_the_chinese_pages_speak_chinese(built):
    from dlbook.i18n.catalog import THEME_STRINGS

    untranslated = []
    for page in html_pages(built / ZH):
        text = page.read_text(encoding="utf8")
        if "<html" not in text:  # index.html: a bare redirect to the preface
            continue
        assert '<html lang="zh-CN"' in text, f"{page.name}: not marked as Chinese"
        untranslated += [f"{page.relative_to(built)}: {shown}" for shown in THEME_STRINGS
                         if f'"{shown}"' in text]
    assert not untranslated, f"theme strings left untranslated: {untranslated[:10]}"
    chapter = (built / ZH / "book" / "02_mlp.html").read_text(encoding="utf8")
    for word in ("练习", "解答", "定理", "搜索", "显示代码"):
        assert word in chapter, f"no {word} on the Chinese chapter 2"
    assert "Exercise " not in chapter and "Theorem " not in chapter
    index = (built / ZH / "searchindex.js").read_text(encoding="utf8")
    word = "反向传播"  # the index escapes non-ASCII characters (\u53cd...)
    assert word in index or json.dumps(word)[1:-1] in index, \
        "the search index has no Chinese words (is jieba installed?)"


def test_static_sliders_are_in_the_pages(built):
    text = (built / "book" / "preface.html").read_text(encoding="utf8")
    assert text.count('class="dlbook-slider"') >= 1
    assert 'class="dlbook-slider-input" type="range"' in text


@pytest.mark.parametrize("edition", ["", f"{ZH}/"])
def test_glossary_links_every_row_to_its_chapter(built, edition):
    source_rows = [line for line in (ROOT / "book" / "glossary.md").read_text(encoding="utf8").splitlines()
                   if line.startswith("|") and not line.startswith(("| English", "|---"))]
    page = (built / edition / "book" / "glossary.html").read_text(encoding="utf8")
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    rows = re.findall(r"<tr.*?</tr>", body, flags=re.S)
    assert len(rows) == len(source_rows) > 50
    unlinked = [re.sub(r"<[^>]+>", " ", r).split() for r in rows
                if not re.search(r'<td><p><a class="reference internal" href="\d\d_\w+\.html(#[\w-]+)?">\d+ ', r)]
    assert not unlinked, f"glossary rows whose 'defined in' is not a link to a chapter: {unlinked[:5]}"


def test_citations_use_one_style(built):
    """Author-year in the text and as the labels of the references page, and they agree."""
    references = (built / "book" / "references.html").read_text(encoding="utf8")
    labels = {m: 1 for m in re.findall(r'class="label"><span class="fn-bracket">\[</span>(.*?)<span', references)}
    assert len(labels) > 10
    numbered = [label for label in labels if re.fullmatch(r"\d+", label)]
    assert not numbered, f"the references page is numbered: {numbered[:5]}"
    def plain(fragment):
        return " ".join(re.sub(r"<[^>]+>", "", fragment).split())

    in_text = set()  # "[Stone, 1982, Tsybakov, 2009]" gives two; "Polyak [1964]" gives "Polyak, 1964"
    for entry in notebook_pages():
        text = (built / f"{entry}.html").read_text(encoding="utf8")
        for span in re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', text, flags=re.S):
            links = re.findall(r'<a class="reference internal" href="references\.html#[^"]+"[^>]*>(.*?)</a>', span, flags=re.S)
            for cited in map(plain, links):
                in_text.add(f"{plain(span).split(' [')[0]}, {cited}" if re.fullmatch(r"\d{4}[a-z]?", cited) else cited)
    assert in_text, "no chapter cites anything"
    unmatched = sorted(c for c in in_text if c not in labels)
    assert not unmatched, f"in-text citations with no same-looking label on the references page: {unmatched[:5]}"


def test_css_gives_a_cjk_font_fallback(built):
    css = (built / "_static" / "dlbook.css").read_text(encoding="utf8")
    for font in CJK_FONTS:
        assert font in css, f"{font} missing from the site's font stack"


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


# Everything below runs inside the page; each returns plain data for the tests to judge.
TEX_LEFT_VISIBLE = r"""() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll('pre, code, kbd, script, style, textarea, mjx-container, .cell_input, .headerlink')
       .forEach(e => e.remove());
  const text = clone.textContent.replace(/\s+/g, ' ');
  const found = [];
  const pattern = /\$|\\[A-Za-z]+|\\[()\[\]{}]/g;
  let m;
  while ((m = pattern.exec(text)) && found.length < 8) {
    found.push(text.slice(Math.max(0, m.index - 30), m.index + 50));
    pattern.lastIndex = m.index + 50;  // one report per stretch of raw TeX
  }
  const maths = [...document.querySelectorAll('.math')];
  return {
    visible: found,
    unrendered: maths.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    maths: maths.length,
  };
}"""

WIDE_EQUATIONS = r"""() => [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter(m => m.scrollWidth > m.clientWidth + 1)
  .map(m => {
    const box = m.closest('div.math');
    const eqno = box && box.querySelector('.eqno');
    const number = eqno ? eqno.textContent.replace('#', '').trim() : '';
    const section = m.closest('section[id]');
    const tex = (m.querySelector('mjx-assistive-mml') || m).textContent.replace(/\s+/g, ' ').slice(0, 50);
    return `${number || 'unnumbered'} in #${section ? section.id : '?'}: needs ${m.scrollWidth} px, ` +
           `has ${m.clientWidth} px (${tex})`;
  })"""

BROKEN_IMAGES = """async () => {
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(ok => { img.onload = ok; img.onerror = ok; })));
  return imgs.filter(img => !(img.naturalWidth > 0)).map(img => img.currentSrc.slice(0, 80) || img.outerHTML.slice(0, 80));
}"""

TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const mark = name => (performance.getEntriesByName(name)[0] || {}).startTime;
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const own = performance.getEntriesByType('resource').filter(r => !new URL(r.name).pathname.includes('/_static/'));
  return {fcp: paint ? paint.startTime : null, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          mathStart: mark('dlbook:math-start'), mathDone: mark('dlbook:math-done'),
          ownBytes: nav.decodedBodySize + own.reduce((s, r) => s + r.decodedBodySize, 0)};
}"""

SLIDER_POSITIONS = """root => {
  const img = root.querySelector('img.dlbook-slider-frame');
  const problems = [];
  root.querySelectorAll('input.dlbook-slider-input').forEach((input, k) => {
    const start = input.value;
    let before = null;
    for (let i = Number(input.min); i <= Number(input.max); i++) {
      input.value = String(i);
      input.dispatchEvent(new Event('input', {bubbles: true}));
      if (before !== null && img.src === before)
        problems.push(`knob ${k} (${input.getAttribute('aria-label')}) shows the same frame at positions ${i - 1} and ${i}`);
      before = img.src;
    }
    input.value = start;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  });
  const frame = img.getBoundingClientRect().width;
  const track = Math.min(...[...root.querySelectorAll('input.dlbook-slider-input')].map(i => i.getBoundingClientRect().width));
  return {problems, scale: frame / img.naturalWidth, natural: img.naturalWidth, shown: Math.round(frame), track};
}"""

HORIZONTAL_OVERFLOW = r"""() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width + 1) return [];
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !scrolls(e))
    .slice(0, 4)
    .map(e => `<${e.tagName.toLowerCase()} class="${e.className}"> ends at ${Math.round(e.getBoundingClientRect().right)} px: `
              + e.textContent.trim().slice(0, 50));
}"""


class Observer:
    """One browser context per viewport; each page is visited once and everything is noted then."""

    def __init__(self, browser, base):
        self.browser, self.base = browser, base
        self.contexts, self.seen = {}, {}

    def context(self, viewport):
        key = viewport["width"]
        if key not in self.contexts:
            self.contexts[key] = self.browser.new_context(viewport=viewport)
        return self.contexts[key]

    def observe(self, entry, viewport):
        key = (entry, viewport["width"])
        if key not in self.seen:
            page = self.context(viewport).new_page()
            note = {"external": [], "errors": []}
            page.route("**/*", lambda route: self._route(route, note))
            page.on("console", lambda m: note["errors"].append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: note["errors"].append(f"page error: {e}"))
            page.on("requestfailed", lambda r: note["errors"].append(f"request failed: {r.url} {r.failure}")
                    if r.url.startswith(self.base) else None)
            try:
                response = page.goto(f"{self.base}/{entry}.html", wait_until="load", timeout=60_000)
                note["status"] = response.status if response else None
                note["mathjax"] = page.locator("script[src*='tex-chtml']").count() > 0
                if note["mathjax"]:  # Sphinx adds MathJax only to pages with math
                    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                           timeout=30_000)
                    page.evaluate("() => MathJax.startup.promise.then(() => true)")
                (self._desktop if viewport is DESKTOP else self._phone)(page, note)
            except Exception as error:  # noted once, so that every test of this page fails fast
                note["failure"] = f"{entry} at {viewport['width']} px: {type(error).__name__}: {error}"
            finally:
                page.close()
            self.seen[key] = note
        if "failure" in self.seen[key]:
            pytest.fail(self.seen[key]["failure"])
        return self.seen[key]

    def _route(self, route, note):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            note["external"].append(url)
            route.abort()

    def _desktop(self, page, note):
        note["tex"] = page.evaluate(TEX_LEFT_VISIBLE)
        note["wide_equations"] = page.evaluate(WIDE_EQUATIONS)
        note["broken_images"] = page.evaluate(BROKEN_IMAGES)
        note["timings"] = page.evaluate(TIMINGS)
        note["font"] = page.evaluate("() => getComputedStyle(document.body).fontFamily")
        note["sliders"] = self._sliders(page)
        note["solutions"] = self._solutions(page)
        note["sidebar"] = self._desktop_sidebar(page)

    def _phone(self, page, note):
        note["overflow"] = page.evaluate(HORIZONTAL_OVERFLOW)
        note["toggles"] = {kind: self._phone_sidebar(page, kind) for kind in ("primary", "secondary")}
        note["frame_zoom"] = self._frame_zoom(page)

    @staticmethod
    def _frame_zoom(page):
        """Tap each shrunk slider frame: it must show at its natural size, and fit again on a second tap."""
        problems = []
        scale = "img => img.getBoundingClientRect().width / img.naturalWidth"
        frames = page.locator("div.dlbook-slider img.dlbook-slider-frame")
        for s in range(frames.count()):
            frame = frames.nth(s)
            frame.scroll_into_view_if_needed()
            before = frame.evaluate(scale)
            if before >= MIN_FRAME_SCALE:
                continue
            frame.click()
            if frame.evaluate(scale) < 0.99:
                problems.append(f"slider {s}: a tap did not show the frame at its natural size ({before:.2f})")
            problems += [f"slider {s} zoomed widens the page: {w}" for w in page.evaluate(HORIZONTAL_OVERFLOW)]
            frame.click(position={"x": 5, "y": 5})
            if abs(frame.evaluate(scale) - before) > 0.01:
                problems.append(f"slider {s}: a second tap did not fit the frame to the screen again")
        return problems

    @staticmethod
    def _sliders(page):
        found = []
        sliders = page.locator("div.dlbook-slider")
        for s in range(sliders.count()):
            slider = sliders.nth(s)
            slider.scroll_into_view_if_needed()
            seen = slider.evaluate(SLIDER_POSITIONS)
            seen["ready"] = slider.get_attribute("data-ready") == "1"
            knob = slider.locator("input.dlbook-slider-input").first  # one real keyboard move per slider
            frame_before = slider.get_attribute("data-frame")
            knob.focus()
            page.keyboard.press("Home" if knob.input_value() == knob.get_attribute("max") else "End")
            seen["keyboard_moves"] = slider.get_attribute("data-frame") != frame_before
            seen["decodes"] = slider.locator("img.dlbook-slider-frame").evaluate(
                "img => img.decode().then(() => img.naturalWidth > 0, () => false)")
            found.append(seen)
        return found

    @staticmethod
    def _solutions(page):
        """Click each solution's title where a reader would (on its link, if it has one), twice."""
        problems, count = [], 0
        solutions = page.locator("div.solution.admonition")
        hidden = """() => [...document.querySelectorAll('div.solution.admonition')]
                     .map(s => s.classList.contains('toggle-hidden'))"""
        for i in range(solutions.count()):
            count += 1
            title = solutions.nth(i).locator(":scope > .admonition-title")
            link = title.locator("a")
            target = link.first if link.count() else title
            name = " ".join(title.inner_text().split())[:60]
            for click in (1, 2):
                before, url = page.evaluate(hidden), page.url
                target.click()
                after = page.evaluate(hidden)
                if after[i] == before[i]:
                    problems.append(f"click {click} on the title of '{name}' did not {'open' if before[i] else 'close'} it")
                others = [j for j in range(len(after)) if j != i and after[j] != before[j]]
                if others:
                    problems.append(f"click {click} on '{name}' toggled other solutions {others}")
                if page.url != url:
                    problems.append(f"click {click} on '{name}' navigated to {page.url}")
        return {"count": count, "problems": problems}

    @staticmethod
    def _desktop_sidebar(page):
        page.evaluate("() => window.scrollTo(0, 0)")
        toggle = page.locator(".primary-toggle:visible").first
        hidden = "() => document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')"
        toggle.click()
        closed = page.evaluate(hidden)
        toggle.click()
        return {"closes": closed, "reopens": not page.evaluate(hidden)}

    @staticmethod
    def _phone_sidebar(page, kind):
        toggles = page.locator(f".{kind}-toggle:visible")
        if not toggles.count():
            return "no visible toggle"
        toggles.first.click()
        dialog = page.locator(f"#pst-{kind}-sidebar-modal")
        try:
            dialog.locator("a").first.wait_for(state="visible", timeout=3_000)
        except Exception:
            return f"the {kind} toggle did not open the {kind} sidebar"
        page.keyboard.press("Escape")
        page.wait_for_timeout(50)
        return "opens" if not dialog.evaluate("d => d.open") else f"the {kind} sidebar did not close on Escape"

    def close(self):
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="module")
def observer(browser, server):
    o = Observer(browser, server)
    yield o
    o.close()


PAGES = both_editions(toc_pages())
# Pages of the book's text (formulas, solutions); the back matter and the teaching guide are not.
CHAPTER_PAGES = both_editions(e for e in toc_pages()
                              if e not in ("book/glossary", "book/references", "book/teaching"))


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_page_loads_offline_without_errors(observer, entry):
    for viewport in (DESKTOP, PHONE):
        note = observer.observe(entry, viewport)
        assert note["status"] == 200, f"{entry}: HTTP {note['status']}"
        assert not note["external"], f"{entry} at {viewport['width']} px: tried to reach other hosts: {note['external']}"
        assert not note["errors"], f"{entry} at {viewport['width']} px:\n" + "\n".join(note["errors"])
    assert not observer.observe(entry, DESKTOP)["broken_images"]


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_every_formula_renders_and_no_tex_source_shows(observer, entry):
    tex = observer.observe(entry, DESKTOP)["tex"]
    assert not tex["unrendered"], f"{entry}: math left unrendered: {tex['unrendered'][:3]}"
    assert not tex["errors"], f"{entry}: TeX errors: {tex['errors'][:3]}"
    assert not tex["visible"], f"{entry}: TeX source visible in the text (a formula Markdown did not parse):\n" + \
        "\n".join(tex["visible"])
    if entry in CHAPTER_PAGES:
        assert tex["maths"] > 0, f"{entry}: a chapter with no formula at all"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_display_equations_fit_the_column_at_1280px(observer, entry):
    wide = observer.observe(entry, DESKTOP)["wide_equations"]
    assert not wide, f"{entry}: {len(wide)} display equation(s) wider than the column at 1280 px " \
        "(break them with aligned/split):\n" + "\n".join(wide)


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_mathjax_typesets_after_the_first_paint_and_the_page_scripts(observer, entry):
    note = observer.observe(entry, DESKTOP)
    if not note["mathjax"]:
        pytest.skip(f"{entry} has no formula, so no MathJax")
    t = note["timings"]
    assert t["mathStart"] is not None and t["mathDone"] is not None, f"{entry}: dlbook.js did not run MathJax: {t}"
    assert t["fcp"] is not None and t["fcp"] <= t["mathDone"], f"{entry}: nothing was painted before MathJax: {t}"
    assert t["dcl"] <= t["mathStart"], f"{entry}: MathJax typeset before the page's own scripts ran: {t}"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_page_weight(observer, entry):
    own = observer.observe(entry, DESKTOP)["timings"]["ownBytes"]
    assert own < MAX_PAGE_BYTES, f"{entry} fetches {own / 1e6:.2f} MB besides the shared theme and MathJax files"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_cjk_font_fallback_applies(observer, entry):
    font = observer.observe(entry, DESKTOP)["font"]
    assert all(name.strip('"') in font for name in CJK_FONTS), f"{entry}: body font is {font}"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_every_slider_position_changes_its_image(observer, entry):
    for s, seen in enumerate(observer.observe(entry, DESKTOP)["sliders"]):
        assert seen["ready"], f"{entry}: slider {s} was not initialised"
        assert not seen["problems"], f"{entry}: slider {s}: " + "; ".join(seen["problems"])
        assert seen["keyboard_moves"] and seen["decodes"], f"{entry}: slider {s} does not answer the keyboard"
        assert seen["track"] >= MIN_TRACK_PX, f"{entry}: slider {s}'s track is {seen['track']:.0f} px wide"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_slider_frames_are_shown_near_their_natural_size(observer, entry):
    small = [f"slider {s}: {seen['natural']} px frame shown at {seen['shown']} px"
             for s, seen in enumerate(observer.observe(entry, DESKTOP)["sliders"]) if seen["scale"] < MIN_FRAME_SCALE]
    assert not small, f"{entry} at 1280 px (re-execute the chapter: frames must be <= 760 px):\n" + "\n".join(small)


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_a_tap_shows_a_shrunk_slider_frame_at_its_natural_size_on_a_phone(observer, entry):
    problems = observer.observe(entry, PHONE)["frame_zoom"]
    assert not problems, f"{entry} at 390 px:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("entry", CHAPTER_PAGES)
def test_clicking_a_solution_title_opens_that_solution(observer, entry):
    solutions = observer.observe(entry, DESKTOP)["solutions"]
    assert not solutions["problems"], f"{entry}:\n" + "\n".join(solutions["problems"])


def test_every_chapter_has_solutions_to_click(built):
    from dlbook.lecture.book import chapters

    for _, path in chapters(ROOT):
        entry = path.relative_to(ROOT).with_suffix("").as_posix()
        assert 'class="solution dropdown' in (built / f"{entry}.html").read_text(encoding="utf8"), entry


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_sidebar_toggles_work(observer, entry):
    assert observer.observe(entry, DESKTOP)["sidebar"] == {"closes": True, "reopens": True}
    toggles = observer.observe(entry, PHONE)["toggles"]
    assert toggles["primary"] == "opens", f"{entry} at 390 px: {toggles['primary']}"
    assert toggles["secondary"] in ("opens", "no visible toggle"), f"{entry} at 390 px: {toggles['secondary']}"
    if entry in CHAPTER_PAGES:
        assert toggles["secondary"] == "opens", f"{entry} at 390 px: no 'Contents' button"


@pytest.mark.browser
@pytest.mark.parametrize("entry", PAGES)
def test_nothing_widens_the_page_on_a_phone(observer, entry):
    overflow = observer.observe(entry, PHONE)["overflow"]
    assert not overflow, f"{entry} is wider than a 390 px screen:\n" + "\n".join(overflow)


@pytest.mark.browser
@pytest.mark.parametrize("edition, term, title", [("", SEARCH_TERM, "Preface"),
                                                  (f"{ZH}/", "反向传播", "反向传播")])
def test_search_finds_a_term(browser, server, edition, term, title):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/{edition}search.html?q={term}")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    assert any(title in h for h in hits), hits
    assert not errors, errors
    page.close()


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


@pytest.mark.browser
def test_every_chapter_links_a_deck_that_runs_offline(browser, server, built):
    """Each chapter page links its slides and student notebook; each deck loads with no error and
    no request to another host, shows its slides and typesets its formulas with the site's MathJax."""
    from dlbook.lecture.book import chapters

    for _, path in chapters(ROOT):
        stem = path.stem
        page_html = (built / "book" / f"{stem}.html").read_text(encoding="utf8")
        assert f'href="../slides/{stem}.html"' in page_html and f'href="../student/{stem}.ipynb"' in page_html
        assert (built / "student" / f"{stem}.ipynb").is_file()
        page = browser.new_page(viewport=DESKTOP)
        external, errors = [], []
        page.route("**/*", lambda route: (external.append(route.request.url), route.abort())
                   if not route.request.url.startswith(server) else route.continue_())
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/slides/{stem}.html", wait_until="load")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        slides = page.evaluate("() => Reveal.getTotalSlides()")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
        rendered = page.locator("mjx-container").count()
        page.close()
        assert not external and not errors, f"{stem}: {external} {errors}"
        assert slides >= 10 and rendered > 0, f"{stem}: {slides} slides, {rendered} formulas"
