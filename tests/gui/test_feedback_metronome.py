"""Biofeedback window: the metronome toggle drives a real click stream (or falls back and says so
once), and the debug overlay shows sensor→screen latency taken at the plots' paint."""

from __future__ import annotations

import sys

import numpy as np
import pylsl

from gaitlab.gui.feedback import BiofeedbackWindow, Targets
from gaitlab.gui.latency import TimedPlotWidget, overlay_text
from gaitlab.gui.metronome import Metronome
from gaitlab.live import GaitView


def _sink(path) -> list[str]:
    code = "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, open(sys.argv[1], 'wb'), 4096)"
    return [sys.executable, "-c", code, str(path)]


def _gaps(path) -> np.ndarray:
    """Samples between the clicks written so far (a click: a run of non-zero samples)."""
    pcm = np.fromfile(path, np.int16) if path.exists() else np.zeros(0, np.int16)
    nz = np.flatnonzero(pcm)
    return np.diff(nz[np.r_[True, np.diff(nz) > 200]]) if nz.size else np.zeros(0, np.int64)


def test_metronome_toggle_streams_clicks_at_the_target_cadence(qtbot, tmp_path) -> None:
    out = tmp_path / "clicks.s16"
    met = Metronome(command=_sink(out), fs=48000)
    win = BiofeedbackWindow(Targets(cadence_spm=180.0, metronome=True), metronome=met)
    qtbot.addWidget(win)
    assert win.sync_metronome() == "" and met.running
    # polled, not slept: on a loaded machine the player reaches the file late
    qtbot.waitUntil(lambda: np.count_nonzero(_gaps(out) == 16000) >= 2, timeout=10000)
    win.targets.cadence_spm = 160.0
    win.sync_metronome()  # same process, new tempo
    qtbot.waitUntil(lambda: np.count_nonzero(_gaps(out) == 18000) >= 2, timeout=10000)
    win.targets.metronome = False
    win.sync_metronome()
    assert not met.running
    gaps = _gaps(out)
    assert gaps[0] == 16000 and gaps[-1] == 18000  # 180, then 160 clicks/min at 48 kHz, to the sample
    odd = gaps[(gaps != 16000) & (gaps != 18000)]
    assert odd.size <= 1 and np.all(odd < 18000)  # at most the one beat where the tempo changed


def test_without_a_player_the_window_falls_back_and_says_so_once(qtbot) -> None:
    win = BiofeedbackWindow(Targets(cadence_spm=170.0, metronome=True), metronome=Metronome(command=[]))
    qtbot.addWidget(win)
    note = win.sync_metronome()
    assert "no audio player" in note and "visual metronome" in note and "\n" not in note
    assert win.sync_metronome() == ""  # said once
    win.show()
    gv = GaitView(steps=[], cadence_spm=float("nan"), session_cadence_spm=float("nan"))
    win.update_view(gv, np.array([0.02, 0.03]), now=100.0)
    first = win.beat.text()
    win.update_view(gv, np.array([0.02, 0.03]), now=100.0 + 60.0 / 170.0)
    assert first and win.beat.text() != first  # the visual beat ticks at the cadence
    assert "at paint" in win.debug.text() and "n=2" in win.debug.text()


def test_paint_clock_measures_at_the_widget_paint(qtbot) -> None:
    plot = TimedPlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    curve = plot.plot(np.arange(100.0), np.sin(np.arange(100.0)))
    clock = plot.paint_clock
    stamp = pylsl.local_clock()
    clock.drawn(stamp)
    qtbot.waitUntil(lambda: clock.painted == 1, timeout=3000)
    lat = clock.latencies[-1]
    assert 0.0 < lat < pylsl.local_clock() - stamp  # taken at the paint, before now
    plot.repaint()  # a repaint of unchanged data is not a new frame
    assert clock.painted == 1
    curve.setData(np.arange(50.0), np.cos(np.arange(50.0)))
    clock.drawn(pylsl.local_clock())
    plot.hide()  # hidden before it could paint: that stamp is never counted
    plot.show()
    qtbot.wait(100)
    assert clock.painted == 1
    assert overlay_text({}).endswith("—") and f"EMG {1000 * lat:.0f}/" in overlay_text({"EMG": clock})
