"""Time from keypress to the next record on the screening page, measured in
headless Chromium (Debian's /usr/bin/chromium) against a real `datasette
serve` of an N-record review (default 10,000).

A reviewer logs in and decides by keyboard (i / e / 1-9 / m). The page
itself records, for every key, the time from the keydown event to the moment
the next record's card is in the document (a MutationObserver), so the
figure is what a screener waits for: the request, the server's decision and
next-record lookup, and the swap. Prints p50 / p95 / max.

    python scripts/bench_browser.py                  # 10k records, 200 keys
    python scripts/bench_browser.py --records 2000 --keys 50
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_browse import percentile  # noqa: E402
from serve import serve  # noqa: E402

import synthetic  # noqa: E402
from datasette_mscdm.loader import Loader, open_database  # noqa: E402
from datasette_mscdm.screening import store  # noqa: E402

WATCH = """
() => {
  window.mscdmTimes = [];
  const card = document.getElementById('mscdm-card');
  let started = null;
  document.addEventListener('keydown', () => { started = performance.now(); }, true);
  new MutationObserver(() => {
    if (started !== null && card.querySelector('article[data-record-id]')) {
      window.mscdmTimes.push(performance.now() - started);
      started = null;
    }
  }).observe(card, {childList: true});
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=200)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "review.db"
        export = synthetic.write_ris(Path(tmp) / "records.ris",
                                     synthetic.make_records(args.records))
        database = open_database(db)
        Loader(database).load_paths([export])
        store.add_reviewer(database.conn, "bench", "reviewer", "bench-password")
        database.conn.close()
        with serve(db) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/review/-/login")
            page.fill("#mscdm-name", "bench")
            page.fill("#mscdm-password", "bench-password")
            page.click("input[type=submit]")
            page.wait_for_url("**/review/-/screen**")
            page.evaluate(WATCH)
            keys = random.Random(1)
            for done in range(args.keys):
                page.keyboard.press(keys.choice("iiee123m"))
                page.wait_for_function(f"window.mscdmTimes.length > {done}", timeout=15000)
                # The page ignores keys for 300 ms after a record appears.
                time.sleep(0.35)
            times = page.evaluate("window.mscdmTimes")
            browser.close()
    print(f"{args.records:,} records, {len(times)} keys in Chromium:"
          f" keypress to next record p50 {statistics.median(times):.1f} ms,"
          f" p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
