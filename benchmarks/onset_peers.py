"""EMG onset detection: gaitlab against NeuroKit2 and BioSPPy, same signals, one run.

Signals: the virtual athlete's EMG (default athlete, 6 hip muscles at 2 kHz, hum and
footfall artefacts on) for a treadmill run, at profile SNR 20 dB and 10 dB. Truth is the
model's burst list (``model.bursts``: rendered onset/offset of each burst); it is used
only to score detections, never to configure a detector.

Every detector gets the same rest segment, chosen from the protocol alone: the first
``--settle`` seconds of the run block before running starts (0.25 s … settle − 0.5 s).
Each peer's threshold is set from that segment *in its own test-function units* (see
``peer_methods``); gaitlab finds its own baseline (quiet windows) and ignores it.

    python3 benchmarks/onset_peers.py [--minutes 1] [--snr 20 10] [--abbink-s 5]

Prints a markdown table: wall time per minute of signal per channel, speed ratio against
gaitlab's default, onset/offset median and p95 |error| (ms) and detection rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

MATCH_S = 0.100  # a true burst counts as found when a detected burst overlaps it and
#                  its onset lies within this of the true onset
K_SD = 3.0  # rest mean + K_SD·SD, the peers' threshold in their own test-function units
WIN_S = 0.050  # moving-average / activity windows of the peers (seconds)

Detector = Callable[[np.ndarray, float, slice], tuple[np.ndarray, np.ndarray]]


@dataclass
class Result:
    time_s: float = 0.0
    signal_s: float = 0.0
    onset_err: list[float] | None = None
    offset_err: list[float] | None = None
    found: int = 0
    truth: int = 0
    false_bursts: int = 0
    failed: str = ""


# ------------------------------------------------------------------ signals
def make_signals(snr_db: float, run_s: float, settle_s: float, seed: int
                 ) -> tuple[np.ndarray, float, list[str], dict]:
    from gaitlab.athlete import load_profile
    from gaitlab.drivers.virtual import model as M
    from gaitlab.drivers.virtual import render
    from gaitlab.protocols import load_protocol

    prof = load_profile("default")
    prof = replace(prof, emg=replace(prof.emg, snr_db=float(snr_db)))
    proto = load_protocol("run")
    proto = replace(proto, run=replace(proto.run, settle_s=settle_s))
    model = M.build_session(prof, proto, seed=seed, run_duration_s=run_s)
    fs = float(prof.devices.emg_rate_hz)
    x = render.render_emg(model, 0, render.n_samples(model.duration_s, fs)).astype(np.float64)
    return x, fs, model.emg_channels, model.bursts


# ------------------------------------------------------------------ pairing / scoring
def pair_transitions(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BioSPPy returns onsets and offsets merged in one sorted array: pair them in order."""
    idx = np.sort(np.asarray(idx, dtype=np.int64))
    n = idx.size // 2
    return idx[0: 2 * n: 2], idx[1: 2 * n: 2]


def pair_on_off(on: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each onset with the first offset after it (NeuroKit2 may drop a last offset)."""
    on, off = np.sort(np.asarray(on, np.int64)), np.sort(np.asarray(off, np.int64))
    if on.size == 0 or off.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    j = np.searchsorted(off, on, side="left")
    ok = j < off.size
    return on[ok], off[j[ok]]


def score(on: np.ndarray, off: np.ndarray, fs: float, t_on: np.ndarray, t_off: np.ndarray,
          res: Result) -> None:
    """Match each true burst to the detected burst with the nearest onset that overlaps it."""
    d_on, d_off = on / fs, off / fs
    res.truth += t_on.size
    if d_on.size == 0:
        return
    j = np.clip(np.searchsorted(d_on, t_on), 1, max(d_on.size - 1, 1))
    j = np.where(np.abs(d_on[j - 1] - t_on) <= np.abs(d_on[np.minimum(j, d_on.size - 1)] - t_on),
                 j - 1, np.minimum(j, d_on.size - 1))
    overlap = (d_on[j] <= t_off) & (d_off[j] >= t_on)
    ok = overlap & (np.abs(d_on[j] - t_on) <= MATCH_S)
    res.found += int(ok.sum())
    res.onset_err += list(np.abs(d_on[j[ok]] - t_on[ok]) * 1000)
    res.offset_err += list(np.abs(d_off[j[ok]] - t_off[ok]) * 1000)
    # detected bursts overlapping no true burst
    k = np.searchsorted(t_on, d_off, side="right") - 1
    kc = np.clip(k, 0, t_on.size - 1)
    hits = (k >= 0) & (t_off[kc] >= d_on)
    res.false_bursts += int((~hits).sum())


# ------------------------------------------------------------------ gaitlab
def gaitlab_method(method: str) -> Detector:
    from gaitlab.analysis.emg import bandpass, detect_mains
    from gaitlab.analysis.onsets import detect_onsets
    from gaitlab.analysis.params import EmgParams

    p = EmgParams(onset_method=method)

    def run(x: np.ndarray, fs: float, rest: slice) -> tuple[np.ndarray, np.ndarray]:
        _, notches = detect_mains(x, fs, p.mains_min_ratio, p.lowpass_hz)
        o = detect_onsets(bandpass(x, fs, p, notches), fs, p)
        return o.bursts.on, o.bursts.off

    return run


# ------------------------------------------------------------------ NeuroKit2
def nk_process_default(x: np.ndarray, fs: float, rest: slice) -> tuple[np.ndarray, np.ndarray]:
    """``emg_process`` as shipped (sampling_rate passed): threshold 0.1·SD of the amplitude."""
    import neurokit2 as nk

    _, info = nk.emg_process(x, sampling_rate=int(fs))
    return pair_on_off(info["EMG_Onsets"], info["EMG_Offsets"])


def nk_rest_threshold(x: np.ndarray, fs: float, rest: slice) -> tuple[np.ndarray, np.ndarray]:
    """emg_clean → TKEO amplitude with the envelope at the true rate → emg_activation with a
    threshold of rest mean + K_SD·SD of that amplitude."""
    import neurokit2 as nk
    from neurokit2.emg.emg_amplitude import _emg_amplitude_envelope, _emg_amplitude_tkeo

    clean = nk.emg_clean(x, sampling_rate=int(fs))
    amp = _emg_amplitude_envelope(_emg_amplitude_tkeo(clean), sampling_rate=int(fs))
    base = amp[rest]
    thr = float(base.mean() + K_SD * base.std())
    _, info = nk.emg_activation(emg_amplitude=amp, sampling_rate=int(fs), threshold=thr)
    return pair_on_off(info["EMG_Onsets"], info["EMG_Offsets"])


# ------------------------------------------------------------------ BioSPPy
def _bs_filter(x: np.ndarray, fs: float) -> np.ndarray:
    """BioSPPy's own EMG conditioning (what ``biosppy.signals.emg.emg`` does): 4th-order
    Butterworth high-pass at 100 Hz."""
    from biosppy.signals import tools as st

    y, _, _ = st.filter_signal(signal=x, ftype="butter", band="highpass", order=4,
                               frequency=100, sampling_rate=fs)
    return y


def _mavg_rest(y: np.ndarray, rest: slice, size: int) -> dict[str, float]:
    """Rest mean/SD of the rectified moving average the detector itself computes."""
    r = y[rest] - np.mean(y)
    mv = np.convolve(np.abs(r), np.ones(size) / size, mode="valid")
    return {"mean": float(mv.mean()), "std_dev": float(mv.std())}


def peer_methods() -> dict[str, Detector]:
    """Peers, each configured from the rest segment in its own units. BioSPPy documents
    ``size`` in seconds but its detectors use it as a sample count (``np.ones((size,))``),
    so sizes are passed in samples; only ``find_onsets`` converts seconds itself."""
    from biosppy.signals import emg as bse
    from biosppy.signals import tools as st

    def find_onsets(x: np.ndarray, fs: float, rest: slice):
        y = _bs_filter(x, fs)
        size = int(fs * WIN_S)
        mv, _ = st.smoother(signal=np.abs(y[rest]), kernel="boxzen", size=size, mirror=True)
        thr = float(mv.mean() + K_SD * mv.std())
        return pair_transitions(bse.find_onsets(signal=y, sampling_rate=fs, size=WIN_S,
                                                threshold=thr)["onsets"])

    def hodges_bui(x: np.ndarray, fs: float, rest: slice):
        y, size = _bs_filter(x, fs), int(fs * WIN_S)
        return pair_transitions(bse.hodges_bui_onset_detector(
            signal=y, rest=_mavg_rest(y, rest, size), sampling_rate=fs, size=size,
            threshold=K_SD)["onsets"])

    def bonato(x: np.ndarray, fs: float, rest: slice):
        y = _bs_filter(x, fs)
        r = y[rest] - np.mean(y[rest])
        # ζ = −2 ln(0.05) (χ² with 2 dof, as gaitlab), r0 = 1 of m = 5, n = 25 ms
        return pair_transitions(bse.bonato_onset_detector(
            signal=y, rest={"var": float(r.var())}, sampling_rate=fs,
            threshold=-2 * np.log(0.05), active_state_duration=int(0.025 * fs / 2),
            samples_above_fail=1, fail_size=5)["onsets"])

    def lidierth(x: np.ndarray, fs: float, rest: slice):
        y, size = _bs_filter(x, fs), int(fs * WIN_S)
        return pair_transitions(bse.lidierth_onset_detector(
            signal=y, rest=_mavg_rest(y, rest, size), sampling_rate=fs, size=size,
            threshold=K_SD, active_state_duration=int(fs * WIN_S),
            fail_size=int(0.010 * fs))["onsets"])

    def abbink(x: np.ndarray, fs: float, rest: slice):
        y, size = _bs_filter(x, fs), int(fs * WIN_S)
        return pair_transitions(bse.abbink_onset_detector(
            signal=y, rest=_mavg_rest(y, rest, size), sampling_rate=fs, size=size,
            alarm_size=int(0.025 * fs), threshold=K_SD, transition_threshold=K_SD / 2)["onsets"])

    def solnik(x: np.ndarray, fs: float, rest: slice):
        y = _bs_filter(x, fs)
        r = y[rest] - np.mean(y)
        psi = np.abs(r[1:-1] ** 2 - r[2:] * r[:-2])  # the detector's own |TKEO|
        return pair_transitions(bse.solnik_onset_detector(
            signal=y, rest={"mean": float(psi.mean()), "std_dev": float(psi.std())},
            sampling_rate=fs, threshold=K_SD, active_state_duration=int(fs * WIN_S))["onsets"])

    def silva(x: np.ndarray, fs: float, rest: slice):
        y, size = _bs_filter(x, fs), int(fs * WIN_S)
        stats = _mavg_rest(y, rest, size)
        return pair_transitions(bse.silva_onset_detector(
            signal=y, sampling_rate=fs, size=size, threshold_size=int(fs * 0.25),
            threshold=stats["mean"] + K_SD * stats["std_dev"])["onsets"])

    out: dict[str, Detector] = {}
    for name, fn in [("find_onsets", find_onsets), ("hodges_bui", hodges_bui),
                     ("bonato", bonato), ("lidierth", lidierth), ("abbink", abbink),
                     ("solnik", solnik), ("silva", silva)]:
        if hasattr(bse, name if name == "find_onsets" else f"{name}_onset_detector"):
            out[f"BioSPPy {name}"] = fn
    return out


def all_methods() -> dict[str, Detector]:
    m: dict[str, Detector] = {f"gaitlab {k}": gaitlab_method(k)
                              for k in ("hodges_bui", "bonato", "tkeo")}
    m["NeuroKit2 emg_process (defaults)"] = nk_process_default
    m["NeuroKit2 threshold from rest"] = nk_rest_threshold
    m.update(peer_methods())
    return m


# ------------------------------------------------------------------ run
def run_case(snr: float, a: argparse.Namespace, methods: dict[str, Detector]
             ) -> tuple[dict[str, Result], int]:
    x, fs, names, bursts = make_signals(snr, a.minutes * 60, a.settle, a.seed)
    rest = slice(int(0.25 * fs), int((a.settle - 0.5) * fs))
    out = {k: Result(onset_err=[], offset_err=[]) for k in methods}
    for label, fn in methods.items():
        res = out[label]
        n_use = x.shape[0]
        if "abbink" in label:  # quadratic in the position of each alarm: a short excerpt
            n_use = min(n_use, int((a.settle + a.abbink_s) * fs))
        for j, ch in enumerate(names):
            sig = np.ascontiguousarray(x[:n_use, j])
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    on, off = fn(sig, fs, rest)
            except Exception as e:  # report a peer's failure instead of stopping the run
                res.failed = f"{type(e).__name__}: {str(e)[:80]}"
                on = off = np.empty(0, np.int64)
            res.time_s += time.perf_counter() - t0
            res.signal_s += n_use / fs
            b = bursts[ch]
            keep = b.offset < n_use / fs
            score(np.asarray(on), np.asarray(off), fs, b.onset[keep], b.offset[keep], res)
        print(f"  SNR {snr:g} {label}: {res.time_s:.2f} s", file=sys.stderr, flush=True)
    return out, len(names)


def _q(v: list[float] | None, q: float) -> str:
    return f"{np.percentile(v, q):.1f}" if v else "–"


def table(snr: float, res: dict[str, Result], n_ch: int) -> str:
    ref = res["gaitlab hodges_bui"]
    ref_rate = ref.time_s / ref.signal_s
    rows = [f"#### Profile SNR {snr:g} dB", "",
            "| method | s per min of signal (1 ch) | × gaitlab default time | onset median / p95 ms "
            "| offset median / p95 ms | detected | false bursts / min |",
            "|---|---|---|---|---|---|---|"]
    for k, r in res.items():
        rate = r.time_s / max(r.signal_s, 1e-9)
        det = f"{100 * r.found / max(r.truth, 1):.1f} %"
        fpm = r.false_bursts / max(r.signal_s / 60, 1e-9)
        note = f" ({r.failed})" if r.failed else ""
        note += f" [first {r.signal_s / n_ch:.0f} s only]" if "abbink" in k else ""
        rows.append(f"| {k}{note} | {60 * rate:.3f} | {rate / ref_rate:.1f} | "
                    f"{_q(r.onset_err, 50)} / {_q(r.onset_err, 95)} | "
                    f"{_q(r.offset_err, 50)} / {_q(r.offset_err, 95)} | {det} | {fpm:.1f} |")
    return "\n".join(rows)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="run length (minutes)")
    ap.add_argument("--snr", type=float, nargs="+", default=[20.0, 10.0])
    ap.add_argument("--settle", type=float, default=2.0, help="quiet lead-in (s); rest segment")
    ap.add_argument("--abbink-s", type=float, default=5.0,
                    help="BioSPPy abbink runs on this much running only (it is quadratic)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    import biosppy
    import neurokit2

    methods = all_methods()
    print(f"Machine: nproc {os.cpu_count()}, CPU {cpu_model()}, Python "
          f"{platform.python_version()}, NeuroKit2 {neurokit2.__version__}, BioSPPy "
          f"{biosppy.__version__}; {dt.date.today()}; command `python3 benchmarks/onset_peers.py "
          f"{' '.join(sys.argv[1:])}`\n")
    for snr in a.snr:
        print(table(snr, *run_case(snr, a, methods)) + "\n", flush=True)


if __name__ == "__main__":
    main()
