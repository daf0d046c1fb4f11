"""Validate the analysis against the virtual athlete's ground truth; writes docs/validation.md.

Each case renders a whole simulated session (the `demo` protocol: strength block, then a
treadmill run) straight into a session file (no LSL, deterministic), analyses the file
and compares every metric with the model's realised truth.

    python3 scripts/validate_virtual.py [--seeds 5] [--run-s 40] [--out docs/validation.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from gaitlab.analysis import analyze_session
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.drivers.virtual.truth import metrics_dict
from gaitlab.protocols import load_protocol
from gaitlab.validate import TOLERANCES, compare

#: metrics shown in the table (path, header)
COLUMNS = [
    ("gait.cadence_spm", "cadence spm"),
    ("gait.step_width_cm.mean", "width mean cm"),
    ("gait.step_width_cm.sd", "width SD cm"),
    ("gait.crossover_pct", "crossover %"),
    ("gait.contact_time_ms.L", "CT L ms"),
    ("gait.contact_time_ms.R", "CT R ms"),
    ("gait.foot_progression_deg.L", "FPA L deg"),
    ("gait.foot_progression_deg.R", "FPA R deg"),
    ("emg.GMED_L.onset_ms.mean", "GMED_L onset ms"),
    ("emg.GMED_R.onset_ms.mean", "GMED_R onset ms"),
    ("emg.TFL_R.onset_ms.mean", "TFL_R onset ms"),
    ("emg.GMED_R.peak_pct_mvc", "GMED_R %MVC"),
    ("strength.hip_abduction.L.peak_force_N", "peak F L N"),
    ("strength.hip_abduction.R.peak_force_N", "peak F R N"),
    ("strength.hip_abduction.lsi_pct", "LSI %"),
]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run_case(profile_name: str, seed: int, run_s: float, tmp: Path) -> dict[str, object]:
    model = build_session(load_profile(profile_name), load_protocol("demo"), seed=seed,
                          run_duration_s=run_s)
    path = write_offline_session(model, tmp / f"{profile_name}-{seed}.h5")
    res = analyze_session(path)
    rows = {r.path: r for r in compare(res.metrics, metrics_dict(model))}
    return {"profile": profile_name, "seed": seed, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--run-s", type=float, default=40.0)
    ap.add_argument("--profiles", nargs="+", default=["default", "healthy"])
    ap.add_argument("--out", type=Path, default=Path("docs/validation.md"))
    a = ap.parse_args()
    t_start = time.time()
    cases = []
    with tempfile.TemporaryDirectory() as d:
        for prof in a.profiles:
            for seed in range(1, a.seeds + 1):
                cases.append(run_case(prof, seed, a.run_s, Path(d)))
                print(f"{prof} seed {seed} done", flush=True)
    lines = [
        "# Validation",
        "",
        "## Virtual athlete: measured against ground truth",
        "",
        f"Run {date.today().isoformat()} on {cpu_name()} ({os.cpu_count()} cores), "
        f"with `python3 scripts/validate_virtual.py --seeds {a.seeds} --run-s {a.run_s:g}` "
        f"({time.time() - t_start:.0f} s).",
        "",
        "Each case renders a whole simulated session — the `demo` protocol (3 hip-abduction make",
        f"tests per side, then a {a.run_s:g} s treadmill run at 120 Hz with EMG at 2 kHz, SNR 20 dB)",
        "— straight into a session file, analyses the file, and compares with the model's",
        "realised events. Cells are *measured / true*. Truth is what the model did (realised",
        "placements, timings and peaks), not the profile's nominal parameters.",
        "",
        "| profile | seed | " + " | ".join(h for _, h in COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for c in cases:
        cells = []
        for path, _ in COLUMNS:
            r = c["rows"].get(path)  # type: ignore[union-attr]
            if r is None or r.measured is None:
                cells.append("—")
            else:
                cells.append(f"{r.measured:.2f} / {r.true:.2f}")
        lines.append(f"| {c['profile']} | {c['seed']} | " + " | ".join(cells) + " |")
    lines += ["", "### Errors over all cases (measured − true)", "",
              "| metric | median abs error | max abs error | limit |", "|---|---|---|---|"]
    all_paths = sorted({p for c in cases for p in c["rows"]})  # type: ignore[union-attr]
    for path in all_paths:
        errs = np.array([c["rows"][path].error for c in cases  # type: ignore[index]
                         if path in c["rows"] and c["rows"][path].error is not None])  # type: ignore[operator]
        if errs.size == 0 or path.endswith(("n_steps", "n_cycles")):
            continue
        tol = TOLERANCES.get(path)
        limit = "" if tol is None else (f"±{tol[0] * 100:g} %" if tol[1] == "rel" else f"±{tol[0]:g}")
        lines.append(f"| {path} | {np.median(np.abs(errs)):.3g} | {np.max(np.abs(errs)):.3g} | {limit} |")
    fails = [(c["profile"], c["seed"], p) for c in cases for p, r in c["rows"].items()  # type: ignore[union-attr]
             if r.ok is False]
    lines += ["", f"Acceptance limits met in {len(cases) - len({(f[0], f[1]) for f in fails})} of "
              f"{len(cases)} cases" + (f"; failures: {fails}" if fails else "."), ""]
    text = "\n".join(lines)
    existing = a.out.read_text() if a.out.exists() else ""
    marker = "\n## "  # keep any later sections (e.g. real recordings) that follow ours
    rest = ""
    if existing:
        idx = existing.find(marker, existing.find("## Virtual athlete") + 1)
        rest = existing[idx:] if idx > 0 else ""
    a.out.write_text(text + rest)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
