"""EMG tab layout with any montage: one plot per channel, left column = L, right column = R,
channels without a side in their own column; rebuilt cleanly when the labels change."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from gaitlab.gui.console import SessionConsole
from gaitlab.gui.emg_view import emg_grid
from gaitlab.live import LabMonitor
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl


def test_grid_puts_each_side_in_its_column_and_muscles_on_shared_rows() -> None:
    assert emg_grid(["GMED_L", "GMED_R", "TFL_R"]) == [(0, 0), (0, 1), (1, 1)]
    assert emg_grid(["TFL_R", "GMED_L", "GMED_R", "TFL_L"]) == [(0, 1), (1, 0), (1, 1), (0, 0)]
    assert emg_grid(["EMG1", "EMG2", "EMG3", "EMG4"]) == [(0, 0), (1, 0), (2, 0), (3, 0)]
    # unsided channels beside sided ones get a third column; a repeated label a new row
    assert emg_grid(["GMED_L", "EMG2", "GMED_L", "GMED_R"]) == [(0, 0), (0, 2), (1, 0), (0, 1)]
    cells = emg_grid([f"M{i}_{'LR'[i % 2]}" for i in range(16)])
    assert len(set(cells)) == 16


def _plots(win: SessionConsole) -> dict[str, pg.PlotItem]:
    """Title -> plot of every plot placed in the EMG tab's layout."""
    out = {}
    for item in win.emg_plot.ci.items:
        if isinstance(item, pg.PlotItem):
            out[item.titleLabel.text] = item
    return out


def _laid_out(win: SessionConsole, labels: list[str]) -> bool:
    """Every label has its own visible, non-overlapping plot, and there are no others."""
    plots = _plots(win)
    if sorted(plots) != sorted(labels):
        return False
    rects = [plots[lab].sceneBoundingRect() for lab in labels]
    if any(r.width() < 20 or r.height() < 20 or not plots[lab].isVisible()
           for r, lab in zip(rects, labels, strict=True)):
        return False
    return not any(a.intersected(b).width() > 1 and a.intersected(b).height() > 1
                   for i, a in enumerate(rects) for b in rects[i + 1:])


@pytest.mark.parametrize("labels", [["GMED_L", "GMED_R", "TFL_R"], ["EMG1", "EMG2", "EMG3", "EMG4"]])
def test_every_channel_of_an_asymmetric_or_unlabelled_montage_is_drawn(labels, uid, lsl_publisher,
                                                                       qtbot, tmp_path) -> None:
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    sid = f"emg-{uid}"
    lsl_publisher([{"name": f"EMG-{uid}", "type": "EMG", "source_id": sid, "channels": len(labels),
                    "srate": 500.0, "labels": labels, "units": ["uV"] * len(labels), "noise": True}])
    with LabMonitor(StreamFilter(source_ids=(sid,))) as mon:
        win = SessionConsole(mon, tmp_path)
        qtbot.addWidget(win)
        win.resize(1200, 800)
        win.show()
        qtbot.waitUntil(lambda: _laid_out(win, labels), timeout=10000)
        # the clinician corrects the montage: the tab is rebuilt with the new names, and keeps
        # drawing (a failed rebuild raised on every redraw and froze the tab)
        key = mon.keys("emg")[0]
        new = [f"{m}_{s}" for m, s in zip(["GMED", "GMED", "TFL", "TFL"], "LRLR", strict=False)][:len(labels)]
        mon.set_montage(key, dict(zip(labels, new, strict=True)))
        qtbot.waitUntil(lambda: _laid_out(win, new), timeout=10000)
        plots = _plots(win)
        left = [lab for lab in new if lab.endswith("_L")]
        right = [lab for lab in new if lab.endswith("_R")]
        # left side in the left column, right side to its right, the same muscle on one row
        assert all(plots[lab].sceneBoundingRect().right() <= plots[r].sceneBoundingRect().left()
                   for lab in left for r in right)
        gl, gr = plots["GMED_L"].sceneBoundingRect(), plots["GMED_R"].sceneBoundingRect()
        assert abs(gl.top() - gr.top()) < 1
        # both sides of a muscle on one µV scale (channel 1 carries a ramp, the others noise)
        qtbot.waitUntil(lambda: plots["GMED_L"].viewRange()[1] == plots["GMED_R"].viewRange()[1]
                        and plots["GMED_L"].viewRange()[1][1] > 10, timeout=5000)
        painted = win.emg_plot.paint_clock.painted
        qtbot.waitUntil(lambda: win.emg_plot.paint_clock.painted > painted + 3, timeout=5000)
        win.close()
