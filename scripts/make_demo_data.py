"""Regenerate the shipped demo athlete: three visits of the virtual athlete (baseline,
week 4, week 8) with improving parameters, written without LSL and analysed.

Usage: ``python3 scripts/make_demo_data.py [OUT_DIR]`` (default: data/demo/demo-001).
Each visit is a compressed assessment battery (hip abduction make tests with short
rests, then a 15 s treadmill run), so every file stays a few MB. The visit metadata a
clinician would log (kind, week, date, pain NRS, run volume, readiness answers) is
written to ``visits.toml`` beside the files; ``gaitlab athletes import --demo`` reads it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import h5py

from gaitlab.analysis.pipeline import analyze_session, store
from gaitlab.athlete import builtin_profile_path, parse_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import PauseBlock, RunBlock, load_protocol

ROOT = Path(__file__).resolve().parents[1]
RUN_S = 15.0
EMG_RATE_HZ = 1000.0  # half the default rate: EMG noise does not compress, this halves the files

# Enrolment start: the day after the baseline visit, so the week-4 and week-8 visits fall in
# program weeks 4 and 8 (gaitlab.protocols.program.program_week: week 1 = days 0–6).
START_DATE = "2026-01-06"

# Visit plan: what changes in the simulated athlete over the rehab program.
VISITS = [
    {"file": "visit-1-baseline.h5", "kind": "baseline", "week": 0, "date": "2026-01-05",
     "pain_nrs": 5, "run_volume_km": 12.0, "pain_free_days": 0, "phase3_pain_free": False,
     "seed": 11,
     "set": {"cadence_spm": 162.0, "step_width_mean_cm": 1.5, "R": 140.0, "L": 175.0,
             "GMED_R": -40.0, "TFL_R": -110.0}},
    {"file": "visit-2-week4.h5", "kind": "reassessment", "week": 4, "date": "2026-02-02",
     "pain_nrs": 2, "run_volume_km": 5.0, "pain_free_days": 4, "phase3_pain_free": False,
     "seed": 12,
     "set": {"cadence_spm": 168.0, "step_width_mean_cm": 3.5, "R": 160.0, "L": 178.0,
             "GMED_R": -60.0, "TFL_R": -100.0}},
    {"file": "visit-3-week8.h5", "kind": "reassessment", "week": 8, "date": "2026-03-02",
     "pain_nrs": 0, "run_volume_km": 8.0, "pain_free_days": 9, "phase3_pain_free": True,
     "seed": 13,
     "set": {"cadence_spm": 174.0, "step_width_mean_cm": 5.5, "R": 178.0, "L": 181.0,
             "GMED_R": -85.0, "TFL_R": -90.0}},
]


def profile_text(base: str, s: dict) -> str:
    """The default athlete's TOML with this visit's values substituted (kept verbatim
    in the file's /athlete/profile_toml, so the file says how it was simulated)."""
    t = re.sub(r"(?m)^cadence_spm = .*$", f"cadence_spm = {s['cadence_spm']}", base)
    t = re.sub(r"(?m)^step_width_mean_cm = .*$", f"step_width_mean_cm = {s['step_width_mean_cm']}", t)
    t = re.sub(r"(?m)^hip_abduction_N = .*$",
               f"hip_abduction_N = {{ L = {s['L']}, R = {s['R']} }}", t)
    for m in ("GMED_R", "TFL_R"):
        t = re.sub(rf"(?m)^{m} = {{ onset_ms = [-0-9.]+,", f"{m} = {{ onset_ms = {s[m]},", t)
    t = re.sub(r"(?m)^emg_rate_hz = .*$", f"emg_rate_hz = {EMG_RATE_HZ}", t)
    return t


def _copy_compressed(src: Path, dst: Path) -> None:
    """Copy a session file, gzip-compressing the time stamps too (the offline writer
    leaves them uncompressed; here they are a quarter of the file)."""
    with h5py.File(src, "r") as fi, h5py.File(dst, "w", libver="latest") as fo:
        fo.attrs.update(dict(fi.attrs))

        def visit(name: str, obj: h5py.HLObject) -> None:
            if isinstance(obj, h5py.Group):
                fo.require_group(name).attrs.update(dict(obj.attrs))
            elif name.endswith("time_stamps") and obj.shape[0] > 0:
                d = fo.create_dataset(name, data=obj[:], maxshape=(None,), compression="gzip",
                                      compression_opts=6, shuffle=True,
                                      chunks=(min(obj.shape[0], 1 << 16),))
                d.attrs.update(dict(obj.attrs))
            else:
                fo.copy(obj, fo.require_group(name.rsplit("/", 1)[0]) if "/" in name else fo,
                        name=name.rsplit("/", 1)[-1])

        fi.visititems(visit)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = builtin_profile_path("default").read_text(encoding="utf-8")
    demo = load_protocol("demo")
    assert demo.strength is not None
    proto = replace(demo, name="demo-short", strength=replace(demo.strength, rest_s=0.5),
                    pause=PauseBlock(1.0), run=RunBlock(duration_s=RUN_S))
    lines = ["# Demo athlete demo-001: visit metadata a clinician logs (made by",
             "# scripts/make_demo_data.py). Files are in this folder. The program starts the day",
             "# after the baseline assessment; week 1 = days 0–6 from the start, so the visits on",
             "# days 27 and 55 are weeks 4 and 8.", "",
             'athlete = "demo-001"', 'program = "itbs"', f'start_date = "{START_DATE}"', ""]
    for v in VISITS:
        prof = parse_profile(profile_text(base, v["set"]), "demo-001")
        model = build_session(prof, proto, seed=v["seed"])
        tmp = write_offline_session(model, out / (v["file"] + ".tmp"))
        path = out / v["file"]
        _copy_compressed(tmp, path)
        tmp.unlink()
        with h5py.File(path, "r+") as f:
            f.attrs["created_utc"] = f"{v['date']}T09:00:00+00:00"
        res = analyze_session(path)
        store(path, res)
        if not res.stored:
            raise SystemExit(f"{path}: analysis not stored ({res.store_error})")
        g = res.metrics["gait"]
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, cadence {g['cadence_spm']}, "
              f"width {g['step_width_cm']['mean']} cm, "
              f"R {res.metrics['strength']['hip_abduction']['R']['peak_force_N']} N")
        lines += ["[[visit]]", f'file = "{v["file"]}"', f'kind = "{v["kind"]}"',
                  f"week = {v['week']}", f'date = "{v["date"]}"', f"pain_nrs = {v['pain_nrs']}",
                  f"run_volume_km = {v['run_volume_km']}", f"pain_free_days = {v['pain_free_days']}",
                  f"phase3_pain_free = {str(v['phase3_pain_free']).lower()}", ""]
    (out / "visits.toml").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "demo" / "demo-001")
