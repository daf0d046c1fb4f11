"""bandpass_long (one cascaded zero-phase filter, exact ends) equals bandpass to float rounding."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.analysis import emg as E
from gaitlab.analysis import onsets as O
from gaitlab.analysis.params import EmgParams

FS = 2000.0


def emg_with_hum(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    bursts = 1 + 6 * (np.sin(2 * np.pi * 1.35 * t) > 0.55)  # ~0.7 s cycles with bursts
    return (rng.normal(size=t.size) * 1e-5 * bursts + 3e-5 * np.sin(2 * np.pi * 50 * t)
            + 2e-3).astype(np.float32)


@pytest.mark.parametrize("notches", [[50.0], [50.0, 150.0, 250.0]])
def test_bandpass_long_equals_bandpass(notches: list[float]) -> None:
    x = emg_with_hum(40, 1)
    p = EmgParams()
    a, b = E.bandpass(x, FS, p, notches), E.bandpass_long(x, FS, p, notches)
    assert np.max(np.abs(a - b)) <= 1e-12 * np.max(np.abs(a))  # ends included
    ea, eb = E.linear_envelope(a, FS, 10.0), E.linear_envelope(b, FS, 10.0)
    assert np.max(np.abs(ea - eb) / np.abs(ea)) < 1e-6  # the stated envelope tolerance
    oa, ob = O.detect_onsets(a, FS, p), O.detect_onsets(b, FS, p)
    assert oa.bursts.on.size > 20  # bursts were found, the comparison is not empty
    np.testing.assert_array_equal(ob.bursts.on, oa.bursts.on)  # onsets to the sample
    np.testing.assert_array_equal(ob.bursts.off, oa.bursts.off)


def test_short_or_unnotched_signals_use_bandpass() -> None:
    p = EmgParams()
    x = emg_with_hum(10, 2)  # shorter than 4 × EDGE_S
    np.testing.assert_array_equal(E.bandpass_long(x, FS, p, [50.0]), E.bandpass(x, FS, p, [50.0]))
    y = emg_with_hum(30, 3)
    np.testing.assert_array_equal(E.bandpass_long(y, FS, p, []), E.bandpass(y, FS, p, []))


@pytest.mark.parametrize("n", [40, 5000, 123457])
def test_zero_phase_is_sosfiltfilt(n: int) -> None:
    from scipy import signal

    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).cumsum()
    p = EmgParams()
    sos = np.vstack([signal.tf2sos(*signal.iirnotch(50.0, p.notch_q, fs=FS)),
                     signal.butter(4, [20.0, 450.0], btype="bandpass", fs=FS, output="sos")])
    np.testing.assert_array_equal(E.zero_phase(sos, x), signal.sosfiltfilt(sos, x))
