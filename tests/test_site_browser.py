"""The built website and slide decks, opened in a real browser (headless Debian Chromium).

Builds the site (scripts/build_site.sh) and the decks (scripts/build_slides.sh) once, serves the
build folder on 127.0.0.1 and opens the site's index, every lesson page, the slides' index and
every deck. On each page: the math is rendered by MathJax (no raw TeX delimiters left in the text),
every image loaded, no request went to any host but 127.0.0.1, and the console shows no error.
One screenshot per kind of page goes to screenshots/ for a reviewer. Every slide of every deck is
measured at 1280x720 (a projector): none may be taller than the screen or have code wider than
its box. Every speaker note must be in its deck's notes and, marked "For instructors", on the site.

Needs /usr/bin/chromium (`apt-get install chromium`) and the `playwright` package (the `site`
extra); without them the test is skipped with a warning in pytest's summary, except in CI
(CI=true), where it is mandatory.
NOTEBOOKS_DIR and BUILD_DIR (environment) choose other lesson and build folders, as for the scripts.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(os.environ.get("NOTEBOOKS_DIR", ROOT / "notebooks")).resolve()
BUILD = Path(os.environ.get("BUILD_DIR", ROOT / "build")).resolve()
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

LESSONS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SCREEN = (1280, 720)  # every slide must fit a projector of this size without scrolling


def _skip_or_fail(message: str):
    if IN_CI:
        pytest.fail(f"{message} (the browser test is mandatory in CI)", pytrace=False)
    # A warning shows in pytest's summary without -rs, so no one mistakes the skip for a pass.
    warnings.warn(f"the website and slides were NOT checked in a browser: {message}", UserWarning, stacklevel=2)
    pytest.skip(message)


def _lesson_facts(name: str) -> dict:
    """What a lesson's notebook promises: math in its markdown, figures, speaker notes."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    def kind(c):
        return c.get("metadata", {}).get("slideshow", {}).get("slide_type")

    # math shown both on the site and in the slides (notes are speaker-only, skip cells site-only)
    markdown = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown" and kind(c) not in ("notes", "skip")
    )
    images = sum(
        1
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if any(k.startswith("image/") for k in o.get("data", {}))
    )
    notes = sum(1 for c in nb["cells"] if kind(c) == "notes")
    has_math = bool(re.search(r"\$[^$\n]+\$|\\begin\{", markdown))
    return {"math": has_math, "images": images, "notes": notes}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def build_dir():
    if not LESSONS:
        pytest.skip(f"no lesson notebooks (NN_topic.ipynb) in {NOTEBOOKS} yet: nothing to build")
    if not Path(CHROMIUM).exists():
        _skip_or_fail(
            f"{CHROMIUM} not found: install Debian's Chromium to run the browser test "
            "(`sudo apt-get install chromium`)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("the playwright package is missing: pip install -e '.[site]'")
    env = dict(os.environ, NOTEBOOKS_DIR=str(NOTEBOOKS), BUILD_DIR=str(BUILD), PYTHON=sys.executable)

    def start(script):
        return subprocess.Popen(
            ["bash", str(ROOT / "scripts" / script)], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def finish(script, proc):
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{script} failed:\n{out}"

    # The two builds run side by side once node_modules/ is installed (the first build installs it).
    site = start("build_site.sh")
    if not (ROOT / "node_modules" / ".package-lock.json").exists():
        finish("build_site.sh", site)
        site = None
    slides = start("build_slides.sh")
    if site is not None:
        finish("build_site.sh", site)
    finish("build_slides.sh", slides)
    return BUILD


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server(build_dir):
    handler = functools.partial(_QuietHandler, directory=str(build_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": SCREEN[0], "height": SCREEN[1]},  # a projector
            service_workers="block",
        )
        context.outside = []  # every request of any page or pop-up to a host other than 127.0.0.1

        def only_local(route):  # such a request is recorded and aborted: it never leaves the machine
            url = route.request.url
            if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname == "127.0.0.1":
                route.continue_()
            else:
                context.outside.append(url)
                route.abort()

        context.route("**/*", only_local)
        try:
            yield context
        finally:
            context.close()


class Visit:
    """A page opened in the browser, with everything it requested and logged."""

    def __init__(self, context, url: str):
        self.url = url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        page = self.page
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )
        page.goto(url, wait_until="load", timeout=20_000)

    def outside_requests(self) -> list[str]:
        return [
            u
            for u in self.requests
            if not u.startswith(("data:", "blob:", "about:")) and urlsplit(u).hostname != "127.0.0.1"
        ]

    def wait_for_images(self):
        self.page.wait_for_function(
            "Array.from(document.images).every(i => i.complete)", timeout=20_000
        )

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => (i.currentSrc || i.src).slice(0, 100))"
        )

    def broken_links(self, *, anchors: bool) -> list[str]:
        """Links inside the build that lead nowhere: a missing file, or (anchors=True) a missing #id."""
        links = self.page.evaluate(
            "Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'), a.href])"
        )
        broken = []
        for href, absolute in links:
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1" or href in ("#", ""):
                continue
            if href.startswith("#"):
                if anchors and not self.page.evaluate("id => !!document.getElementById(id)", unquote(href[1:])):
                    broken.append(href)
            elif not (BUILD / unquote(parts.path).lstrip("/")).exists():
                broken.append(href)
        return broken

    def raw_tex(self) -> list[str]:
        """TeX delimiters left in the visible prose (code, outputs and scripts are not prose)."""
        text = self.page.evaluate(
            """() => {
                const skip = 'SCRIPT,STYLE,PRE,CODE,TEXTAREA,NOSCRIPT';
                const out = [];
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    let p = n.parentElement, hidden = false;
                    for (; p; p = p.parentElement) {
                        if (skip.includes(p.tagName) || p.classList.contains('highlight')
                            || p.classList.contains('MathJax_Preview')) { hidden = true; break; }
                    }
                    if (!hidden) out.push(n.textContent);
                }
                return out.join(' ');
            }"""
        )
        patterns = [r"\$\$", r"\\\(", r"\\\[", r"\\begin\{", r"\$[^\s$][^$\n]{0,200}?[^\s$\\]\$", r"\$[^\s$]\$"]
        return [m.group(0)[:60] for pat in patterns for m in re.finditer(pat, text)]

    def check(self, *, expect_math: bool, what: str):
        self.wait_for_images()
        problems = []
        if self.outside_requests():
            problems.append(f"requests to other hosts: {self.outside_requests()}")
        if self.errors:
            problems.append(f"console errors: {self.errors}")
        if self.broken_images():
            problems.append(f"images not loaded: {self.broken_images()}")
        if self.raw_tex():
            problems.append(f"raw TeX left in the text: {self.raw_tex()[:5]}")
        if expect_math and not self.page.evaluate(
            "document.querySelectorAll('mjx-container, .MathJax_CHTML, .mjx-chtml, .MathJax, .MathJax_SVG').length"
        ):
            problems.append("no MathJax output element on a page that has math")
        if self.page.evaluate("document.querySelectorAll('mjx-merror, .mjx-merror, .MathJax_Error').length"):
            problems.append("MathJax reports a TeX error")
        assert not problems, f"{what} ({self.url}):\n  " + "\n  ".join(problems)

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name))

    def close(self):
        self.page.close()


def _wait_mathjax3(visit: Visit):
    """Wait for MathJax 3's first typesetting (pages without math do not load MathJax)."""
    visit.page.evaluate(
        "() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        " ? MathJax.startup.promise.then(() => true) : true"
    )


def _wait_mathjax2(visit: Visit):
    visit.page.wait_for_function("window.MathJax && window.MathJax.Hub", timeout=20_000)
    visit.page.evaluate(
        "() => new Promise(done => MathJax.Hub.Queue(() => done(true)))"
    )


# --------------------------------------------------------------------------- the website


def test_site_index(browser, server):
    visit = Visit(browser, f"{server}/site/index.html")
    _wait_mathjax3(visit)
    visit.check(expect_math=False, what="site index")
    assert not visit.broken_links(anchors=True), f"site index: broken links {visit.broken_links(anchors=True)}"
    links = visit.page.evaluate(
        "Array.from(document.querySelectorAll('nav a.reference.internal')).map(a => a.getAttribute('href'))"
    )
    for name in LESSONS:
        assert f"{name}.html" in links, f"the site's navigation has no link to {name}: {links}"
    assert "references.html" in links, f"the site's navigation has no link to the references page: {links}"
    assert visit.page.locator("form[action*='search'], .search-button, input[type='search']").count(), (
        "no search box on the site's index"
    )
    visit.screenshot("site_index.png")
    visit.close()


@pytest.mark.parametrize("lesson", LESSONS or ["(no lessons)"])
def test_site_lesson(browser, server, lesson):
    facts = _lesson_facts(lesson)
    visit = Visit(browser, f"{server}/site/{lesson}.html")
    _wait_mathjax3(visit)
    visit.check(expect_math=facts["math"], what=f"site page of {lesson}")
    assert not visit.broken_links(anchors=True), f"{lesson}: broken links {visit.broken_links(anchors=True)}"
    if facts["math"]:
        unrendered = visit.page.evaluate(
            "Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container')).length"
        )
        assert unrendered == 0, f"{unrendered} math element(s) of {lesson} not rendered by MathJax"
    shown = visit.page.evaluate("document.querySelectorAll('.cell_output img, .output img').length")
    assert shown >= facts["images"], f"{lesson}: {facts['images']} figure output(s) stored, {shown} shown"
    no_alt = visit.page.evaluate(
        "Array.from(document.querySelectorAll('.cell_output img, .output img')).filter(i => !i.alt.trim() || i.alt.includes('_images/')).length"
    )
    assert no_alt == 0, f"{lesson}: {no_alt} figure(s) without alt text saying what they show (scripts/site_pages.py figure_alt)"
    if lesson == LESSONS[0]:
        visit.screenshot("site_lesson.png")
    visit.close()


def test_site_references(browser, server):
    """The references page (docs/references.md) is built and cites the papers the lessons lean on."""
    visit = Visit(browser, f"{server}/site/references.html")
    visit.check(expect_math=False, what="references page")
    text = visit.page.locator("main, article, body").first.inner_text()
    for source in ("Hochreiter", "Understanding LSTM Networks", "Gers"):
        assert source in text, f"the references page does not cite {source!r}"
    visit.close()


def test_site_search(browser, server):
    """The search page finds the first lesson by a word of its title."""
    title = Visit(browser, f"{server}/site/{LESSONS[0]}.html")
    heading = title.page.locator("h1").first.inner_text()
    title.close()
    word = max(re.findall(r"[A-Za-z]{4,}", heading) or ["LSTM"], key=len)
    visit = Visit(browser, f"{server}/site/search.html?q={word}")
    visit.page.wait_for_selector("#search-results ul li, #search-results .search li", timeout=20_000)
    hits = visit.page.locator("#search-results li").count()
    assert hits > 0, f"searching the site for {word!r} found nothing"
    assert not visit.errors and not visit.outside_requests(), visit.errors + visit.outside_requests()
    visit.close()


# --------------------------------------------------------------------------- the slides


def test_slides_index(browser, server):
    visit = Visit(browser, f"{server}/slides/index.html")
    visit.check(expect_math=False, what="slides index")
    assert not visit.broken_links(anchors=False), f"slides index: broken links {visit.broken_links(anchors=False)}"
    links = visit.page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    for name in LESSONS:
        assert f"{name}.slides.html" in links, f"the slides' index has no link to {name}"
    visit.close()


@pytest.mark.parametrize("lesson", LESSONS or ["(no lessons)"])
def test_deck(browser, server, lesson):
    facts = _lesson_facts(lesson)
    visit = Visit(browser, f"{server}/slides/{lesson}.slides.html")
    page = visit.page
    page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=20_000)
    _wait_mathjax2(visit)
    # Step through every slide as a lecturer would (MathJax re-renders on each change).
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total >= 1
    steps = page.evaluate(
        """() => { let n = 0;
            while (n < 2000 && !(Reveal.isLastSlide() && !Reveal.availableFragments().next)) { Reveal.next(); n++; }
            return n; }"""
    )
    assert steps >= total - 1
    _wait_mathjax2(visit)
    assert page.evaluate("Reveal.isLastSlide()"), f"{lesson}: could not step to the last slide"
    page.evaluate("Reveal.slide(0, 0)")
    visit.check(expect_math=facts["math"], what=f"deck of {lesson}")
    _check_every_slide_fits(visit, lesson)
    assert not visit.broken_links(anchors=False), f"{lesson}: broken links {visit.broken_links(anchors=False)}"
    assert page.evaluate("Reveal.hasPlugin('notes')"), f"{lesson}: the speaker-notes plugin did not load"
    notes = page.evaluate("document.querySelectorAll('aside.notes').length")
    assert notes >= facts["notes"], f"{lesson}: {facts['notes']} notes cell(s), {notes} speaker note(s) in the deck"
    if lesson == LESSONS[0]:
        # the slide that shows the most: a figure and math if one has both, else a figure, else math
        page.evaluate(
            """() => {
                const score = s => (s.querySelector('img') ? 2 : 0) + (s.querySelector('.MathJax_CHTML, .mjx-chtml') ? 1 : 0);
                const slides = Reveal.getSlides().filter(s => !s.querySelector('section'));
                const best = slides.reduce((a, b) => (score(b) > score(a) ? b : a), slides[0]);
                const ix = Reveal.getIndices(best); Reveal.slide(ix.h, ix.v);
                while (Reveal.availableFragments().next) Reveal.nextFragment();
            }"""
        )
        _wait_mathjax2(visit)
        time.sleep(1.0)  # the slide transition
        visit.screenshot("slides_deck.png")
    visit.close()


def _check_every_slide_fits(visit: "Visit", lesson: str):
    """Each leaf slide, with all its fragments shown, is no taller than the deck's logical height
    (reveal.js scales that to the screen) and no code block is wider than its box. The sizes go
    to screenshots/slide_sizes/ for a reviewer."""
    sizes = visit.page.evaluate(
        """() => {
            const cfg = Reveal.getConfig(), out = [];
            for (const s of Reveal.getSlides()) {
                const ix = Reveal.getIndices(s); Reveal.slide(ix.h, ix.v, 999);
                const wide = Array.from(s.querySelectorAll('pre'))
                    .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 60));
                out.push({h: ix.h, v: ix.v || 0, height: s.scrollHeight, width: s.scrollWidth, wide: wide,
                          start: (s.innerText || '').trim().slice(0, 60)});
            }
            Reveal.slide(0, 0);
            return {width: cfg.width, height: cfg.height, slides: out};
        }"""
    )
    (SCREENSHOTS / "slide_sizes").mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "slide_sizes" / f"{lesson}.json").write_text(json.dumps(sizes, indent=1))
    # reveal.js keeps the logical width/height ratio: a deck laid out for a wider ratio would shrink
    assert sizes["width"] / sizes["height"] == pytest.approx(SCREEN[0] / SCREEN[1], rel=0.02), sizes
    tall = [f"slide {s['h'] + 1}.{s['v'] + 1}: {s['height']} px ({s['start']!r})"
            for s in sizes["slides"] if s["height"] > sizes["height"]]
    wide = [f"slide {s['h'] + 1}.{s['v'] + 1}: code {w!r}" for s in sizes["slides"] for w in s["wide"]]
    wide += [f"slide {s['h'] + 1}.{s['v'] + 1}: {s['width']} px wide"
             for s in sizes["slides"] if s["width"] > sizes["width"]]
    assert not tall, f"{lesson}: slides taller than {sizes['height']} px (they would scroll):\n  " + "\n  ".join(tall)
    assert not wide, f"{lesson}: content wider than the slide:\n  " + "\n  ".join(wide)


class _BlockText(HTMLParser):
    """The text of every <tag class="... cls ..."> element of a page, TeX math removed."""

    def __init__(self, tag: str, cls: str):
        super().__init__(convert_charrefs=True)
        self.tag, self.cls, self.depth, self.parts, self.blocks = tag, cls, 0, [], []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag == self.tag
        elif tag == self.tag and self.cls in (dict(attrs).get("class") or "").split():
            self.depth, self.parts = 1, []

    def handle_endtag(self, tag):
        if self.depth and tag == self.tag:
            self.depth -= 1
            if not self.depth:
                self.blocks.append("".join(self.parts))

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def _words(text: str) -> str:
    """The words of a text, without TeX math, Markdown link targets or markup, to compare renderings."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", " ", text)
    return " ".join(re.findall(r"[A-Za-z0-9]+", text))


def _speaker_notes(lesson: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"]
            if c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"]


@pytest.mark.parametrize("lesson", LESSONS or ["(no lessons)"])
def test_every_speaker_note_is_on_the_site_marked_and_in_the_deck(build_dir, lesson):
    """Nothing of a lesson is lost: each note is in the deck's speaker notes, and on the site in a
    box titled "For instructors"."""
    notes = _speaker_notes(lesson)
    site, deck = _BlockText("div", "instructor-notes"), _BlockText("aside", "notes")
    site.feed((build_dir / "site" / f"{lesson}.html").read_text(encoding="utf-8"))
    deck.feed((build_dir / "slides" / f"{lesson}.slides.html").read_text(encoding="utf-8"))
    assert len(site.blocks) == len(notes), f"{lesson}: {len(notes)} notes, {len(site.blocks)} asides on the site"
    for note, block in zip(notes, site.blocks):
        assert _words(block).startswith("For instructors "), block[:80]
        assert _words(note) in _words(block), f"{lesson}: the site's aside lacks part of the note {note[:60]!r}"
    speaker = " | ".join(_words(b) for b in deck.blocks)
    for note in notes:
        assert _words(note) in speaker, f"{lesson}: the deck's speaker notes lack {note[:60]!r}"


def test_speaker_view(browser, server):
    """Pressing s opens the speaker view with the current slide's notes, still offline."""
    with_notes = [n for n in LESSONS if _lesson_facts(n)["notes"]]
    if not with_notes:
        pytest.skip("no lesson has speaker notes (cells of slide type 'notes') yet")
    lesson = with_notes[0]
    visit = Visit(browser, f"{server}/slides/{lesson}.slides.html")
    page = visit.page
    page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=20_000)
    page.evaluate(
        """() => {
            const s = Reveal.getSlides().find(s => s.querySelector('aside.notes'));
            const ix = Reveal.getIndices(s); Reveal.slide(ix.h, ix.v);
        }"""
    )
    with page.expect_popup(timeout=20_000) as popup_info:
        page.keyboard.press("s")
    popup = popup_info.value
    popup.wait_for_selector(".speaker-controls-notes", timeout=20_000)
    popup.wait_for_function(
        "document.querySelector('.speaker-controls-notes .value') && "
        "document.querySelector('.speaker-controls-notes .value').textContent.trim().length > 0",
        timeout=20_000,
    )
    popup.wait_for_timeout(1000)  # the current and the next slide render in the speaker view
    SCREENSHOTS.mkdir(exist_ok=True)
    popup.screenshot(path=str(SCREENSHOTS / "slides_speaker_view.png"))
    popup.close()
    assert not visit.errors, visit.errors
    assert not visit.outside_requests(), visit.outside_requests()
    assert not browser.outside, f"requests to other hosts: {browser.outside}"
    visit.close()
