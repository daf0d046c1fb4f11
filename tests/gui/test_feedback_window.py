"""The athlete biofeedback window draws the core's decisions: step width per step, cadence,
GMED onset per step and per side against the target; and it fits a 1280×720 screen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from gaitlab.analysis.online import CycleResult, DropResult, StepResult
from gaitlab.gui.feedback import CROSSOVER, IN_BAND, OFF, ON, OUT_BAND, BiofeedbackWindow, FitLabel
from gaitlab.gui.metronome import Metronome
from gaitlab.live import GaitView, PelvisView
from gaitlab.live.feedback import Targets


def _step(i: int, width_cm: float) -> StepResult:
    return StepResult(index=i, side=i % 2, ic=0.36 * i, to=0.36 * i + 0.25, contact_time_s=0.25,
                      x=0.0, medial_shift=0.0, step_time_s=0.36, step_width_m=width_cm / 100,
                      cadence_spm=171.0, bout=0, provisional=False, revised=False,
                      emitted_at=0.36 * i + 0.3)


def _cycle(ic: float, onset_ms: float, reason: str = "") -> CycleResult:
    return CycleResult(ic=ic, onset_s=np.nan if reason else onset_ms / 1000, offset_s=0.1,
                       reason=reason, emitted_at=ic + 0.2)


def _brush_colours(bars: pg.BarGraphItem) -> list[str]:
    return [pg.mkBrush(b).color().name() for b in bars.opts["brushes"]]


def _colour_of(label) -> str:  # type: ignore[no-untyped-def]
    return label.styleSheet().split("color:")[1].rstrip(";")


def _window(qtbot) -> BiofeedbackWindow:  # type: ignore[no-untyped-def]
    win = BiofeedbackWindow(Targets(width_lo_cm=5, width_hi_cm=12, cadence_spm=172, gmed_onset_ms=-80),
                            metronome=Metronome(command=[]))
    qtbot.addWidget(win)
    return win


def test_gmed_onset_per_step_and_side_against_the_target(qtbot) -> None:
    win = _window(qtbot)
    win.resize(1280, 720)
    win.show()
    steps = [_step(i, w) for i, w in enumerate([7.0, -1.0, 14.0, 8.0])]
    gmed = {"L": [_cycle(0.0, -100.0), _cycle(0.72, -50.0), _cycle(1.44, 0, "no burst"),
                  _cycle(2.16, -90.0)],
            "R": [_cycle(0.36, -120.0), _cycle(1.08, -60.0)]}
    win.update_view(GaitView(steps, 171.0, 170.0, gmed), np.array([0.02]), now=1.0)
    # left: one bar per step with an onset, at its value, green at or before the target
    left, right = win.gmed_bars["L"].opts, win.gmed_bars["R"].opts
    np.testing.assert_allclose(left["x"], [0, 1, 3])
    np.testing.assert_allclose(left["height"], [-100, -50, -90])
    on, off = pg.mkColor(ON).name(), pg.mkColor(OFF).name()
    assert _brush_colours(win.gmed_bars["L"]) == [on, off, on]
    np.testing.assert_allclose(right["height"], [-120, -60])
    assert _brush_colours(win.gmed_bars["R"]) == [on, off]
    # each side's newest onset, coloured by the same decision
    assert win.gmed_labels["L"].text().startswith("GMED L -90 ms") and _colour_of(win.gmed_labels["L"]) == ON
    assert win.gmed_labels["R"].text().startswith("GMED R -60 ms") and _colour_of(win.gmed_labels["R"]) == OFF
    assert win.gmed_target["L"].value() == -80
    # step width bars: in band, crossover, out of band; the newest step on the top line
    assert _brush_colours(win.bars) == [pg.mkColor(c).name() for c in (IN_BAND, CROSSOVER, OUT_BAND,
                                                                        IN_BAND)]
    assert win.width_label.text() == "width +8.0 cm [5–12]" and _colour_of(win.width_label) == ON
    assert _colour_of(win.cadence_label) == ON  # 171 within ±3 of 172
    win.targets.gmed_onset_ms = -45.0  # the clinician moves the target: the strips follow
    win.update_view(GaitView(steps, 171.0, 170.0, gmed), np.array([0.02]), now=1.1)
    assert _brush_colours(win.gmed_bars["L"]) == [on, on, on]
    assert win.gmed_target["R"].value() == -45


def test_window_fits_1280x720_with_large_text(qtbot) -> None:
    win = _window(qtbot)
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    steps = [_step(i, w) for i, w in enumerate([7.0, -12.5])]
    gmed = {"L": [_cycle(0.0, -188.0)], "R": [_cycle(0.36, -199.0)]}
    win.update_view(GaitView(steps, 188.0, 170.0, gmed), np.array([0.02]), now=1.0)
    assert win.width_label.text() == "CROSSOVER -12.5 cm"
    assert win.minimumSizeHint().width() <= 1280 and win.minimumSizeHint().height() <= 720
    qtbot.waitUntil(lambda: win.width() == 1280 and win.height() == 720, timeout=3000)
    labels = [lab for lab in win.findChildren(FitLabel) if lab.isVisible()]
    assert len(labels) == 4  # no sacral IMU: the pelvic-drop rows are hidden
    for lab in labels:  # nothing clipped: each line fits its width, in large type
        font = lab.font()
        assert QtGui.QFontMetrics(font).horizontalAdvance(lab.text()) <= lab.contentsRect().width()
        assert font.pixelSize() >= 44, (lab.text(), font.pixelSize())
    # axis text large enough to read from the treadmill at 2–3 m
    for plot in (win.plot, *win.gmed_plots.values()):
        axis = plot.getAxis("left")
        assert "22px" in axis.labelStyle["font-size"] and axis.style["tickFont"].pixelSize() >= 18
    win.resize(1920, 1080)  # a bigger screen: bigger text
    qtbot.waitUntil(lambda: win.width_label.pixel_size > 60, timeout=3000)


def test_pelvic_drop_rows_appear_with_a_sacral_imu_and_still_fit(qtbot) -> None:
    win = _window(qtbot)
    win.targets.pelvic_drop_max_deg = 5.0
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    steps = [_step(i, w) for i, w in enumerate([7.0, 8.0])]
    gmed = {"L": [_cycle(0.0, -100.0)], "R": [_cycle(0.36, -90.0)]}
    drops = {"L": [DropResult(0, "L", 0.0, 0.25, 4.2, 3.9, 3.0, 0.3),
                   DropResult(2, "L", 0.72, 0.97, np.nan, np.nan, np.nan, 1.0, "stance: missing samples"),
                   DropResult(4, "L", 1.44, 1.69, 5.6, 5.0, 4.0, 1.7)],
             "R": [DropResult(1, "R", 0.36, 0.61, 6.8, 6.1, 5.5, 0.7)]}
    pv = PelvisView("imu", "SACRUM", "tracking", np.zeros(0), np.zeros(0), drops)
    win.update_view(GaitView(steps, 171.0, 170.0, gmed), np.array([0.02]), now=1.0, pelvis=pv)
    assert win.pelvis_shown
    np.testing.assert_allclose(win.drop_bars["L"].opts["x"], [0, 2])  # the stance left out: no bar
    np.testing.assert_allclose(win.drop_bars["L"].opts["height"], [4.2, 5.6])
    on, off = pg.mkColor(ON).name(), pg.mkColor(OFF).name()
    assert _brush_colours(win.drop_bars["L"]) == [on, off]
    assert win.drop_labels["L"].text() == "L stance drop 5.6° [≤ 5°]"
    assert _colour_of(win.drop_labels["L"]) == OFF
    assert win.drop_labels["R"].text().startswith("R stance drop 6.8°")
    assert win.drop_target["R"].value() == 5.0
    qtbot.waitUntil(lambda: win.width() == 1280 and win.height() == 720, timeout=3000)
    labels = [lab for lab in win.findChildren(FitLabel) if lab.isVisible()]
    assert len(labels) == 6
    assert win.minimumSizeHint().height() <= 720
    for lab in labels:  # six lines of large text still fit
        assert QtGui.QFontMetrics(lab.font()).horizontalAdvance(lab.text()) <= lab.contentsRect().width()
        assert lab.font().pixelSize() >= 40, (lab.text(), lab.font().pixelSize())
    win.update_view(GaitView(steps, 171.0, 170.0, gmed), np.array([0.02]), now=1.1)  # the IMU is gone
    assert not win.pelvis_shown
