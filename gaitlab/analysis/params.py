"""Analysis parameters: plain dataclasses that round-trip through JSON.

Every number that changes a metric lives here, and the whole set is stored with the
metrics in the session file (``/analysis/parameters_json``), so a result can always be
reproduced and compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from gaitlab.errors import GaitlabError


@dataclass
class PressureParams:
    threshold_ncm2: float = 1.0  # contact threshold (clinical pressure-treadmill convention)
    block_s: float = 20.0  # frames are read and segmented in blocks of this length
    bridge_mm: float = 80.0  # arch gap bridged between heel and forefoot blobs (along the belt)
    bridge_cols: int = 1  # in-plane dilation across the belt, sensors each side
    min_contact_ms: float = 80.0  # shorter blobs are noise
    max_contact_ms: float = 600.0  # longer contacts are standing/walking, not running
    min_sensor_frames: int = 20  # smaller blobs are noise
    belt_speed_mps: float | None = None  # set from the session; the footprint axis needs it


@dataclass
class ForceParams:
    threshold_N: float = 50.0  # vertical force above which a foot is in contact
    # a dip under the threshold shorter than this (TO → next IC) is noise, not a flight:
    # the two runs above it are one contact (a noisy plate's force chatters at IC and TO)
    min_gap_ms: float = 20.0


@dataclass
class GaitParams:
    mode: str = "auto"  # "auto" (from the contacts), "running" or "walking"
    # auto: walking when consecutive contacts overlap (double support) in at least this
    # fraction of the pairs, or when the median stance is at least walking_stance_ms (a
    # recording of one foot shows no overlap; running stances are ~200–350 ms)
    double_support_frac: float = 0.5
    walking_stance_ms: float = 500.0
    # the stance range of a walking contact (running: pressure.min/max_contact_ms); a normal
    # walking stance is 600–900 ms
    walking_min_contact_ms: float = 300.0
    walking_max_contact_ms: float = 1500.0


@dataclass
class SideParams:
    bout_gap_factor: float = 1.6  # a step interval > factor × median interval breaks a bout
    min_bout_steps: int = 6  # shorter bouts cannot be assigned sides reliably
    midline_window: int = 11  # running median of placements (contacts), the moving midline
    conflict_level: float = 0.2  # cues disagreeing with both |score| above this → flag the bout
    line_decisive: float = 0.5  # |gait-line score| at or above this decides the parity alone


@dataclass
class EmgParams:
    highpass_hz: float = 20.0
    lowpass_hz: float = 450.0  # clipped to 0.45 × sampling rate
    filter_order: int = 4  # Butterworth order (doubled by the zero-phase pass)
    mains_hz: str | float = "auto"  # "auto" (detect 50/60), "off", 50 or 60
    mains_min_ratio: float = 4.0  # PSD peak / neighbourhood median to call a mains line
    notch_q: float = 30.0
    timing_envelope_hz: float = 10.0  # low-pass of the rectified signal for onsets
    amplitude_envelope_hz: float = 10.0  # low-pass of the squared signal for amplitude
    baseline_window_ms: float = 100.0
    baseline_fraction: float = 0.2  # quietest fraction of windows of the running bout
    onset_method: str = "hodges_bui"  # "hodges_bui", "bonato" or "tkeo" (docs/metrics.md)
    k_sd: float = 2.5  # Hodges–Bui / TKEO threshold = baseline mean + k·SD
    bonato_p_false: float = 0.05  # ζ = −2 ln(p): P(z > ζ) on noise alone (χ² with 2 dof)
    bonato_window_ms: float = 50.0  # m successive samples …
    bonato_r0_frac: float = 0.25  # … of which at least r0 = frac·m exceed ζ
    edge_refine: bool = True  # re-place edges at a second, burst-relative level
    edge_fraction: float = 0.5  # … this fraction of the way from baseline to the burst mean
    edge_max_ms: float = 60.0  # edges move at most this far
    min_on_ms: float = 50.0  # minimum time above threshold
    bridge_ms: float = 100.0  # sub-threshold dips shorter than this are bridged
    assign_pre_ms: float = 300.0  # a burst may start this long before the same-side IC
    assign_post_ms: float = 150.0  # … or this long after it
    max_burst_stride_frac: float = 0.8  # longer bursts are tonic/artefact
    max_nan_gap_ms: float = 50.0  # NaN runs up to this are interpolated, longer are artefact
    amplitude_window_ms: float = 100.0  # peak amplitude = max of this moving RMS (bursts and MVC)
    mvc_test: str = "hip_abduction"  # dynamometer test whose trials are MVC references
    mvc_marker_test: str = "mvc"  # "trial_start mvc <L|R>" trials are MVC references too
    ensemble_points: int = 101  # gait-cycle ensemble: points from IC (0 %) to next IC (100 %)


@dataclass
class StrengthParams:
    test: str = "hip_abduction"
    smooth_ms: float = 50.0  # moving average before taking a trial's peak
    auto_threshold_frac: float = 0.2  # marker-less segmentation: fraction of the max force
    auto_min_trial_s: float = 1.0
    plateau_s: float = 1.0  # plateau mean = highest mean force over this window
    rfd_window_ms: float = 200.0  # rate of force development over [onset, onset + this]
    onset_abs_N: float = 2.0  # force onset: first rise above baseline + max(abs, frac·peak)
    # marker-less trials: their sides in order ("LRLRLR"; one letter = every trial); ""
    # = the session's strength_order attribute, else the dynamometer stream's desc/side
    order: str = ""
    onset_frac_peak: float = 0.05


@dataclass
class PelvisParams:
    fusion: str = "vqf"  # sacral IMU orientation: vqf | vqf-online | imufusion (docs/validation.md)
    lab_up: str = "z"  # optical markers: the lab axis that points up (x, y, z; "-y" for down-Y labs)


@dataclass
class AnalysisParams:
    pressure: PressureParams = field(default_factory=PressureParams)
    force: ForceParams = field(default_factory=ForceParams)
    gait: GaitParams = field(default_factory=GaitParams)
    sides: SideParams = field(default_factory=SideParams)
    emg: EmgParams = field(default_factory=EmgParams)
    strength: StrengthParams = field(default_factory=StrengthParams)
    pelvis: PelvisParams = field(default_factory=PelvisParams)
    montage: dict[str, str] = field(default_factory=dict)  # EMG label → MUSCLE_SIDE
    devices: dict[str, str] = field(default_factory=dict)  # role → stream key, picked by hand

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnalysisParams:
        """Build from a (possibly partial) dict such as ``to_dict()`` output."""
        out = cls()
        for f in fields(cls):
            if f.name not in d:
                continue
            val = d[f.name]
            cur = getattr(out, f.name)
            if isinstance(cur, dict):
                setattr(out, f.name, dict(val))
                continue
            known = {g.name for g in fields(cur)}
            unknown = set(val) - known
            if unknown:
                raise GaitlabError(f"analysis parameters [{f.name}]: unknown key(s) "
                                   f"{', '.join(sorted(unknown))}")
            setattr(out, f.name, type(cur)(**{**asdict(cur), **val}))
        return out
