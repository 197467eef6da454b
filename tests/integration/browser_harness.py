r"""Render mermaid diagrams and self-contained HTML pages in a real headless Chromium.

Everything runs offline: Chromium and chromedriver come from Debian's packages,
mermaid's single-file browser bundle (``mermaid.min.js``) from an npm install,
and pages are loaded from ``file://`` with every http(s)/ws(s) request blocked.

Typical use (pytest: see ``conftest.py`` for the session-scoped fixture)::

    reason = unavailable_reason()          # None when browser, driver and mermaid are here
    with Browser() as browser:
        result = browser.render_mermaid("flowchart LR\\n  A --> B")
        assert result.ok, result.error
        assert "A" in result.labels

        page = browser.load_html("report.html")
        page.wait_for_mermaid()
        assert "port 443" in page.text("table")

Configuration (environment variables):

``ANBOX_PORTS_CHROMIUM``      browser binary (default ``/usr/bin/chromium``)
``ANBOX_PORTS_CHROMEDRIVER``  driver binary (default ``/usr/bin/chromedriver``)
``ANBOX_PORTS_MERMAID_JS``    path of ``mermaid.min.js`` (wins over the next one)
``ANBOX_PORTS_NODE_MODULES``  a ``node_modules`` dir holding ``mermaid/dist/mermaid.min.js``

Without the last two, ``mermaid.min.js`` is looked for under
``.ci/node/node_modules`` of the current directory and of each parent (``.ci/run`` installs the
pinned version there: ``npm ci --prefix .ci/node``).

Label escaping is the library's own (``anbox_cloud_ports.render.mermaid.label``); the tests here
prove it against mermaid in the browser.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver"
MERMAID_DIST = Path("mermaid") / "dist" / "mermaid.min.js"

# Flags Chromium needs to run headless as root on a machine with no network
# besides package registries.  Without the background-networking ones it tries
# to reach Google services at start-up.  --disable-dev-shm-usage: Debian's
# launcher means to add it when /dev/shm is small (containers have 64 MiB),
# but its check breaks when findmnt prints two lines, so we always add it.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--window-size=1280,1024",
)

# Requests to these schemes are refused by the browser itself (CDP
# Network.setBlockedURLs) so a page that is not self-contained cannot wait on
# the network; the attempt is still recorded and reported by Page.external_requests().
BLOCKED_URL_PATTERNS = ("http://*", "https://*", "ws://*", "wss://*", "ftp://*")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "chrome-error:", "devtools:")

# Mermaid settings every render starts from.  'strict' is mermaid's default;
# it is restated because a diagram's own %%{init}%% cannot change it
# (securityLevel is in mermaid's 'secure' list) and tests rely on that.
BASE_MERMAID_CONFIG: dict[str, Any] = {
    "startOnLoad": False,
    "securityLevel": "strict",
    "logLevel": 5,  # fatal only: keep the console clean
}


class HarnessError(RuntimeError):
    """The browser could not be started or driven (not a diagram error)."""


# --------------------------------------------------------------------------- lookup


def chromium_path() -> str:
    return os.environ.get("ANBOX_PORTS_CHROMIUM", DEFAULT_CHROMIUM)


def chromedriver_path() -> str:
    return os.environ.get("ANBOX_PORTS_CHROMEDRIVER", DEFAULT_CHROMEDRIVER)


def _executable_reason(path: str, what: str, hint: str) -> str | None:
    p = Path(path)
    if not p.is_file():
        return f"{what} not found at {path} ({hint})"
    if not os.access(p, os.X_OK):
        return f"{what} at {path} is not executable"
    return None


def _major_version(binary: str) -> int | None:
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)\.\d+\.\d+", out)
    return int(m.group(1)) if m else None


def chromium_available() -> str | None:
    """None when Chromium and chromedriver are usable, else the reason they are not."""
    hint = "apt-get install -y chromium chromium-driver"
    for path, what in ((chromium_path(), "chromium"), (chromedriver_path(), "chromedriver")):
        reason = _executable_reason(path, what, hint)
        if reason:
            return reason
    import importlib.util

    if importlib.util.find_spec("selenium") is None:
        return "python package selenium is not installed (pip install selenium)"
    browser_major = _major_version(chromium_path())
    driver_major = _major_version(chromedriver_path())
    if browser_major is None or driver_major is None:
        return f"could not read the version of {chromium_path()} or {chromedriver_path()}"
    if browser_major != driver_major:
        return (
            f"chromium {browser_major} and chromedriver {driver_major} differ; "
            "install both from the same source"
        )
    return None


def find_mermaid_js() -> Path | None:
    """The mermaid.min.js to inline, or None."""
    explicit = os.environ.get("ANBOX_PORTS_MERMAID_JS")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    candidates: list[Path] = []
    node_modules = os.environ.get("ANBOX_PORTS_NODE_MODULES")
    if node_modules:
        candidates.append(Path(node_modules) / MERMAID_DIST)
    else:
        here = Path.cwd().resolve()
        for d in (here, *here.parents):
            candidates.append(d / ".ci" / "node" / "node_modules" / MERMAID_DIST)
        candidates.append(
            Path(__file__).resolve().parents[2] / ".ci" / "node" / "node_modules" / MERMAID_DIST
        )
    return next((c for c in candidates if c.is_file()), None)


def mermaid_available() -> str | None:
    """None when mermaid.min.js was found, else the reason it was not."""
    if find_mermaid_js() is not None:
        return None
    explicit = os.environ.get("ANBOX_PORTS_MERMAID_JS")
    if explicit:
        return f"ANBOX_PORTS_MERMAID_JS={explicit} is not a file"
    return (
        "mermaid.min.js not found (set ANBOX_PORTS_MERMAID_JS or ANBOX_PORTS_NODE_MODULES, "
        "or run: npm install --prefix .ci/node mermaid@11.17.2)"
    )


def mermaid_version(js_path: Path | None = None) -> str | None:
    """Version from the package.json two levels above mermaid.min.js, if there."""
    js_path = js_path or find_mermaid_js()
    if js_path is None:
        return None
    pkg = js_path.resolve().parent.parent / "package.json"
    try:
        return json.loads(pkg.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def unavailable_reason(*, need_mermaid: bool = True) -> str | None:
    """One skip reason covering browser, driver, selenium and (optionally) mermaid."""
    return chromium_available() or (mermaid_available() if need_mermaid else None)


# --------------------------------------------------------------------------- HTML helpers


def inline_script(js: str) -> str:
    """A <script> element carrying ``js`` inline, safe against the HTML tokenizer.

    Inside <script>, the text ``</script`` ends the element and ``<!--`` followed by
    ``<script`` changes tokenizer state; both are rewritten with a backslash, which
    means the same inside JS strings, template literals and regex literals (the only
    places they can appear in a bundle).
    """
    safe = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE).replace("<!--", "<\\!--")
    return f"<script>{safe}</script>"


def mermaid_script_tag(js_path: Path | None = None) -> str:
    js_path = js_path or find_mermaid_js()
    if js_path is None:
        raise HarnessError(mermaid_available() or "mermaid.min.js not found")
    return inline_script(js_path.read_text(encoding="utf-8"))


def mermaid_block(diagram: str) -> str:
    """A <pre class="mermaid"> for a page rendered by mermaid.run()/startOnLoad.

    mermaid reads the element's innerHTML and decodes HTML entities, so the diagram
    text is HTML-escaped here (a '<' or '&' in a label would otherwise be parsed as
    markup by the browser before mermaid sees it).
    """
    return f'<pre class="mermaid">{html.escape(diagram, quote=False)}</pre>'


def build_page(
    body: str, *, title: str = "test", mermaid: bool = True, mermaid_config: dict[str, Any] | None = None
) -> str:
    """A self-contained HTML document; with ``mermaid`` the bundle is inlined and run."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "</head><body>",
        body,
    ]
    if mermaid:
        config = {**BASE_MERMAID_CONFIG, **(mermaid_config or {}), "startOnLoad": True}
        parts.append(mermaid_script_tag())
        parts.append(f"<script>mermaid.initialize({json.dumps(config)});</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class RenderResult:
    ok: bool
    error: str | None  # mermaid's own message when not ok
    stage: str | None  # 'parse' or 'render' when not ok
    diagram_type: str | None
    labels: tuple[str, ...]  # text of each label in the SVG, document order
    svg: str
    seconds: float

    def raise_for_error(self) -> RenderResult:
        if not self.ok:
            raise AssertionError(f"mermaid {self.stage} error:\n{self.error}")
        return self


_RENDER_PAGE_SCRIPT = r"""
window.__anboxHarness = {
  // Anything a hostile label manages to run would call this; tests read it.
  tripwire: [],
  labels(svgText) {
    // Parse as HTML, not XML: mermaid serialises HTML labels with <br> and &nbsp;,
    // which are XML errors.  A DOMParser document is inert: no script runs and
    // no image loads in it.
    const doc = new DOMParser().parseFromString(svgText, 'text/html');
    const clean = s => s.split('\n').map(l => l.replace(/[ \t\r\f\v\u00a0]+/g, ' ').trim())
                        .filter(Boolean).join('\n');
    const out = [];
    // HTML labels (htmlLabels: true, flowchart default) live in foreignObject;
    // SVG labels in <text>, one <tspan> row per line and often one per word.
    for (const el of doc.querySelectorAll('foreignObject, text')) {
      if (el.tagName.toLowerCase() === 'text' && el.closest('foreignObject')) continue;
      const c = el.cloneNode(true);
      for (const br of c.querySelectorAll('br')) br.replaceWith('\n');
      let t;
      const rows = c.tagName.toLowerCase() === 'text'
        ? c.querySelectorAll(':scope > tspan.text-outer-tspan, :scope > tspan.row') : [];
      if (rows.length) t = Array.from(rows, r => r.textContent.replace(/\s+/g, ' ')).join('\n');
      else t = c.textContent;
      t = clean(t);
      if (t) out.push(t);
    }
    return out;
  },
  activeContent(svgText) {
    // Elements and attributes through which an SVG could run code or fetch:
    // what a sanitised diagram must not contain.
    const doc = new DOMParser().parseFromString(svgText, 'text/html');
    const bad = [];
    const tags = new Set(['script', 'iframe', 'frame', 'object', 'embed', 'img', 'image',
                          'link', 'meta', 'base', 'form', 'input', 'button', 'audio', 'video']);
    for (const el of doc.body.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (tags.has(tag)) bad.push(`<${tag}>`);
      for (const a of el.attributes) {
        const n = a.name.toLowerCase();
        if (n.startsWith('on')) bad.push(`<${tag} ${n}>`);
        if (['href', 'xlink:href', 'src', 'action', 'formaction'].includes(n) && !a.value.startsWith('#'))
          bad.push(`<${tag} ${n}=${a.value}>`);
      }
    }
    return bad;
  },
};
"""

_RENDER_CALL = r"""
const [text, id, config, done] = arguments;
(async () => {
  const h = window.__anboxHarness;
  let diagramType = null;
  try {
    mermaid.initialize(config);
    const parsed = await mermaid.parse(text);
    diagramType = parsed && parsed.diagramType || null;
  } catch (e) {
    done({ok: false, stage: 'parse', error: String(e && e.message || e), diagramType});
    return;
  }
  try {
    const {svg} = await mermaid.render(id, text);
    const labels = h.labels(svg);
    // Past maxTextSize mermaid parses fine and renders a stand-in diagram instead.
    const tooBig = 'Maximum text size in diagram exceeded';
    if (labels.includes(tooBig) && !text.includes(tooBig)) {
      const limit = mermaid.mermaidAPI.getConfig().maxTextSize;
      done({ok: false, stage: 'render', diagramType, svg,
            error: `${tooBig}: ${text.length} characters, maxTextSize is ${limit}`});
      return;
    }
    done({ok: true, svg, labels, diagramType});
  } catch (e) {
    done({ok: false, stage: 'render', error: String(e && e.message || e), diagramType});
  } finally {
    // mermaid.render leaves its scratch container behind on failure.
    for (const el of document.querySelectorAll('[id^="d' + id + '"], #' + id)) el.remove();
  }
})();
"""

_MERMAID_STATUS = r"""
const nodes = Array.from(document.querySelectorAll(arguments[0]));
return nodes.map(n => ({
  processed: n.getAttribute('data-processed') === 'true',
  hasSvg: !!n.querySelector('svg'),
  error: !!n.querySelector('svg[aria-roledescription="error"], .error-icon'),
  text: n.querySelector('svg') ? n.querySelector('svg').textContent : n.textContent,
}));
"""


# --------------------------------------------------------------------------- browser


class Page:
    """One loaded HTML file, in its own tab of a Browser."""

    def __init__(self, browser: Browser, handle: str, url: str, generation: int):
        self._browser = browser
        self._handle = handle
        self.url = url
        self._generation = generation
        self._requests: dict[str, tuple[str, str | None]] = {}

    def _focus(self):
        if self._generation != self._browser._page_generation:
            raise HarnessError("this Page was replaced by a later load_html()")
        return self._browser._switch(self._handle)

    def js(self, script: str, *args: Any) -> Any:
        """Run ``script`` as a function body in the page (use ``return``); returns its value."""
        return self._focus().execute_script(script, *args)

    def js_async(self, script: str, *args: Any) -> Any:
        """Like js(); the script gets a callback as its last argument and must call it."""
        return self._focus().execute_async_script(script, *args)

    def texts(self, css: str) -> list[str]:
        """textContent of every element matching ``css``, whitespace collapsed."""
        return self.js(
            "return Array.from(document.querySelectorAll(arguments[0]),"
            " e => e.textContent.replace(/\\s+/g, ' ').trim());",
            css,
        )

    def text(self, css: str) -> str:
        """textContent of the single element matching ``css`` (error if 0 or >1)."""
        found = self.texts(css)
        if len(found) != 1:
            raise AssertionError(f"{css!r} matched {len(found)} elements in {self.url}")
        return found[0]

    def visible_text(self, css: str = "body") -> str:
        """What a person sees (innerText: hidden elements and <script> excluded)."""
        return self.js("return document.querySelector(arguments[0]).innerText;", css)

    def table(self, css: str = "table") -> list[list[str]]:
        """Rows of cells (th and td) of the first table matching ``css``."""
        return self.js(
            "const t = document.querySelector(arguments[0]);"
            "if (!t) return null;"
            "return Array.from(t.rows, r => Array.from(r.cells,"
            " c => c.textContent.replace(/\\s+/g, ' ').trim()));",
            css,
        )

    def wait_for(self, script: str, timeout: float = 10.0, *args: Any) -> Any:
        """Poll ``script`` (returns a value) until truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(script, *args)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout}s for: {script}")
            time.sleep(0.02)

    def wait_for_mermaid(
        self, css: str = ".mermaid", timeout: float = 15.0, expect: int | None = None
    ) -> list[dict[str, Any]]:
        """Wait until every element matching ``css`` holds mermaid's SVG.

        Returns one dict per element: processed, hasSvg, error (mermaid drew its
        'Syntax error' picture) and text (the SVG's textContent).  Raises
        AssertionError when ``expect`` is given and the count differs, or when
        mermaid rendered an error for any of them.
        """
        deadline = time.monotonic() + timeout
        while True:
            status = self.js(_MERMAID_STATUS, css)
            if status and all(s["hasSvg"] for s in status):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"mermaid did not render {css!r} within {timeout}s: {status}; "
                    f"console: {self.console_errors()}"
                )
            time.sleep(0.05)
        if expect is not None and len(status) != expect:
            raise AssertionError(f"expected {expect} mermaid diagrams, found {len(status)}")
        bad = [i for i, s in enumerate(status) if s["error"]]
        if bad:
            raise AssertionError(f"mermaid drew its error picture for diagram(s) {bad}: {status}")
        return status

    def console(self) -> list[dict[str, Any]]:
        """Browser console entries since the last call (any tab)."""
        self._focus()
        return self._browser._drain_console()

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.console() if e.get("level") == "SEVERE"]

    def _collect_requests(self) -> dict[str, tuple[str, str | None]]:
        self._focus()
        for rid, url, failure in self._browser._drain_external_requests():
            if rid not in self._requests or failure:
                self._requests[rid] = (url, failure)
        return self._requests

    def external_requests(self) -> list[str]:
        """URLs of non-local (http, https, ws, wss, ftp) requests the page tried since it was loaded."""
        return [url for url, _ in self._collect_requests().values()]

    def external_request_failures(self) -> dict[str, str | None]:
        """url -> why it failed ('inspector' = blocked by this harness), None if not (yet) failed."""
        return {url: failure for url, failure in self._collect_requests().values()}

    def screenshot(self, path: str | os.PathLike[str]) -> None:
        self._focus().save_screenshot(str(path))


class Browser:
    """A headless Chromium driven by selenium; use as a context manager.

    One render tab (mermaid inlined once, reused for every render) and one tab for
    load_html(), so alternating the two does not reload the 3.5 MB bundle.
    """

    def __init__(
        self, *, page_load_timeout: float = 30.0, script_timeout: float = 30.0, mermaid_js: Path | None = None
    ):
        self.page_load_timeout = page_load_timeout
        self.script_timeout = script_timeout
        self._mermaid_js = mermaid_js
        self._driver = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._render_handle: str | None = None
        self._page_handle: str | None = None
        self._page_generation = 0
        self._render_count = 0
        self._current_handle: str | None = None
        self._console_buffer: list[dict[str, Any]] = []
        self.startup_seconds: float | None = None
        self.version: str | None = None  # Chromium's, once started
        self.render_page_seconds: float | None = None
        self.render_seconds: list[float] = []  # one entry per render_mermaid call

    # -- life cycle
    def __enter__(self) -> Browser:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> Browser:
        reason = chromium_available()
        if reason:
            raise HarnessError(reason)
        # Never let Selenium Manager look for (or download) a driver or browser.
        os.environ.setdefault("SE_OFFLINE", "true")
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service

        self._tmp = tempfile.TemporaryDirectory(prefix="anbox-ports-browser-")
        profile = Path(self._tmp.name) / "profile"
        profile.mkdir()
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_path()
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        service = Service(
            executable_path=chromedriver_path(), log_output=str(Path(self._tmp.name) / "chromedriver.log")
        )
        t0 = time.perf_counter()
        try:
            self._driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException as e:
            log = Path(self._tmp.name) / "chromedriver.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self._tmp.cleanup()
            raise HarnessError(f"chromium did not start: {e.msg}\n{tail}") from e
        self.startup_seconds = time.perf_counter() - t0
        d = self._driver
        self.version = d.capabilities.get("browserVersion", "?")
        d.set_page_load_timeout(self.page_load_timeout)
        d.set_script_timeout(self.script_timeout)
        self._block_network()
        self._render_handle = d.current_window_handle
        self._current_handle = self._render_handle
        return self

    def close(self) -> None:
        if self._driver is not None:
            try:
                self._driver.quit()
            finally:
                self._driver = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def driver(self):
        if self._driver is None:
            raise HarnessError("browser is not started")
        return self._driver

    def _block_network(self) -> None:
        """Refuse http(s)/ws(s)/ftp in the current tab (CDP acts per tab)."""
        d = self.driver
        d.execute_cdp_cmd("Network.enable", {})
        d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": list(BLOCKED_URL_PATTERNS)})

    def _switch(self, handle: str | None):
        d = self.driver
        if handle is None:
            raise HarnessError("browser is not started")
        if self._current_handle != handle:
            d.switch_to.window(handle)
            self._current_handle = handle
        return d

    # -- logs
    def _drain_console(self) -> list[dict[str, Any]]:
        entries = self._console_buffer + list(self.driver.get_log("browser"))
        self._console_buffer = []
        return entries

    def _drain_external_requests(self) -> list[tuple[str, str, str | None]]:
        """(requestId, url, failure) for non-local requests in the performance log."""
        sent: dict[str, str] = {}
        failed: dict[str, str] = {}
        for entry in self.driver.get_log("performance"):
            try:
                msg = json.loads(entry["message"])["message"]
            except (KeyError, ValueError):
                continue
            params = msg.get("params", {})
            if msg.get("method") == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(LOCAL_SCHEMES):
                    sent[params["requestId"]] = url
            elif msg.get("method") == "Network.loadingFailed":
                failed[params["requestId"]] = params.get("blockedReason") or params.get("errorText", "")
        return [(rid, url, failed.get(rid)) for rid, url in sent.items()]

    # -- mermaid
    def _ensure_render_page(self):
        d = self._switch(self._render_handle)
        if d.execute_script("return !!(window.mermaid && window.__anboxHarness);"):
            return d
        js_path = self._mermaid_js or find_mermaid_js()
        if js_path is None:
            raise HarnessError(mermaid_available() or "mermaid.min.js not found")
        if self._tmp is None:
            raise HarnessError("browser is not started")
        page = Path(self._tmp.name) / "render.html"
        page.write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>render</title></head>"
            "<body><div id='stage'></div>"
            + inline_script(js_path.read_text(encoding="utf-8"))
            + inline_script(_RENDER_PAGE_SCRIPT)
            + "</body></html>",
            encoding="utf-8",
        )
        t0 = time.perf_counter()
        d.get(page.as_uri())
        if not d.execute_script("return !!window.mermaid;"):
            raise HarnessError(f"{js_path} did not define window.mermaid: {self._drain_console()}")
        self.render_page_seconds = time.perf_counter() - t0
        return d

    def render_mermaid(self, diagram: str, *, config: dict[str, Any] | None = None) -> RenderResult:
        """Parse then render ``diagram`` with mermaid; never raises for a bad diagram.

        ``config`` is merged over BASE_MERMAID_CONFIG for this render only.
        """
        d = self._ensure_render_page()
        self._render_count += 1
        rid = f"anbox-m{self._render_count}"
        t0 = time.perf_counter()
        r = d.execute_async_script(_RENDER_CALL, diagram, rid, {**BASE_MERMAID_CONFIG, **(config or {})})
        seconds = time.perf_counter() - t0
        self.render_seconds.append(seconds)
        return RenderResult(
            ok=bool(r["ok"]),
            error=r.get("error"),
            stage=r.get("stage"),
            diagram_type=r.get("diagramType"),
            labels=tuple(r.get("labels") or ()),
            svg=r.get("svg") or "",
            seconds=seconds,
        )

    def assert_renders(self, diagram: str, *, config: dict[str, Any] | None = None) -> tuple[str, ...]:
        """Render ``diagram``; return its labels, or fail with mermaid's own error message."""
        return self.render_mermaid(diagram, config=config).raise_for_error().labels

    def show_svg(self, svg: str) -> list[Any]:
        """Put an SVG into the render page's DOM as a viewer would (innerHTML); return the tripwire.

        Anything hostile that ran (script, handler) would have appended to the tripwire list.
        """
        d = self._ensure_render_page()
        return d.execute_async_script(
            "const [svg, done] = arguments;"
            "document.getElementById('stage').innerHTML = svg;"
            # let queued handlers (img onerror, etc.) fire before reading
            "setTimeout(() => done(window.__anboxHarness.tripwire), 200);",
            svg,
        )

    def active_content(self, svg: str) -> list[str]:
        """Script/frame/img elements, on* handlers and external href/src in ``svg``."""
        d = self._ensure_render_page()
        return d.execute_script("return window.__anboxHarness.activeContent(arguments[0]);", svg)

    def tripwire(self) -> list[Any]:
        d = self._ensure_render_page()
        return d.execute_script("return window.__anboxHarness.tripwire;")

    # -- HTML files
    def load_html(
        self, path: str | os.PathLike[str], *, wait_css: str | None = None, timeout: float = 10.0
    ) -> Page:
        """Open a local HTML file in the page tab; returns a Page for DOM access.

        Any network request it makes is blocked and listed by Page.external_requests().
        """
        p = Path(path).resolve()
        if not p.is_file():
            raise FileNotFoundError(p)
        d = self.driver
        if self._page_handle is None:
            self._switch(self._render_handle)
            d.switch_to.new_window("tab")
            self._page_handle = d.current_window_handle
            self._current_handle = self._page_handle
            self._block_network()
        else:
            self._switch(self._page_handle)
        # discard earlier entries so the page's console and requests are its own
        d.get_log("browser")
        d.get_log("performance")
        self._console_buffer = []
        self._page_generation += 1
        d.get(p.as_uri())
        page = Page(self, self._page_handle, p.as_uri(), self._page_generation)
        if wait_css:
            page.wait_for("return document.querySelector(arguments[0]) !== null;", timeout, wait_css)
        return page


# --------------------------------------------------------------------------- one-shot helpers


def render_mermaid(diagram: str, **kw: Any) -> RenderResult:
    """Start a browser, render once, stop (about a second; prefer a shared Browser)."""
    with Browser() as b:
        return b.render_mermaid(diagram, **kw)
