"""Debian's Chromium, driven through its own chromedriver: never Selenium Manager, which
would download a browser. `.ci/run` installs both packages before the tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None. With SEGL_REQUIRE_BROWSER=1 (`.ci/run`
    sets it after installing Chromium) a missing browser is an error, not a reason to skip."""
    missing = [str(binary) for binary in (CHROMIUM, CHROMEDRIVER) if not binary.exists()]
    if not missing:
        return None
    message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    if os.environ.get("SEGL_REQUIRE_BROWSER") == "1":
        raise RuntimeError(message)
    return message


@contextmanager
def chromium(width: int = 1280, height: int = 1400) -> Iterator[object]:
    """A headless Chromium with a fresh profile, removed afterwards. Raises when Chromium or
    chromedriver is missing (the tests ask `browser_missing()` first)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: apt-get install chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="segl-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1800) -> None:
    """The top `height` pixels of a page (0: the whole page), as docs/report.png shows the
    example report."""
    with chromium(width, height or 1400) as driver:
        driver.get(html.resolve().as_uri())
        if not height:
            height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.save_screenshot(str(png))


if __name__ == "__main__":
    import sys

    screenshot(Path(sys.argv[1]), Path(sys.argv[2]),
               *(int(a) for a in sys.argv[3:5]))
