"""Pelvic obliquity and contralateral drop on real treadmill running (issue #12, "Validation").

    python3 benchmarks/pelvis_real.py [--seeds 5] [--json out.json]

Needs ``shared/data/real`` (beside a parent of this repo, or ``$GAITLAB_REAL_DATA``) and
ezc3d for the two Running Injury Clinic c3d trials (``pip install ezc3d``).

(a) Marker source: gaitlab's obliquity (ISB landmark frame, or the cluster's technical
    frame, relative to the static trial; rotation–obliquity–tilt) against two references
    written apart from gaitlab (benchmarks/_real_pelvis.py): ``isb`` — the same definition
    coded with scipy's rotation fitting and Euler angles; ``rigid`` — the least-squares rigid
    rotation of all four pelvis markers from the static trial (Kabsch), same Euler sequence.
(b) IMU path: a virtual sacral IMU driven by each trial's pelvis (static trial → 1.5-s
    bridge → run; sensor axes x up / y left / z back turned by a 10° misalignment about a
    random axis; gyro noise 0.3 °/s, bias ±1 °/s + random walk, accelerometer noise
    0.03 m/s² and bias ±0.1 m/s²), run through gaitlab's IMU path (still period found by
    itself, gyro bias from it, fusion, alignment), compared with the marker path on the same
    contacts: per-side mean peak drop and the per-cycle obliquity curves (RMSE).
Gait events: RBDS 2.5 m/s from its force file; the others from foot markers (heel
fore–aft extreme relative to the sacrum for IC; toe clearance for TO, or the heel alone on
the RIC shoe cluster). Their error against the force plate is printed for 2.5 m/s.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _real_pelvis as R

from gaitlab.analysis.pelvis import imu_pelvis, marker_angles, pelvis_metrics
from gaitlab.analysis.pelvis.imu import FUSION_METHODS


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean(np.square(x))))


def curve_rmse(a: dict[str, Any], b: dict[str, Any]) -> float:
    """RMSE over the gait cycles (both sides) present in both per-side results."""
    diffs = []
    for s in ("L", "R"):
        ca, cb = a[s], b[s]
        common, ia, ib = np.intersect1d(np.round(ca.cycle_ic_s, 6), np.round(cb.cycle_ic_s, 6),
                                        return_indices=True)
        if common.size:
            diffs.append((ca.curves_deg[ia] - cb.curves_deg[ib]).ravel())
    return _rms(np.concatenate(diffs)) if diffs else float("nan")


def marker_side(tr: R.Trial, step: int = 1) -> dict[str, Any]:
    a, a_s = R.gaitlab_frames(tr)
    ang, _ = marker_angles(a, a_s, tr.forward, tr.up)
    obl = ang.obliquity_deg
    m, per = pelvis_metrics(tr.t, obl, tr.contacts, "markers")
    out: dict[str, Any] = {"obl": obl, "metrics": m, "per": per}
    for ref in ("isb", "rigid"):
        if ref == "isb" and tr.kind != "landmarks":
            continue
        r = R.reference_obliquity(tr, ref, step)
        diff = obl - r
        if step > 1:  # per-stance peaks need every frame: the skipped ones from their neighbours
            ok = np.isfinite(r)
            r = np.where(np.isfinite(obl), np.interp(tr.t, tr.t[ok], r[ok]), np.nan)
        rm, _ = pelvis_metrics(tr.t, r, tr.contacts, f"ref-{ref}")
        out[ref] = {"rmse": _rms(diff), "max": float(np.nanmax(np.abs(diff))),
                    "d_drop": max(abs(m["drop_deg"][s]["mean"] - rm["drop_deg"][s]["mean"]) for s in "LR")}
    return out


def imu_side(tr: R.Trial, mk: dict[str, Any], method: str, seed: int, mis: float) -> dict[str, Any]:
    v = R.build_imu(tr, mis, seed)
    off = (v.run_start - v.run_frames.start) / v.fs
    con = {s: (ic + off, to + off) for s, (ic, to) in tr.contacts.items()}
    t0 = time.perf_counter()
    r = imu_pelvis(v.gyr, v.acc, v.fs, method, "auto", con)
    dt = time.perf_counter() - t0
    t = np.arange(v.gyr.shape[0]) / v.fs
    m, per = pelvis_metrics(t, r.angles.obliquity_deg, con, "imu")
    # marker results on the same (shifted) clock, restricted to the frames the IMU saw
    mk_obl = np.full(t.size, np.nan)
    mk_obl[v.run_start:v.run_start + (v.run_frames.stop - v.run_frames.start)] = mk["obl"][v.run_frames]
    mm, mper = pelvis_metrics(t, mk_obl, con, "markers")
    fwd = r.info["forward_sensor"]
    ft = v.forward_sensor_true / np.linalg.norm(v.forward_sensor_true)
    ft = ft - (ft @ r.info["up_sensor"]) * r.info["up_sensor"]
    ft /= np.linalg.norm(ft)
    d = {s: m["drop_deg"][s]["mean"] - mm["drop_deg"][s]["mean"] for s in "LR"}
    dm = {s: m["drop_at_midstance_deg"][s]["mean"] - mm["drop_at_midstance_deg"][s]["mean"] for s in "LR"}
    return {"drop_imu": {s: m["drop_deg"][s]["mean"] for s in "LR"},
            "drop_mk": {s: mm["drop_deg"][s]["mean"] for s in "LR"},
            "d_drop": d, "d_mid": dm, "curve_rmse": curve_rmse(per, mper),
            "ts_rmse": _rms(r.angles.obliquity_deg - mk_obl),
            "fwd_err_deg": float(np.degrees(np.arccos(np.clip(fwd @ ft, -1, 1)))),
            "still_found": r.still, "still_true": v.still_true, "sign_from": r.forward_sign_from,
            "n": {s: m["n_cycles"][s] for s in "LR"}, "fusion_s": dt}


def event_errors(tr: R.Trial) -> list[dict[str, Any]]:
    assert tr.force_contacts is not None
    rows = []
    for mode, label in (("height", "heel fore-aft (IC), toe clearance 2 cm (TO) — used"),
                        ("ap", "Zeni 2008: heel (IC) / toe (TO) fore-aft extremes"),
                        ("none", "heel only (as on the RIC shoe cluster)")):
        kc = R.kinematic_contacts(tr, mode)
        e_ic, e_to = [], []
        for s in "LR":
            ic, to = tr.force_contacts[s]
            kic, kto = kc[s]
            j = np.clip(np.searchsorted(kic, ic), 1, kic.size - 1)
            pick = np.where(np.abs(kic[j] - ic) < np.abs(kic[j - 1] - ic), j, j - 1)
            e_ic.append((kic[pick] - ic) * 1000)
            e_to.append((kto[pick] - to) * 1000)
        ei, et = np.concatenate(e_ic), np.concatenate(e_to)
        rows.append({"method": label, "n": int(ei.size), "ic_mean": float(np.mean(ei)),
                     "ic_sd": float(np.std(ei, ddof=1)), "to_mean": float(np.nanmean(et)),
                     "to_sd": float(np.nanstd(et, ddof=1))})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if R.real_dir() is None:
        print("shared/data/real not found (set GAITLAB_REAL_DATA)")
        return 2
    t_start = time.perf_counter()
    out: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": platform.processor()
                           or platform.machine(), "python": platform.python_version(), "trials": {}}
    print(f"# Pelvic drop on real running — {out['date']}, {platform.platform()}, Python {out['python']}\n")
    print("## (a) Marker source against references written apart from gaitlab\n")
    print("| trial | events | stances L/R | obliquity p1–p99 ° | drop L / R ° (gaitlab) "
          "| vs `isb`: max \\|Δ\\| ° | vs `rigid`: RMSE / max \\|Δ\\| ° "
          "| vs `rigid`: max \\|Δ mean drop\\| ° |")
    print("|---|---|---|---|---|---|---|---|")
    trials, marks = {}, {}
    for name in R.TRIALS:
        tr = R.load(name)
        trials[name] = tr
        mk = marker_side(tr)
        marks[name] = mk
        m = mk["metrics"]
        lo, hi = np.nanpercentile(mk["obl"], [1, 99])
        isb = f"{mk['isb']['max']:.1e}" if "isb" in mk else "— (cluster)"
        print(f"| {tr.name} | {tr.events_from} | {m['n_cycles']['L']}/{m['n_cycles']['R']} "
              f"| {lo:.1f} … {hi:.1f} "
              f"| {m['drop_deg']['L']['mean']:.2f} / {m['drop_deg']['R']['mean']:.2f} | {isb} "
              f"| {mk['rigid']['rmse']:.2f} / {mk['rigid']['max']:.2f} | {mk['rigid']['d_drop']:.2f} |")
        out["trials"][name] = {"markers": m, **{k: mk[k] for k in ("isb", "rigid") if k in mk}}
    print("\n## (b) IMU path against the marker path (10° misalignment, noise on; "
          f"{args.seeds} seeds per trial)\n")
    res: dict[str, list[dict[str, Any]]] = {mth: [] for mth in FUSION_METHODS}
    for name, tr in trials.items():
        for mth in FUSION_METHODS:
            for seed in range(args.seeds):
                r = imu_side(tr, marks[name], mth, seed, 10.0)
                r["trial"] = name
                res[mth].append(r)
    print("| trial | drop L / R ° markers | drop L / R ° IMU (VQF, mean of seeds) "
          "| max \\|Δ mean drop\\| ° | max \\|Δ drop at midstance\\| ° | curve RMSE ° mean / max "
          "| forward error ° max | still found (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, tr in trials.items():
        rows = [r for r in res["vqf"] if r["trial"] == name]
        dmk = rows[0]["drop_mk"]
        di = {s: np.mean([r["drop_imu"][s] for r in rows]) for s in "LR"}
        dd = max(abs(r["d_drop"][s]) for r in rows for s in "LR")
        dmid = max(abs(r["d_mid"][s]) for r in rows for s in "LR")
        cr = [r["curve_rmse"] for r in rows]
        st = rows[0]["still_found"]
        true_end = rows[0]["still_true"][1] / tr.fs
        sf = f"{st[0] / tr.fs:.2f}–{st[1] / tr.fs:.2f} of 0–{true_end:.2f}" if st else "none"
        print(f"| {tr.name} | {dmk['L']:.2f} / {dmk['R']:.2f} | {di['L']:.2f} / {di['R']:.2f} "
              f"| {dd:.2f} | {dmid:.2f} "
              f"| {np.mean(cr):.2f} / {np.max(cr):.2f} | {max(r['fwd_err_deg'] for r in rows):.1f} | {sf} |")
    print("\n### Fusion library (all trials × seeds; goal: |Δ mean drop| ≤ 1.0°, curve RMSE ≤ 1.5°)\n")
    print("| fusion | \\|Δ mean drop\\| ° mean / max | curve RMSE ° mean / max "
          "| forward error ° median / max | runs meeting both goals | fusion time per 40 s (ms) |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for mth, rows in res.items():
        dd = np.array([abs(r["d_drop"][s]) for r in rows for s in "LR"])
        cr = np.array([r["curve_rmse"] for r in rows])
        fe = np.array([r["fwd_err_deg"] for r in rows])
        ok = sum(max(abs(r["d_drop"]["L"]), abs(r["d_drop"]["R"])) <= 1.0 and r["curve_rmse"] <= 1.5
                 for r in rows)
        ms = 1000 * np.mean([r["fusion_s"] for r in rows])
        summary[mth] = {"d_drop_mean": float(dd.mean()), "d_drop_max": float(dd.max()),
                        "curve_rmse_mean": float(cr.mean()), "curve_rmse_max": float(cr.max()),
                        "ok": int(ok), "runs": len(rows)}
        print(f"| {mth} | {dd.mean():.2f} / {dd.max():.2f} | {cr.mean():.2f} / {cr.max():.2f} "
              f"| {np.median(fe):.1f} / {fe.max():.1f} | {ok}/{len(rows)} | {ms:.0f} |")
    out["imu"] = summary
    print("\n### Misalignment sweep (VQF, all trials, seeds 0–2)\n")
    print("| misalignment ° | \\|Δ mean drop\\| ° max | curve RMSE ° max |")
    print("|---|---|---|")
    for mis in (0.0, 5.0, 15.0, 30.0):
        rows = [imu_side(tr, marks[n], "vqf", s, mis) for n, tr in trials.items() for s in range(3)]
        print(f"| {mis:.0f} | {max(abs(r['d_drop'][s]) for r in rows for s in 'LR'):.2f} "
              f"| {max(r['curve_rmse'] for r in rows):.2f} |")
    print("\n## Gait events from foot markers against the force plate (RBDS0041 2.5 m/s, both feet)\n")
    print("| kinematic method | contacts | IC error ms mean ± sd | TO error ms mean ± sd |")
    print("|---|---|---|---|")
    for e in event_errors(trials["T25"]):
        print(f"| {e['method']} | {e['n']} | {e['ic_mean']:+.1f} ± {e['ic_sd']:.1f} "
              f"| {e['to_mean']:+.1f} ± {e['to_sd']:.1f} |")
    print(f"\n({time.perf_counter() - t_start:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
