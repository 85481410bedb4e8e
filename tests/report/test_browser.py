"""The HTML report in a real browser: Debian's headless Chromium, driven by selenium through
Debian's chromedriver, with every network request blocked.

Run with ``pytest -m browser`` (the plain ``pytest`` leaves it out; ``.ci/run`` installs
``chromium`` and ``chromium-driver`` with apt and runs it as a step of its own). For the demo's
page (written by ``copytrade demo --report``) and a page of 10,000 trades, it checks: no
console error, no request other than the file itself, every chart drawn at a real size, the
numbers on the page equal to the analytics' figures, no sideways scrolling on a phone; and it
writes screenshots at 1280x900 and 390x844 into ``artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from copytrade_async.analytics import PortfolioFigures
from copytrade_async.report import CHART_NAMES, Report, report_from_orders, write_html

from .conftest import bulk

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SIZES = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
BLOCKED = ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(binary), (
            f"{binary} is missing: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        # No network: names resolve to nothing, and any connection goes to a closed port.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": BLOCKED})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the README's main command writes: ``copytrade demo --report FILE``, exit 0."""
    page = tmp_path_factory.mktemp("demo") / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "copytrade_async", "demo", "--report", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return page


@pytest.fixture(scope="module")
def big_report() -> Report:
    orders = bulk(trades=10_000, follows=10, seed=4)
    traders = {follow: f"T{int(follow[1:]) % 4}" for follow in orders}
    return report_from_orders(orders, copy_amounts=dict.fromkeys(orders, 2000), traders=traders)


Lookup = Callable[[str], Any]


def in_figures(figures: PortfolioFigures) -> Lookup:
    """A figure by the page's name for it (``stats.win_rate``, ``follows.F001.total_pnl``)."""

    def lookup(name: str) -> Any:
        value: Any = figures
        if name.startswith("follows."):
            _, follow_id, name = name.split(".", 2)
            value = next(f for f in figures.follows if f.follow_id == follow_id)
        for part in name.split("."):
            value = getattr(value, part)
        return value

    return lookup


def in_json(portfolio: dict[str, Any]) -> Lookup:
    """The same, from the figures' JSON (money as strings)."""

    def lookup(name: str) -> Any:
        value: Any = portfolio
        if name.startswith("follows."):
            _, follow_id, name = name.split(".", 2)
            value = next(f for f in portfolio["follows"] if f["follow_id"] == follow_id)
        for part in name.split("."):
            value = value[part]
        return Decimal(value) if isinstance(value, str) else value

    return lookup


def shown_number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("+", "").replace("%", "").strip())


def check_page(driver: webdriver.Chrome, page: Path, figures: Lookup, name: str) -> None:
    driver.get_log("performance")  # start afresh
    driver.get_log("browser")
    for width, height, mobile in SIZES.values():
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        driver.get(page.as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        check_charts(driver, width)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        ARTIFACTS.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / f"report-{name}-{width}x{height}.png"))
        check_numbers(driver, figures)
        check_trades(driver, figures)

    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    requested = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    assert requested and all(url.startswith(("file:", "data:")) for url in requested), requested


def check_charts(driver: webdriver.Chrome, width: int) -> None:
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert [c.get_attribute("data-chart") for c in charts] == list(CHART_NAMES)
    for chart in charts:
        box = chart.rect
        # Two charts a row on a screen, one a row (nearly the phone's whole width) on a phone.
        smallest = 400 if width > 600 else 0.8 * width
        assert smallest <= box["width"] <= width and box["height"] >= 120, (
            chart.get_attribute("data-chart"),
            box,
        )
        # Drawn content: marks with a real size inside the chart, not an empty frame.
        drawn = driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('path')).filter(function (p) {"
            " var r = p.getBoundingClientRect(); return r.width * r.height > 4; }).length",
            chart,
        )
        assert drawn >= 3, chart.get_attribute("data-chart")


def check_numbers(driver: webdriver.Chrome, figures: Lookup) -> None:
    shown = driver.execute_script(
        "return Array.from(document.querySelectorAll('[data-figure]')).map(function (e) {"
        " return [e.dataset.figure, e.dataset.value, e.textContent]; })"
    )
    assert len(shown) > 20
    for name, value, text in shown:
        expected = figures(name)
        if expected is None:
            assert (value, text) == ("", "n/a"), name
            continue
        assert value == (str(expected) if isinstance(expected, int) else format(expected, "f"))
        if name.endswith("win_rate"):
            assert shown_number(text) == (100 * expected).quantize(Decimal("0.1")), name
        elif not isinstance(expected, int):
            assert shown_number(text) == expected.quantize(Decimal("0.01")), name


def check_trades(driver: webdriver.Chrome, figures: Lookup) -> None:
    rows = driver.find_elements(By.CSS_SELECTOR, "#trades-body tr")
    assert 0 < len(rows) <= 50
    status = driver.find_element(By.ID, "trades-status").text
    orders = figures("orders")
    assert status.startswith(f"{orders} of {orders} trades")


def test_the_demo_report_opens_offline_with_its_charts_drawn(
    browser: webdriver.Chrome, demo_page: Path
) -> None:
    # The demo ran in another process: its figures are the ones its page embeds (the suite's
    # CLI test checks those against the total the demo printed).
    text = demo_page.read_text()
    start = text.index('id="report-figures">') + len('id="report-figures">')
    portfolio = json.loads(text[start : text.index("</script>", start)])["portfolio"]
    assert portfolio["stats"]["trades"] > 0
    check_page(browser, demo_page, in_json(portfolio), "demo")


def test_ten_thousand_trades_open_offline_with_their_charts_drawn(
    browser: webdriver.Chrome, big_report: Report, tmp_path: Path
) -> None:
    page = write_html(big_report, tmp_path / "big.html")
    assert page.stat().st_size < 3 * 1024 * 1024
    check_page(browser, page, in_figures(big_report.figures), "10000-trades")
