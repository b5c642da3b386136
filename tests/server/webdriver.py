"""A headless Chromium driven over the W3C WebDriver protocol with httpx (no selenium): start
chromedriver on a loopback port, open one session, and end both when done."""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import httpx

from .conftest import closed_port

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C web element identifier


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths when both are installed, else None."""
    driver = shutil.which("chromedriver")
    browser = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    return (browser, driver) if browser and driver else None


class Browser:
    def __init__(self, browser: str, driver: str, profile: Path):
        self.port = closed_port()
        self.process = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--window-size=1100,900", f"--user-data-dir={profile}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                                                 "goog:chromeOptions": {"binary": browser, "args": args}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        r = self.http.request(method, path, json=body)
        value = r.json()["value"]
        if r.status_code >= 400:
            raise RuntimeError(f"webdriver {method} {path}: {value.get('message', value)}")
        return value

    def _s(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        self._s("POST", "/url", {"url": url})

    def find(self, css: str) -> str:
        return self._s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css: str) -> None:
        self._s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css: str, text: str) -> None:
        self._s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def source(self) -> str:
        return self._s("GET", "/source")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """The page source once it holds ``text`` (a click's navigation may still be under way)."""
        deadline = time.monotonic() + timeout
        while True:
            page = self.source()
            if text in page:
                return page
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the page: {page[:500]}")
            time.sleep(0.1)

    def url(self) -> str:
        return self._s("GET", "/url")

    def screenshot(self) -> bytes:
        return base64.b64decode(self._s("GET", "/screenshot"))

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self.http.delete(f"/session/{self.session}")
        except httpx.HTTPError:
            pass
        finally:
            self.http.close()
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def png_stats(png: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the pixel data) of a PNG: a blank page has a
    handful, a rendered one with text and coloured buttons many."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, data = 8, 0, 0, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunk = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            data += chunk
        pos += 12 + length
    return width, height, len(set(zlib.decompress(data)))
