import numpy as np
import pytest
from analysis_synth import COL_PITCH, ROW_PITCH, Footfall, render_pressure, threshold_times

from gaitlab.analysis.params import PressureParams
from gaitlab.analysis.pressure import contacts_from_blocks, segment_contacts

FS = 120.0


@pytest.mark.parametrize("x_m,toe", [(0.20, 8.0), (0.31, -8.0)])
def test_one_footprint_placement_timing_orientation(x_m: float, toe: float) -> None:
    ff = Footfall(ic=0.2033, dur=0.262, x=x_m, toe_deg=toe)
    frames, t = render_pressure([ff], 80, FS)
    c = segment_contacts(frames, t, ROW_PITCH, COL_PITCH)
    assert len(c) == 1  # heel and forefoot blobs (5 cm arch gap) are one contact
    ic, to = threshold_times(ff, 1.0)
    assert abs(c.ic[0] - ic) < 0.010 and abs(c.to[0] - to) < 0.010
    assert abs((c.to[0] - c.ic[0]) - (to - ic)) < 0.010
    assert abs(c.x[0] - x_m) < 0.003
    assert np.sign(c.toe_angle_deg[0]) == np.sign(toe)


def test_no_bridge_splits_heel_and_forefoot() -> None:
    frames, t = render_pressure([Footfall(0.1, 0.25, 0.25, 0.0)], 60, FS, arch_gap_m=0.06)
    p = PressureParams(bridge_mm=0.0)
    assert len(segment_contacts(frames, t, ROW_PITCH, COL_PITCH, p)) == 2
    assert len(segment_contacts(frames, t, ROW_PITCH, COL_PITCH)) == 1


def test_contacts_across_block_boundaries_match_single_block() -> None:
    feet = [Footfall(0.1 + 0.35 * i, 0.25, 0.22 + 0.01 * (i % 3), 7.0 * (-1) ** (i + 1))
            for i in range(12)]
    frames, t = render_pressure(feet, int(4.6 * FS), FS)

    def read(a: int, b: int) -> np.ndarray:
        return frames[a:b]

    whole = contacts_from_blocks(read, t, ROW_PITCH, COL_PITCH, block_frames=frames.shape[0])
    for bf in (37, 64, 100):  # blocks shorter than, about, and longer than one contact
        c = contacts_from_blocks(read, t, ROW_PITCH, COL_PITCH, block_frames=bf)
        assert len(c) == len(whole) == 12
        np.testing.assert_allclose(c.ic, whole.ic, atol=1e-9)
        np.testing.assert_allclose(c.x, whole.x, atol=1e-9)
        assert np.all(np.diff(c.first) > 0)


def test_nan_frames_and_truncated_contacts() -> None:
    feet = [Footfall(-0.1, 0.25, 0.2, -7), Footfall(0.3, 0.25, 0.25, 7)]
    frames, t = render_pressure(feet, 80, FS)
    frames[25:28] = np.nan  # a dropout between contacts
    frames[45, 3, 3] = np.nan
    c = segment_contacts(frames, t, ROW_PITCH, COL_PITCH)
    assert len(c) == 2
    assert np.isnan(c.ic[0]) and np.isfinite(c.to[0])  # started before the data
    assert np.isfinite(c.ic[1]) and np.isfinite(c.to[1])


def test_empty_and_noise_only() -> None:
    z = np.zeros((30, 16, 8), np.float32)
    assert len(segment_contacts(z, np.arange(30) / FS, ROW_PITCH, COL_PITCH)) == 0
    z[5, 4, 4] = 5.0  # one hot sensor is not a contact
    assert len(segment_contacts(z, np.arange(30) / FS, ROW_PITCH, COL_PITCH)) == 0
