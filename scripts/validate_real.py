"""Real recording end to end: a public instrumented-treadmill walking trial through ``analyze_session``.

Recording (``data/real/csuhmc_vgrf_walk.csv``, see data/real/README.md): one foot's
vertical ground reaction force on the instrumented treadmill of the Cleveland State
University Human Motion and Control Lab, walking, ~100 Hz with the lab's own (jittered)
time stamps, 55.6 s — as shipped in the GaitAnalysisToolKit 0.2.0 sdist (Apache-2.0).
Reference heel strikes and toe-offs (``csuhmc_vgrf_walk.json``) were computed by the
package authors' ``gait_landmarks_from_grf`` at 50 N (scripts/convert_real_csuhmc.py).

The recording is written into a ``gaitlab.session/1`` file by the recorder's
SessionWriter (a "Force" stream with one channel "Fz" in N, the raw time stamps, chunk-
sized appends) and analysed by ``analyze_session`` like any session. Its contacts (IC,
TO) are matched to the reference events; stance and stride times and the contact rate
are compared with the same quantities from the reference events.

Only one foot is on the force channel, so gaitlab's left/right alternation labels every
other contact of the *same* foot "R": side-specific metrics mean nothing here, and
gaitlab's "cadence" is this foot's contacts per minute (strides per minute).

    python3 scripts/validate_real.py [--out session.h5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pylsl

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "real" / "csuhmc_vgrf_walk.csv"
REF = ROOT / "data" / "real" / "csuhmc_vgrf_walk.json"
CHUNK = 1024  # samples per append, as the recorder pulls them
# gaitlab's defaults are for running; this is walking (stance ~750 ms)
WALKING_MAX_CONTACT_MS = 1000.0
EXTRA_THRESHOLDS_N = (100.0,)  # sensitivity: gaitlab at another threshold vs the 50 N reference


def load_recording(path: Path = CSV) -> tuple[np.ndarray, np.ndarray]:
    a = np.loadtxt(path, delimiter=",", dtype=np.float64)
    return a[:, 0], a[:, 1]


def load_reference(path: Path = REF) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def stream_xml(source_id: str = "csuhmc-vgrf-walk") -> str:
    info = pylsl.StreamInfo("CSU-HMC treadmill Fz (one foot)", "Force", 1, 100.0, "float32", source_id)
    ch = info.desc().append_child("channels").append_child("channel")
    ch.append_child_value("label", "Fz")
    ch.append_child_value("unit", "N")
    ch.append_child_value("type", "Force")
    return info.as_xml()


def write_session(t: np.ndarray, f: np.ndarray, path: Path) -> Path:
    """The recording as a gaitlab session file, written as the recorder writes one."""
    from gaitlab.io.writer import SessionWriter, header_from_xml

    header, problem = header_from_xml(stream_xml(), float(t[0]))
    if problem:
        raise RuntimeError(problem)
    w = SessionWriter(path, None, overwrite=True, start_lsl_time=float(t[0]))
    try:
        w.file.attrs["software"] = "gaitlab (scripts/validate_real.py, CSU-HMC public recording)"
        _, sw = w.add_stream(header)
        sw.add_offsets(np.array([[t[0], 0.0]]))  # the lab's clock is the session clock
        for a in range(0, t.size, CHUNK):
            sw.append(t[a:a + CHUNK], f[a:a + CHUNK, None].astype(np.float32))
            w.flush()
    finally:
        w.close(complete=True, stop_lsl_time=float(t[-1]))
    return path


def analyse(path: Path, threshold_n: float | None = None) -> Any:
    from gaitlab.analysis.pipeline import analyze_session

    params: dict[str, Any] = {"pressure": {"max_contact_ms": WALKING_MAX_CONTACT_MS}}
    if threshold_n is not None:
        params["force"] = {"threshold_N": threshold_n}
    return analyze_session(path, params)


def match(ref: np.ndarray, got: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """Error (got − ref, s) of the nearest detected event per reference event (NaN when
    none within ``tol``), and the number of detected events matched to no reference."""
    got = np.sort(got[np.isfinite(got)])
    if got.size == 0:
        return np.full(ref.size, np.nan), 0
    j = np.clip(np.searchsorted(got, ref), 1, max(got.size - 1, 1))
    cand = np.stack([got[j - 1], got[np.minimum(j, got.size - 1)]])
    k = np.argmin(np.abs(cand - ref), axis=0)
    near = cand[k, np.arange(ref.size)]
    err = np.where(np.abs(near - ref) <= tol, near - ref, np.nan)
    used = np.unique(near[np.isfinite(err)])
    return err, int(got.size - used.size)


def local_dt(t: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """Sample interval ending at each reference event (the reference marks the first
    sample past the threshold, so the true crossing lies inside this interval)."""
    i = np.clip(np.searchsorted(t, ev), 1, t.size - 1)
    return t[i] - t[i - 1]


def ref_cycles(hs: np.ndarray, to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference stance (HS → next TO) and stride (HS → next HS) times, s."""
    j = np.searchsorted(to, hs, side="right")
    ok = j < to.size
    stance = np.where(ok, to[np.minimum(j, to.size - 1)] - hs, np.nan)
    nxt = np.r_[hs[1:], np.inf]
    stance = np.where(ok & (stance < nxt - hs), stance, np.nan)
    return stance, np.diff(hs)


def compare(res: Any, t: np.ndarray, ref: dict[str, Any]) -> dict[str, Any]:
    r = ref["reference"]
    hs, to = np.asarray(r["heel_strike_s"]), np.asarray(r["toe_off_s"])
    r_stance, r_stride = ref_cycles(hs, to)
    c = res.contacts.contacts if res.contacts is not None else None
    ic = c.ic if c is not None else np.array([])
    gto = c.to if c is not None else np.array([])
    tol = 0.5 * float(np.median(r_stride))
    e_ic, extra_ic = match(hs, ic, tol)
    e_to, extra_to = match(to, gto, tol)
    # per-cycle stance / stride of the detected contacts, aligned to the reference cycles
    g_stance = np.full(hs.size, np.nan)
    g_ic = np.full(hs.size, np.nan)
    if c is not None and ic.size:
        k = np.argmin(np.abs(np.nan_to_num(ic, nan=np.inf)[None, :] - hs[:, None]), axis=1)
        hit = np.isfinite(e_ic)
        g_stance[hit] = (gto[k] - ic[k])[hit]
        g_ic[hit] = ic[k][hit]
    g_stride = np.diff(g_ic)
    gm = res.metrics.get("gait") or {}
    ct = [v for v in (gm.get("contact_time_ms") or {}).values() if isinstance(v, int | float)]
    steps = (res.extras.get("gait_temporal") or {}).get("step_time_ms") or {}
    st = [v for v in steps.values() if isinstance(v, int | float)]
    n_int = hs.size - 1
    return {
        "n_reference_hs": int(hs.size), "n_matched_ic": int(np.isfinite(e_ic).sum()),
        "n_extra_contacts": extra_ic, "n_reference_to": int(to.size),
        "n_matched_to": int(np.isfinite(e_to).sum()), "n_extra_to": extra_to,
        "ic_err_ms": e_ic * 1000, "to_err_ms": e_to * 1000,
        "ic_err_samples": e_ic / local_dt(t, hs), "to_err_samples": e_to / local_dt(t, to),
        "stance_err_ms": (g_stance - r_stance) * 1000, "stride_err_ms": (g_stride - r_stride) * 1000,
        "ref_stance_ms": float(np.nanmean(r_stance) * 1000),
        "ref_stride_ms": float(np.mean(r_stride) * 1000),
        "ref_rate_per_min": 60.0 * n_int / float(hs[-1] - hs[0]),
        "gaitlab_stance_ms": float(np.mean(ct)) if ct else None,
        "gaitlab_stride_ms": float(np.mean(st)) if st else None,
        "gaitlab_rate_per_min": gm.get("cadence_spm"),
        "gaitlab_n_steps": gm.get("n_steps"),
        "median_dt_ms": float(np.median(np.diff(t)) * 1000),
        "notes": res.notes.get("gait"), "warnings": list(res.warnings),
    }


def _stat(x: np.ndarray) -> tuple[float, float]:
    a = np.abs(x[np.isfinite(x)])
    return (float(np.median(a)), float(a.max())) if a.size else (float("nan"), float("nan"))


def table(cmp_: dict[str, Any], extra: dict[float, dict[str, Any]]) -> str:
    def f(v: Any, nd: int = 2) -> str:
        return "—" if v is None else f"{v:.{nd}f}" if isinstance(v, float) else str(v)

    def diff(a: Any, b: float) -> str:
        return "—" if a is None else f"{a - b:+.2f}"

    rows = ["| quantity | gaitlab | reference | error | limit |", "|---|---|---|---|---|"]
    rows.append(f"| contacts matched to reference heel strikes | {cmp_['n_matched_ic']} "
                f"(+{cmp_['n_extra_contacts']} extra) | {cmp_['n_reference_hs']} | | all, none extra |")
    for key, name in (("ic", "IC (heel strike)"), ("to", "TO (toe-off)")):
        med, mx = _stat(cmp_[f"{key}_err_ms"])
        _, mxs = _stat(cmp_[f"{key}_err_samples"])
        rows.append(f"| {name} \\|error\\| ms, median / max | | | {med:.2f} / {mx:.2f} "
                    f"(max {mxs:.2f} sample intervals) | ≤ 1 sample interval |")
    for key, name in (("stance", "stance time"), ("stride", "stride time")):
        med, mx = _stat(cmp_[f"{key}_err_ms"])
        rows.append(f"| {name} per cycle \\|error\\| ms, median / max | | | {med:.2f} / {mx:.2f} | "
                    "≤ 1 sample interval |")
    rows.append(f"| stance time mean ms (contract `contact_time_ms`, L/R pooled) | "
                f"{f(cmp_['gaitlab_stance_ms'])} | {cmp_['ref_stance_ms']:.2f} | "
                f"{diff(cmp_['gaitlab_stance_ms'], cmp_['ref_stance_ms'])} | ≤ 1 sample interval |")
    rows.append(f"| stride time mean ms (`step_time_ms`: one foot) | {f(cmp_['gaitlab_stride_ms'])} | "
                f"{cmp_['ref_stride_ms']:.2f} | {diff(cmp_['gaitlab_stride_ms'], cmp_['ref_stride_ms'])} "
                "| ≤ 1 sample interval |")
    rows.append(f"| contacts per minute (`cadence_spm`: one foot) | {f(cmp_['gaitlab_rate_per_min'])} | "
                f"{cmp_['ref_rate_per_min']:.2f} | "
                f"{diff(cmp_['gaitlab_rate_per_min'], cmp_['ref_rate_per_min'])} | ±0.1 /min |")
    for th, c in extra.items():
        med, _ = _stat(c["ic_err_ms"])
        medt, _ = _stat(c["to_err_ms"])
        rows.append(f"| *sensitivity: gaitlab at {th:g} N vs reference at 50 N* — stance mean ms; "
                    f"IC / TO \\|error\\| median ms | {f(c['gaitlab_stance_ms'])} | "
                    f"{c['ref_stance_ms']:.2f} | {diff(c['gaitlab_stance_ms'], c['ref_stance_ms'])}; "
                    f"{med:.1f} / {medt:.1f} | (none) |")
    return "\n".join(rows)


def within_limits(c: dict[str, Any]) -> list[str]:
    """Failed acceptance limits (empty = all met). One sample interval: the reference
    rounds each crossing to the first sample past the threshold, gaitlab interpolates
    it, and both use the same threshold, so they can differ by less than one interval."""
    bad = []
    if c["n_matched_ic"] != c["n_reference_hs"] or c["n_extra_contacts"]:
        bad.append("not every reference heel strike matched one-to-one")
    tol_ms = float(c["median_dt_ms"]) * 1.2  # the longest local interval is ~1.12 × median
    for key in ("ic_err_samples", "to_err_samples"):
        a = c[key][np.isfinite(c[key])]
        if a.size == 0 or np.abs(a).max() > 1.0:
            bad.append(f"{key} beyond one sample interval")
    for key in ("stance_err_ms", "stride_err_ms"):
        a = c[key][np.isfinite(c[key])]
        if a.size == 0 or np.abs(a).max() > tol_ms:
            bad.append(f"{key} beyond {tol_ms:.1f} ms")
    for g, r in (("gaitlab_stance_ms", "ref_stance_ms"), ("gaitlab_stride_ms", "ref_stride_ms")):
        if c[g] is None or abs(c[g] - c[r]) > tol_ms:
            bad.append(f"{g} off by more than {tol_ms:.1f} ms")
    if c["gaitlab_rate_per_min"] is None or abs(c["gaitlab_rate_per_min"] - c["ref_rate_per_min"]) > 0.1:
        bad.append("contact rate off by more than 0.1 /min")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="keep the session file here")
    ap.add_argument("--json", type=Path, help="write the per-event errors here")
    a = ap.parse_args()
    t, f = load_recording()
    ref = load_reference()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_session(t, f, a.out or Path(tmp) / "csuhmc_vgrf_walk.h5")
        cmp_ = compare(analyse(path), t, ref)
        extra = {th: compare(analyse(path, th), t, ref) for th in EXTRA_THRESHOLDS_N}
    dur = t[-1] - t[0]
    print(f"Recording: {ref['source']} — {t.size} samples over {dur:.1f} s "
          f"(median interval {cmp_['median_dt_ms']:.2f} ms)")
    print(f"Reference: {ref['reference']['method']} at {ref['reference']['threshold_N']:g} N; "
          f"gaitlab: analyze_session, force.threshold_N 50, pressure.max_contact_ms "
          f"{WALKING_MAX_CONTACT_MS:g}\n")
    print(table(cmp_, extra))
    if cmp_["notes"] or cmp_["warnings"]:
        print(f"\nnotes: {cmp_['notes']}; warnings: {cmp_['warnings']}")
    if a.json:
        a.json.write_text(json.dumps({k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                      for k, v in cmp_.items()}, indent=1))
    bad = within_limits(cmp_)
    print("\nacceptance limits: " + ("all met" if not bad else "FAILED: " + "; ".join(bad)))
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
