"""The page in headless Chromium: click-to-sort, 1280 px fit, a screenshot, and JavaScript off.

Skipped only when Chromium, ChromeDriver or selenium are not installed (CI installs them).
Selenium is pointed at /usr/bin/chromedriver explicitly, so Selenium Manager never downloads.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from leaderboard_testlib import make_record, write_records

from sgg_bench.leaderboard.build import build_leaderboard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from headless_chromium import ARTIFACTS, chromium_driver, skip_without_chromium  # noqa: E402

webdriver = skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402


def _driver(user_data_dir: Path, *, javascript: bool = True):
    return chromium_driver(user_data_dir, javascript=javascript)


def _metrics(r, mr, a):
    values = {}
    for step, k in enumerate((20, 50, 100)):
        values.update({f"R@{k}": r + step / 100, f"ngR@{k}": r + step / 50 + 0.05, f"mR@{k}": mr + step / 100,
                       f"zR@{k}": 0.01 + step / 200, f"F@{k}": 2 * r * mr / (r + mr), f"A@{k}": a})
    return values


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    predicates = {f"predicate {i}": (i * 37 % 50) / 50 for i in range(50)}
    records = [make_record("vg-motifs-predcls", model="motifs", dataset="vg", metrics=_metrics(0.62, 0.12, 0.66),
                           per_predicate={"50": predicates}),
               make_record("vg-imp-predcls", model="imp", dataset="vg", metrics=_metrics(0.58, 0.15, 0.6),
                           per_predicate={"50": predicates}),
               make_record("vg-longname-predcls", model="a-rather-long-relation-head-name-with-frequency-bias",
                           dataset="vg", metrics=_metrics(0.6, 0.09, 0.7)),
               # An unbreakable 90-character id must wrap, not widen the table.
               make_record("vg-" + "x" * 87, model="y" * 60, dataset="vg", mode="sgdet",
                           metrics=_metrics(0.3, 0.05, 0.4))]
    # Two more seeds of imp (mean ± sd cells, a three-line model cell) and a tie range.
    for seed, shift in ((4, 0.004), (5, -0.006)):
        records.append(make_record(f"vg-imp-predcls-s{seed}", model="imp", dataset="vg", seed=seed,
                                   metrics={k: v + shift for k, v in _metrics(0.58, 0.15, 0.6).items()}))
    records[2]["tie_ranges"] = {"R@50": [0.55, 0.62], "mR@100": [0.1, 0.2]}
    write_records(folder / "results", *records)
    write_records(folder / "reference", make_record("vg-motifs-predcls", model="motifs", dataset="vg",
                                                    metrics=_metrics(0.61, 0.11, 0.65)))
    build_leaderboard(folder / "results", folder / "index.html", reference_dir=folder / "reference",
                      markdown_path=None, csv_path=None)
    return folder / "index.html"


def _column_models(driver, table, key):
    return [row.find_element(By.CSS_SELECTOR, "th.model a.name").text
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
            if row.find_elements(By.CSS_SELECTOR, f'td[data-key="{key}"]')]


def test_sorting_fit_and_screenshot(page, tmp_path):
    driver = _driver(tmp_path / "profile")
    try:
        driver.get(page.as_uri())
        table = driver.find_element(By.CSS_SELECTOR, "#t-vg-vg-predcls-test table.lb")
        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert rows[0].find_element(By.CSS_SELECTOR, "a.name").text == "motifs"  # default: R@50, best first

        header = table.find_element(By.CSS_SELECTOR, 'thead th[data-key="mR@50"]')
        header.click()
        assert header.get_attribute("aria-sort") == "descending"
        values = [float(td.get_attribute("data-value"))
                  for td in table.find_elements(By.CSS_SELECTOR, 'tbody td[data-key="mR@50"]')
                  if td.get_attribute("data-value")]
        assert values == sorted(values, reverse=True) and len(values) > 3  # reported rows sort too
        assert table.find_element(By.CSS_SELECTOR, "tbody tr a.name").text == "MOTIFS-PredCls-TDE"  # 24.75
        header.click()
        assert header.get_attribute("aria-sort") == "ascending"
        first = table.find_element(By.CSS_SELECTOR, "tbody tr")
        assert first.find_element(By.CSS_SELECTOR, "a.name").text == "a-rather-long-relation-head-name-with-frequency-bias"
        # Rows without a value (the TDE rows have no ngR@K) stay last in both directions.
        ng_header = table.find_element(By.CSS_SELECTOR, 'thead th[data-key="ngR@50"]')
        for _ in range(2):
            ng_header.click()
            present = [bool(td.get_attribute("data-value"))
                       for td in table.find_elements(By.CSS_SELECTOR, 'tbody td[data-key="ngR@50"]')]
            assert present == sorted(present, reverse=True) and not all(present)

        model_header = table.find_element(By.CSS_SELECTOR, 'thead th[data-key="model"]')
        model_header.click()
        names = [r.find_element(By.CSS_SELECTOR, "th.model").get_attribute("data-value")
                 for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert names == sorted(names)

        # No horizontal scrolling at 1280 px: neither the page nor any table wrapper.
        assert driver.execute_script("return window.innerWidth") == 1280
        page_fit = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert page_fit[0] <= page_fit[1]
        wrappers = driver.execute_script(
            "return Array.from(document.querySelectorAll('.tablewrap')).map(w => [w.scrollWidth, w.clientWidth])")
        assert wrappers and all(scroll <= client for scroll, client in wrappers)

        table.find_element(By.CSS_SELECTOR, 'thead th[data-key="R@50"]').click()  # back to a natural order
        ARTIFACTS.mkdir(exist_ok=True)
        driver.execute_script("document.documentElement.style.scrollBehavior = 'auto'; window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(ARTIFACTS / "leaderboard.png"))
        assert (ARTIFACTS / "leaderboard.png").stat().st_size > 10_000
    finally:
        driver.quit()


def test_page_works_without_javascript(page, tmp_path):
    driver = _driver(tmp_path / "profile", javascript=False)
    try:
        driver.get(page.as_uri())
        table = driver.find_element(By.CSS_SELECTOR, "#t-vg-vg-predcls-test table.lb")
        header = table.find_element(By.CSS_SELECTOR, 'thead th[data-key="mR@50"]')
        assert "sortable" not in (header.get_attribute("class") or "")  # the script did not run
        best = table.find_elements(By.CSS_SELECTOR, "td.best")
        assert best and all(cell.find_element(By.CSS_SELECTOR, ".star").is_displayed() for cell in best)
        assert driver.find_element(By.TAG_NAME, "noscript") is not None
        link = table.find_element(By.CSS_SELECTOR, "tbody tr.run a.name")
        target = link.get_attribute("href").split("#")[1]
        link.click()
        assert driver.execute_script("return location.hash") == f"#{target}"
        assert driver.find_element(By.ID, target).find_element(By.TAG_NAME, "dl").is_displayed()
        assert driver.find_element(By.CSS_SELECTOR, f"#{target} svg.pred-chart").is_displayed()
        # "paper:" links lead to the reported rows of the same model.
        driver.get(page.as_uri())
        paper = driver.find_element(By.CSS_SELECTOR, "#t-vg-vg-predcls-test tr.user span.paper a")
        target = paper.get_attribute("href").split("#")[1]
        paper.click()
        row = driver.find_element(By.ID, target)
        assert row.tag_name == "tr" and "reported" in row.get_attribute("class") and row.is_displayed()
    finally:
        driver.quit()
