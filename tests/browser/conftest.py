"""Playwright driving Debian's Chromium against a live test server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

CHROMIUM = os.environ.get("ITINERA_CHROMIUM", "/usr/bin/chromium")
#: Screenshots and server logs of the browser tests (kept after the run, ignored by git).
ARTIFACTS = Path(os.environ.get("ITINERA_TEST_ARTIFACTS", "var/test-artifacts")).resolve()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's loop must not outlive the browser tests."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("ITINERA_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and ITINERA_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on the test thread; the ORM calls the tests make
    # between page actions are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _navigation_noise(text: str) -> bool:
    """Chromium reports a socket still opening when the page navigates away; that is no fault."""
    return "WebSocket connection" in text and "closed before receiving a handshake" in text


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context; console errors and failed requests fail the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and not _navigation_noise(message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status} {response.url}")
            if response.status >= 500 or (response.status == 404 and "/static/" in response.url)
            else problems.append(PAGE_NOT_FOUND)
            if response.status == 404 and response.request.is_navigation_request()
            else None
        ),
    )
    page.set_default_timeout(10_000)
    yield page
    seen = _without_pages_not_found(problems)  # during the test, not while servers shut down
    context.close()
    assert seen == [], seen


PAGE_NOT_FOUND = "a page the test asked for answered 404"
CONSOLE_NOT_FOUND = (
    "console error: Failed to load resource: the server responded with a status of 404"
)


def _without_pages_not_found(problems: list[str]) -> list[str]:
    """A test may open a page it must not see: Chromium logs that 404 too, which is no fault."""
    seen, pages = [], problems.count(PAGE_NOT_FOUND)
    for problem in problems:
        if problem == PAGE_NOT_FOUND:
            continue
        if pages and problem.startswith(CONSOLE_NOT_FOUND):
            pages -= 1
            continue
        seen.append(problem)
    return seen


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as a test artifact: ``screenshot(page, "inbox")``."""

    def take(page: Any, name: str) -> Path:
        target = ARTIFACTS / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
        return target

    return take


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def daphne_server(transactional_db: Any) -> Iterator[str]:
    """Daphne serving the test database in a child process, for pages that use WebSockets.

    Tests that use it commit their data (``transactional_db``) so the server sees it. Live events
    raised by requests the server handles reach sockets it serves even with the in-memory
    channel layer; with REDIS_URL set they go through Redis.
    """
    database = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "workflow_site.settings.test"
    if connection.vendor == "sqlite":
        env["ITINERA_SQLITE_PATH"] = str(database["NAME"])
    else:
        url = os.environ["DATABASE_URL"]
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + str(database["NAME"])
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "daphne.log").open("a")
    log.write(f"--- daphne on port {port}\n")
    log.flush()
    server = subprocess.Popen(  # noqa: S603 - our own server, started from this interpreter
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "workflow_site.asgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None:
            raise RuntimeError(f"daphne exited; see {ARTIFACTS / 'daphne.log'}")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
