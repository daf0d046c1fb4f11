"""Audible metronome: the click-track renderer, and streaming it through a real pipe to a real
subprocess that stands in for the audio player (it writes its stdin to a file)."""

from __future__ import annotations

import sys
import time

import numpy as np

from gaitlab.gui.metronome import ACCENT_HZ, CLICK_HZ, ClickTrack, Metronome, find_player, render_clicks

FS = 48000


def onsets(pcm: np.ndarray, quiet: int = 200) -> np.ndarray:
    """First non-zero sample of each click (a click follows at least ``quiet`` zero samples)."""
    nz = np.flatnonzero(pcm)
    return nz[np.r_[True, np.diff(nz) > quiet]] if nz.size else nz


def expected_beats(bpm: float, start: float, n_beats: int) -> np.ndarray:
    return np.rint(start + np.arange(n_beats) * 60.0 * FS / bpm).astype(np.int64)


def test_render_puts_each_click_on_its_exact_sample_and_blocks_join_seamlessly() -> None:
    beats = np.array([0, 1234, 20001, 47999])
    pcm = render_clicks(FS, beats, FS)
    assert pcm.dtype == np.int16 and pcm.size == FS
    np.testing.assert_array_equal(onsets(pcm), beats)
    assert np.abs(pcm).max() > 10000  # audible, not clipped to silence
    # 172 spm: a period of 16,744.19 samples, not a whole number; rendered in odd-sized blocks
    track = ClickTrack(172.0, FS)
    sizes = np.random.default_rng(3).integers(1, 9000, size=60)
    pcm = np.concatenate([track.render(int(n)) for n in sizes])
    want = expected_beats(172.0, 0, 40)
    want = want[want < pcm.size - 600]
    got = onsets(pcm)
    np.testing.assert_array_equal(got[:want.size], want)
    whole = ClickTrack(172.0, FS).render(pcm.size)
    np.testing.assert_array_equal(pcm, whole)  # the block size never changes a sample


def test_tempo_change_takes_effect_within_one_beat_and_accents_are_higher() -> None:
    track = ClickTrack(150.0, FS, accent=4)
    first = track.render(70000)  # beats at 0, 19200, 38400, 57600; next due at 76800
    track.set_bpm(200.0)  # new period 14400: next beat at min(76800, 70000 + 14400)
    pcm = np.concatenate([first, track.render(5 * FS)])
    got = onsets(pcm)
    np.testing.assert_array_equal(got[:5], expected_beats(150.0, 0, 5))
    after = got[4:]
    assert after[0] - 70000 <= 19200  # the change is heard within one (old) beat
    np.testing.assert_array_equal(np.diff(after), np.diff(expected_beats(200.0, after[0], after.size)))
    assert track.changes == [(0, 150.0), (76800, 200.0)]

    def pitch(k: int) -> float:
        seg = pcm[got[k]:got[k] + 512].astype(float)
        spec = np.abs(np.fft.rfft(seg, 8192))
        return float(np.fft.rfftfreq(8192, 1 / FS)[spec.argmax()])

    assert abs(pitch(0) - ACCENT_HZ) < 60 and abs(pitch(4) - ACCENT_HZ) < 60  # beats 0, 4, 8…
    assert abs(pitch(1) - CLICK_HZ) < 60 and abs(pitch(5) - CLICK_HZ) < 60


def _sink(path) -> list[str]:
    """A real process reading raw PCM on stdin, like pw-cat/aplay, that keeps it in a file."""
    code = "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, open(sys.argv[1], 'wb'), 4096)"
    return [sys.executable, "-c", code, str(path)]


def test_streaming_through_a_pipe_keeps_sample_exact_beats_small_lead_and_follows_bpm(tmp_path) -> None:
    out = tmp_path / "click.s16"
    met = Metronome(command=_sink(out), fs=FS, lead_s=0.06)
    assert met.available and met.start(180.0)
    time.sleep(1.2)
    at_change = met.written  # samples already in the pipe when the tempo changes
    met.set_bpm(240.0)
    time.sleep(1.2)
    met.stop()
    written = met.written  # after stop: the writer thread has finished (no race with it)
    assert met.error == "" and not met.running
    pcm = np.fromfile(out, np.int16)
    assert pcm.size == written  # everything written went through the pipe
    assert 0.0 < met.max_lead_s <= 0.1  # never more than 100 ms ahead of real time
    got = onsets(pcm)
    old = got[got < at_change]
    np.testing.assert_array_equal(old, expected_beats(180.0, 0, old.size))  # 16,000 apart
    new = got[got >= at_change]
    assert new.size >= 3 and new[0] - at_change <= 16000  # within one old beat of the change
    np.testing.assert_array_equal(np.diff(new), np.diff(expected_beats(240.0, new[0], new.size)))


def test_no_player_or_a_player_that_dies_is_reported_not_raised(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pw-cat, paplay or aplay here
    assert find_player() is None
    met = Metronome()
    assert not met.available and not met.start(170.0)
    assert "no audio player" in met.error
    dead = Metronome(command=[sys.executable, "-c", "pass"], lead_s=0.05)
    assert dead.start(170.0)
    deadline = time.monotonic() + 5
    while dead.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not dead.running and dead.error == "the audio player stopped"
    dead.stop()
