"""Draw the README's picture: `python -m tests.integration.readme_picture docs/picture.png`.

The reference layout crowded by docs/examples/crowded.yaml, rendered by `--format html` in headless
Chromium and cut to the picture. Run it again when the renderer changes what the picture shows.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.render.html import render_html
from anbox_cloud_ports.sources import load_bundle

from . import browser_harness as bh

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "lib" / "anbox_cloud_ports" / "data" / "reference.yaml"
OVERLAY = REPO / "docs" / "examples" / "crowded.yaml"


def main(target: str) -> int:
    report = check(
        load_bundle(
            BUNDLE.read_text(),
            input="reference.yaml",
            overlays=[(OVERLAY.read_text(), "docs/examples/crowded.yaml")],
        )
    )
    js = bh.find_mermaid_js()
    if js is None:
        print(bh.mermaid_available(), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, bh.Browser() as browser:
        page_path = Path(tmp) / "page.html"
        page_path.write_text(render_html(report, mermaid_js=js.read_text(encoding="utf-8")), encoding="utf-8")
        browser.driver.set_window_size(1400, 3000)  # the whole picture in view, so none of it is cut
        page = browser.load_html(page_path)
        page.wait_for_mermaid(expect=1)
        browser.driver.find_element(By.CSS_SELECTOR, "#picture svg").screenshot(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/picture.png"))
