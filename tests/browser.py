"""A real headless browser (Debian's chromium, driven by Playwright) for tests of the HTML pages.

`load(path, screenshot)` opens a local page with no network, waits for it, takes a full-page
screenshot and reports what a reader would meet: script errors, console errors, images that
did not load, and the visible text.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium as the machine allows it: root needs --no-sandbox; no background connections (the network is closed).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@dataclass
class Loaded:
    """What loading one page showed."""

    errors: list[str] = field(default_factory=list)  # uncaught script errors and console errors
    images: int = 0
    broken_images: list[str] = field(default_factory=list)  # src (first 80 characters) of each that failed
    text: str = ""  # the page's visible text
    external: list[str] = field(default_factory=list)  # requests that left the file (a page must be self-contained)
    page: object = None  # the Playwright page, for further queries


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the session (the README's set-up installs it)."""
    assert CHROMIUM, "chromium is not installed: run the README's set-up (it installs Debian's chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def load(browser):
    """load(path, screenshot) -> Loaded: open a local HTML file and look at it as a reader would."""
    pages = []

    def _load(path: Path, screenshot: Path | None = None) -> Loaded:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        pages.append(page)
        seen = Loaded(page=page)
        page.on("pageerror", lambda e: seen.errors.append(f"script error: {e}"))
        page.on("console", lambda m: m.type == "error" and seen.errors.append(f"console error: {m.text}"))
        page.on("request", lambda r: r.url.startswith(("http:", "https:")) and seen.external.append(r.url))
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        states = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete && i.naturalWidth > 0, i.src.slice(0, 80)])")
        seen.images = len(states)
        seen.broken_images = [src for ok, src in states if not ok]
        seen.text = page.inner_text("body")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        return seen

    yield _load
    for page in pages:
        page.close()
