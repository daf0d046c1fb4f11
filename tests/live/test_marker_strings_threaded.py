"""Marker strings pulled by the monitor's thread from an outlet in the same process.

The GUI owns its marker outlet, so the monitor pulls a string stream published by its own
process. Many markers, empty strings among them, must arrive whole and in order, and the
string pulls must leave the interpreter's reference counts intact (the suspected cause of
an abort, which turned out to be PySide6: see tests/gui/test_qt_refcount.py).
"""

from __future__ import annotations

import gc
import sys
import time
import uuid

import pylsl
import pytest

from gaitlab.live import LabMonitor
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl


def test_many_markers_with_empty_strings_arrive_in_order() -> None:
    sid = f"marker-threads-{uuid.uuid4().hex}"
    info = pylsl.StreamInfo("in-process markers", "Markers", 1, pylsl.IRREGULAR_RATE,
                            pylsl.cf_string, sid)
    outlet = pylsl.StreamOutlet(info)
    texts = [("" if i % 3 == 0 else f"note {i} ü") for i in range(3000)]
    with LabMonitor(StreamFilter(source_ids=(sid,)), pull_period_s=0.002, max_rows=64) as mon:
        deadline = time.monotonic() + 10
        while not mon.keys("markers") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mon.keys("markers"), "the in-process marker stream was not found"
        time.sleep(0.3)  # inlet connected
        gc.collect()
        before = sys.getrefcount(None)
        t0 = pylsl.local_clock()
        for i in range(0, len(texts), 50):  # bursts wider than max_rows and single samples
            for j, text in enumerate(texts[i:i + 50]):
                outlet.push_sample([text], t0 + (i + j) * 1e-3)
            time.sleep(0.005)
        deadline = time.monotonic() + 10
        while len(mon.markers(since=t0 - 1)) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.05)
        got = mon.markers(since=t0 - 1)
        gc.collect()
        drift = sys.getrefcount(None) - before
    # the monitor keeps the newest 1000 markers: they must be exactly the last ones sent
    assert [m for _, m in got] == texts[-1000:]
    assert [t for t, _ in got] == pytest.approx([t0 + i * 1e-3 for i in range(2000, 3000)])
    h = next(s for s in mon.health() if s.key in mon.keys("markers"))
    assert h.samples == len(texts) and h.dropped == 0
    assert abs(drift) < 200, f"None's reference count moved by {drift} during string pulls"
