"""Open the HTML report in a real headless Chromium and use it like a reader would.

Debian's chromium + chromedriver, driven by selenium. The performance log records every
network request the page makes: the only one allowed is the file:// document itself.
Screenshots (and a printed A4 PDF of a pair view) land in test-artifacts/ for a human look.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bot.reports import render_report
from tests.bot.reports.sample_class import BASE_REGIONS, HOSTILE_NAME, small_class

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "html-report"
ENSURE = Path(__file__).with_name("ensure_chromium.sh")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extras")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.slow


def _binaries() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        proc = subprocess.run(["bash", str(ENSURE)], capture_output=True, text=True, timeout=900)
        chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if not (chromium and driver):
            pytest.skip(f"chromium could not be installed: {proc.stderr.strip() or proc.returncode}")
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _binaries()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def opened(browser, tmp_path_factory):
    report, subs, thr = small_class()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report("html", report, subs, thr, base_regions=BASE_REGIONS), encoding="utf-8")
    browser.get_log("performance")  # drop what the browser did before the report opened
    browser.get(path.as_uri())
    return browser, path


def _wait(cond, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met within timeout")


def _shot(drv, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / name))


def test_pairs_listed_and_click_opens_highlighted_pair_view(opened) -> None:
    drv, _ = opened
    drv.get(drv.current_url.split("#")[0] + "#pairs")
    rows = _wait(lambda: drv.find_elements(By.CSS_SELECTOR, "#pair-table tbody tr"))
    cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")[:4]] for r in rows]
    assert [c[0] for c in cells] == ["1", "2", "3", "4"]
    assert cells[0][1:] == ["alice", "bob", "0.82"] and cells[1][1:3] == ["dave", "eve"]
    assert cells[3][2] == HOSTILE_NAME  # shown as text, not markup
    _shot(drv, "pairs.png")

    rows[0].click()
    _wait(lambda: drv.find_element(By.ID, "view-pair").is_displayed())
    assert drv.current_url.endswith("#pair-1")
    assert (
        "alice" in drv.find_element(By.ID, "pv-title").text
        and "bob" in drv.find_element(By.ID, "pv-title").text
    )
    # Fragment 1 is alice 9-13 / bob 11-15, fragment 2 alice 16-18 / bob 18-20: own colours.
    a_f0 = drv.find_elements(By.CSS_SELECTOR, "#pv-a .L.f0")
    b_f0 = drv.find_elements(By.CSS_SELECTOR, "#pv-b .L.f0")
    a_f1 = drv.find_elements(By.CSS_SELECTOR, "#pv-a .L.f1")
    assert (len(a_f0), len(b_f0), len(a_f1)) == (5, 5, 3)
    assert (
        a_f0[0].find_element(By.TAG_NAME, "i").text == "9"
        and b_f0[0].find_element(By.TAG_NAME, "i").text == "11"
    )
    assert "def" in a_f0[0].text and a_f0[0].value_of_css_property("background-color") != b_f0[
        0
    ].value_of_css_property("color")
    colours = {
        a_f0[0].value_of_css_property("background-color"),
        a_f1[0].value_of_css_property("background-color"),
    }
    assert len(colours) == 2 and "rgba(0, 0, 0, 0)" not in colours
    # Syntax highlighting came from the server: keyword spans are coloured.
    kw = drv.find_element(By.CSS_SELECTOR, "#pv-a .L.f0 span.k")
    assert kw.text == "def" and kw.value_of_css_property("font-weight") in ("700", "bold")
    assert kw.value_of_css_property("color") == "rgba(0, 128, 0, 1)"
    # Base code (lines 1-6) is greyed.
    assert len(drv.find_elements(By.CSS_SELECTOR, "#pv-a .L.base")) == 6
    chips = drv.find_elements(By.CSS_SELECTOR, "#pv-legend .chip")
    assert len(chips) == 2 and "9–13" in chips[0].text
    _shot(drv, "pair-view.png")


def test_clicking_a_fragment_jumps_to_its_match(opened) -> None:
    drv, _ = opened
    drv.get(drv.current_url.split("#")[0] + "#pair-1")
    drv.execute_script("document.getElementById('pv-b').style.maxHeight = '120px'")
    before = drv.execute_script("return document.getElementById('pv-b').scrollTop")
    line = drv.find_elements(By.CSS_SELECTOR, "#pv-a .L.f1")[0]
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
    line.click()
    flashed = _wait(lambda: drv.find_elements(By.CSS_SELECTOR, "#pv-b .L.f1.flash"))
    assert len(flashed) == 3
    after = drv.execute_script("return document.getElementById('pv-b').scrollTop")
    assert after > before


def test_sort_filter_graph_and_histogram(opened) -> None:
    drv, _ = opened
    drv.get(drv.current_url.split("#")[0] + "#pairs")
    header = drv.find_elements(By.CSS_SELECTOR, "#pair-table th")[3]  # similarity
    header.click()  # numeric columns sort high-to-low first
    header.click()
    first = drv.find_element(By.CSS_SELECTOR, "#pair-table tbody tr td:nth-child(4)").text
    assert first == "0.12"
    box = drv.find_element(By.ID, "pf-name")
    box.send_keys("eve")
    _wait(lambda: len(drv.find_elements(By.CSS_SELECTOR, "#pair-table tbody tr")) == 1)

    drv.get(drv.current_url.split("#")[0] + "#graph")
    stats = _wait(lambda: drv.find_element(By.ID, "g-stats").text)
    assert stats.startswith("4 submissions, 2 lines, 2 clusters")  # threshold 0.5: alice-bob, dave-eve
    drv.execute_script(
        "var s = document.getElementById('g-thr'); s.value = '0.1'; s.dispatchEvent(new Event('input'));"
    )
    _wait(lambda: drv.find_element(By.ID, "g-stats").text.startswith("6 submissions, 4 lines, 2 clusters"))
    time.sleep(0.5)  # let the layout settle for the screenshot
    painted = drv.execute_script(
        "var c = document.getElementById('g-canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "var n = 0; for (var i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"
    )
    assert painted > 500
    _shot(drv, "graph.png")

    drv.get(drv.current_url.split("#")[0] + "#risk")
    bars = drv.find_elements(By.CSS_SELECTOR, "svg.hist rect.hbar")
    assert len(bars) == 20 and sum(int(b.get_attribute("data-count")) for b in bars) == 7
    assert len(drv.find_elements(By.CSS_SELECTOR, "svg.hist line.thr")) == 2
    top = drv.find_element(By.CSS_SELECTOR, "#risk-table tbody tr").text
    assert "carol/stats.py" in top and "high" in top
    _shot(drv, "risk.png")


def test_pair_view_prints_on_a4(opened) -> None:
    from selenium.webdriver.common.print_page_options import PrintOptions

    drv, _ = opened
    drv.get(drv.current_url.split("#")[0] + "#pair-1")
    _wait(lambda: drv.find_elements(By.CSS_SELECTOR, "#pv-a .L.f0"))
    opts = PrintOptions()
    opts.page_width, opts.page_height = 29.7, 21.0  # A4 landscape, cm
    pdf = base64.b64decode(drv.print_page(opts))
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pair-view-a4.pdf").write_bytes(pdf)
    # In print, the controls and navigation are hidden and the sides are not clipped.
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not drv.find_element(By.ID, "nav").is_displayed()
        overflow = drv.execute_script("return getComputedStyle(document.getElementById('pv-a')).overflowY")
        assert overflow == "visible"
    finally:
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_no_console_errors_no_network_no_injected_markup(opened) -> None:
    drv, path = opened
    with pytest.raises(NoAlertPresentException):
        _ = drv.switch_to.alert.text
    assert drv.execute_script("return document.querySelectorAll('img, iframe, object, embed').length") == 0
    errors = [e for e in drv.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors
    from_page = set()
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] != "Network.requestWillBeSent":
            continue
        # The headless browser's own new-tab page (chrome://) loads its UI alongside; any
        # request made by any other document counts against the report.
        doc = msg["params"].get("documentURL", "")
        if not doc.startswith(("chrome://", "chrome-untrusted://", "devtools://")):
            from_page.add(msg["params"]["request"]["url"].split("#")[0])
    assert from_page == {path.as_uri()}, from_page
