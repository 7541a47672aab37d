"""The predict gallery in headless Chromium: no console errors, every picture loads, the score
slider hides triplets, names are escaped; a screenshot goes to test-artifacts/.

Skipped only when Chromium, ChromeDriver or selenium are missing (CI installs them); Selenium is
pointed at /usr/bin/chromedriver so Selenium Manager never downloads anything.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from sgg_bench.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from headless_chromium import ARTIFACTS, chromium_driver, skip_without_chromium  # noqa: E402

webdriver = skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402

HOSTILE_NAME = "a<img src=x onerror=alert(1)>&'b.png"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory, frequency_run, test_images, image_kinds):
    folder = tmp_path_factory.mktemp("gallery-inputs")
    for path, _ in test_images[:3]:
        shutil.copy(path, folder / path.name)
    shutil.copy(test_images[3][0], folder / HOSTILE_NAME)
    shutil.copy(image_kinds["corrupt_jpg"], folder / "corrupt.jpg")
    out = tmp_path_factory.mktemp("gallery") / "out"
    assert main(["predict", str(folder), "--run", str(frequency_run), "--out", str(out), "--top", "8"]) == 0
    return out / "index.html"


def test_gallery_in_chromium(gallery, tmp_path):
    text = gallery.read_text()
    assert "<img src=x" not in text and "a&lt;img src=x onerror=alert(1)&gt;&amp;&#x27;b" in text
    driver = chromium_driver(tmp_path / "profile", window="1280,1000", console_log=True)
    try:
        driver.get(gallery.as_uri())
        cards = driver.find_elements(By.CSS_SELECTOR, "section.card")
        assert len(cards) == 4
        assert "1 file(s) not read" in driver.find_element(By.CSS_SELECTOR, "section.failed").text
        images = driver.find_elements(By.CSS_SELECTOR, "section.card img")
        assert len(images) == 12
        for image in images:   # every picture found and decoded by the browser
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image), \
                image.get_attribute("src")
        rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-score]")
        scores = sorted(float(r.get_attribute("data-score")) for r in rows)
        assert len(rows) == 4 * 8
        slider = driver.find_element(By.ID, "min-score")
        assert float(slider.get_attribute("max")) == pytest.approx(scores[-1], rel=1e-5)
        threshold = scores[len(scores) // 2]
        applied = driver.execute_script("var s = document.getElementById('min-score'); s.value = arguments[0];"
                                        "s.dispatchEvent(new Event('input')); return parseFloat(s.value);",
                                        str(threshold))   # the slider snaps to its step
        visible = [r for r in rows if r.is_displayed()]
        half_step = float(slider.get_attribute("step")) / 2
        expected = sum(1 for s in scores if s >= applied - half_step)
        assert len(visible) == expected and 0 < expected < len(rows)
        counts = [int(c.text) for c in driver.find_elements(By.CSS_SELECTOR, "section.card .count")]
        assert sum(counts) == expected
        driver.execute_script("var s = document.getElementById('min-score'); s.value = s.min;"
                              "s.dispatchEvent(new Event('input'));")
        assert all(r.is_displayed() for r in rows)
        ARTIFACTS.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "predict-gallery.png"))
        problems = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
        assert problems == [], problems
    finally:
        driver.quit()
