"""Validation grid on the virtual athlete; writes the "## Validation grid" section of
docs/validation.md.

Each case is a modified athlete profile (``dataclasses.replace``) rendered offline into a
session file (no LSL), analysed, and compared with the model's realised events:

* EMG cases (the `demo` protocol: hip-abduction make tests, then a short run): SNR 3–30 dB,
  with hum and impact artefacts on, each switched off, and onset jitter 0–15 ms; every case
  is analysed with each onset method. They also give the strength errors.
* Gait cases (the `run` protocol, pressure treadmill only): step width −3 to +12 cm,
  cadence 150–195 spm, belt speed 2–5 m/s, treadmill sampling 100–300 Hz.

    python3 scripts/validate_grid.py [--run-s 20] [--seeds 3] [--jobs 2] [--out docs/validation.md]

Every case runs with seeds 1..``--seeds`` (a different realisation of the same athlete:
steps, bursts, noise); errors are pooled over seeds. (case, seed) runs are independent
and go to ``--jobs`` worker processes (spawned, not forked).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.analysis import analyze_session
from gaitlab.analysis.onsets import METHODS
from gaitlab.athlete import Profile, load_profile
from gaitlab.drivers.virtual.model import SessionModel, build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.drivers.virtual.render import force_curve
from gaitlab.drivers.virtual.truth import metrics_dict
from gaitlab.protocols import load_protocol
from gaitlab.validate import compare

sys.path.insert(0, str(Path(__file__).parent))
from validate_virtual import cpu_name

T0 = 1000.0  # LSL time of model time 0 in the offline files
SNRS = (3.0, 8.0, 14.0, 20.0, 30.0)
#: (label, onset method, edge refinement)
VARIANTS = [(m, m, True) for m in METHODS] + [(f"{m} (raw edges)", m, False) for m in METHODS]
BURST_SNR_BINS = (-np.inf, 0.0, 4.0, 8.0, 14.0, 20.0, np.inf)
SECTION = "## Validation grid"


@dataclass
class Case:
    label: str
    kind: str  # "emg" or "gait"
    profile: Profile
    factor: str  # which factor this case varies
    level: Any
    errors: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # method → metric


def emg_cases(base: Profile) -> list[Case]:
    out = []
    for snr in SNRS:
        for var, kw in (("hum+impacts", {}), ("no hum", {"hum_uV": 0.0}),
                        ("no impacts", {"impact_artefacts": False})):
            p = replace(base, emg=replace(base.emg, snr_db=snr, **kw))
            out.append(Case(f"SNR {snr:g} dB, {var}", "emg", p, "snr_db", snr))
    for jit in (0.0, 15.0):
        p = replace(base, emg=replace(base.emg, snr_db=14.0, onset_jitter_ms=jit))
        out.append(Case(f"SNR 14 dB, jitter {jit:g} ms", "emg", p, "snr_db", 14.0))
    return out


def gait_cases(base: Profile) -> list[Case]:
    out = []
    for w in (-3.0, 0.0, 3.0, 6.0, 12.0):
        out.append(Case(f"step width {w:g} cm", "gait",
                        replace(base, run=replace(base.run, step_width_mean_cm=w)), "width", w))
    for c in (150.0, 165.0, 180.0, 195.0):
        out.append(Case(f"cadence {c:g} spm", "gait",
                        replace(base, run=replace(base.run, cadence_spm=c)), "cadence", c))
    for v in (2.0, 3.0, 4.0, 5.0):
        ct = min(base.run.contact_time_ms, 0.9 * 1000 * 1.2 / v)  # the foot stays on the belt
        out.append(Case(f"speed {v:g} m/s", "gait",
                        replace(base, run=replace(base.run, speed_mps=v, contact_time_ms=ct)),
                        "speed", v))
    for hz in (100.0, 120.0, 200.0, 300.0):
        out.append(Case(f"treadmill {hz:g} Hz", "gait",
                        replace(base, devices=replace(base.devices, pressure_rate_hz=hz)),
                        "rate", hz))
    for a in (-5.0, 7.0, 15.0, 25.0):  # toe-in to strong toe-out: the angle, and the sides
        out.append(Case(f"foot progression {a:g}°", "gait",
                        replace(base, run=replace(base.run, foot_progression_deg=a)), "fpa", a))
    return out


def _cycle_errors(res: Any, model: SessionModel) -> dict[str, list[float]]:
    """Per-cycle |onset|/|offset| errors (ms) in absolute time, matched through the IC, and
    the share of true bursts detected."""
    ic_true = model.contacts.t_ic + T0
    out: dict[str, list[float]] = {"cycle_onset_ms": [], "cycle_offset_ms": [], "detected": [],
                                   "cycle_burst_snr_db": []}
    snr = model.profile.emg.snr_db
    for name, b in model.bursts.items():
        cyc = res.emg_cycles.get(name)
        if cyc is None:
            out["detected"].append(0.0)
            continue
        ic_m = np.asarray(cyc["ic_s"])
        j = np.clip(np.searchsorted(ic_true, ic_m), 1, ic_true.size - 1)
        j = np.where(np.abs(ic_true[j - 1] - ic_m) < np.abs(ic_true[j] - ic_m), j - 1, j)
        near = np.abs(ic_true[j] - ic_m) < 0.03
        k = np.searchsorted(b.contact, j)
        k = np.clip(k, 0, b.contact.size - 1)
        has = near & (b.contact[k] == j)
        on_m = ic_m + np.asarray(cyc["onset_ms"]) / 1000
        off_m = ic_m + np.asarray(cyc["offset_ms"]) / 1000
        ok = has & np.isfinite(on_m)
        out["cycle_onset_ms"] += list((on_m[ok] - (b.onset[k[ok]] + T0)) * 1000)
        out["cycle_offset_ms"] += list((off_m[ok] - (b.offset[k[ok]] + T0)) * 1000)
        out["cycle_burst_snr_db"] += list(snr + 20 * np.log10(b.amplitude[k[ok]]))
        out["detected"].append(ok.sum() / max(b.onset.size, 1))
    return out


def _strength_truth(model: SessionModel, res: Any) -> dict[str, list[float]]:
    """Peak-force (%) and RFD (%) errors; RFD truth = the same definition on the noise-free
    force curve (onset threshold baseline 0 + max(2 N, 5 % of the peak))."""
    out: dict[str, list[float]] = {"peak_force_pct": [], "rfd_pct": [], "pct_bw_height": []}
    ex = res.extras.get("strength", {})
    tr = model.trials
    a = model.profile.athlete
    for side in ("L", "R"):
        meas = ex.get(side, {}).get("trials", [])
        idx = np.flatnonzero(tr.side == side)
        for m, i in zip(meas, idx, strict=False):
            if m["peak_N"] is not None:
                out["peak_force_pct"].append((m["peak_N"] / tr.peak_N[i] - 1) * 100)
            tt = np.linspace(tr.t_rise[i], tr.t_end[i], 20001)
            f, _ = force_curve(model, tt)
            thr = max(2.0, 0.05 * tr.peak_N[i])
            t_on = np.interp(thr, f[: f.argmax()], tt[: f.argmax()])
            f0, f1 = np.interp([t_on, t_on + 0.2], tt, f)
            if m["rfd_N_per_s"] is not None:
                out["rfd_pct"].append((m["rfd_N_per_s"] / ((f1 - f0) / 0.2) - 1) * 100)
        pct = ex.get(side, {}).get("torque_pct_bw_height")
        if pct is not None and idx.size:
            true = tr.peak_N[idx].max() * a.lever_arm_m / (a.body_mass_kg * 9.80665 * a.height_m)
            out["pct_bw_height"].append(pct - true * 100)
    return out


def _gmed_tfl_truth(model: SessionModel) -> dict[str, float]:
    out = {}
    for side in ("L", "R"):
        g, f = model.bursts.get(f"GMED_{side}"), model.bursts.get(f"TFL_{side}")
        if g is not None and f is not None:
            both = np.intersect1d(g.contact, f.contact)
            dg = g.onset[np.searchsorted(g.contact, both)]
            df = f.onset[np.searchsorted(f.contact, both)]
            out[side] = float(np.mean(dg - df) * 1000)
    return out


def run_emg_case(case: Case, seed: int, run_s: float, tmp: Path) -> None:
    model = build_session(case.profile, load_protocol("demo"), seed=seed, run_duration_s=run_s)
    path = write_offline_session(model, tmp / "emg.h5", t0=T0)
    truth = metrics_dict(model)
    gt = _gmed_tfl_truth(model)
    for label, method, refine in VARIANTS:
        res = analyze_session(path, {"emg": {"onset_method": method, "edge_refine": refine}})
        e = case.errors.setdefault(label, {})
        for r in compare(res.metrics, truth):
            if r.path.startswith("emg.") and r.error is not None and not r.path.endswith(
                    ("n_cycles", ".sd")):
                key = "emg." + r.path.split(".", 2)[2]  # pool muscles: emg.onset_ms.mean …
                e.setdefault(key, []).append(r.error)
        for k, v in _cycle_errors(res, model).items():
            e.setdefault(k, []).extend(v)
        diffs = res.extras.get("emg_gmed_minus_tfl_onset_ms", {})
        for side, tv in gt.items():
            mv = diffs.get(side, {}).get("mean")
            if mv is not None:
                e.setdefault("gmed_minus_tfl_ms", []).append(mv - tv)
        if label == VARIANTS[0][0]:
            st = case.errors.setdefault("strength", {})
            for k, v in _strength_truth(model, res).items():
                st.setdefault(k, []).extend(v)


def run_gait_case(case: Case, seed: int, run_s: float, tmp: Path) -> None:
    model = build_session(case.profile, load_protocol("run"), seed=seed, run_duration_s=run_s)
    path = write_offline_session(model, tmp / "gait.h5", t0=T0,
                                 devices=("pressure", "markers"))
    res = analyze_session(path)
    e = case.errors.setdefault("gait", {})
    for r in compare(res.metrics, metrics_dict(model)):
        if r.path.startswith("gait.") and r.error is not None and not r.path.endswith("n_steps"):
            e.setdefault(r.path.removeprefix("gait."), []).append(r.error)


def _run_one(job: tuple[Case, int, float]) -> dict[str, dict[str, list[float]]]:
    """One (case, seed) run in a worker: the errors it adds, keyed like ``Case.errors``."""
    case, seed, run_s = job
    c = replace(case, errors={})
    with tempfile.TemporaryDirectory() as d:
        (run_emg_case if c.kind == "emg" else run_gait_case)(c, seed, run_s, Path(d))
    return c.errors


def run_cases(cases: list[Case], seeds: int, run_s: float, jobs: int, t_start: float) -> None:
    """Run every case with seeds 1..``seeds`` and pool the errors into ``case.errors``
    (merged in case, then seed, order: the result does not depend on ``jobs``)."""
    work = [(c, seed, run_s) for c in cases for seed in range(1, seeds + 1)]
    if jobs > 1:
        with mp.get_context("spawn").Pool(jobs) as pool:
            results = pool.imap(_run_one, work)
            _merge(cases, work, results, t_start)
    else:
        _merge(cases, work, map(_run_one, work), t_start)


def _merge(cases: list[Case], work: list[tuple[Case, int, float]], results: Any,
           t_start: float) -> None:
    for (c, seed, _), errs in zip(work, results, strict=True):
        for label, metrics in errs.items():
            dst = c.errors.setdefault(label, {})
            for k, v in metrics.items():
                dst.setdefault(k, []).extend(v)
        print(f"{c.label} seed {seed} done ({time.time() - t_start:.0f} s)", flush=True)


def _cat(parts: Any) -> list[float]:
    return list(itertools.chain.from_iterable(parts))


def _stats(v: list[float]) -> tuple[str, str, int]:
    a = np.abs(np.asarray(v, dtype=float))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return "—", "—", 0
    return f"{np.median(a):.3g}", f"{np.percentile(a, 95):.3g}", int(a.size)


def report(cases: list[Case], cmd: str, elapsed: float, run_s: float, seeds: int) -> str:
    LABELS = [v[0] for v in VARIANTS]
    emg = [c for c in cases if c.kind == "emg"]
    gait = [c for c in cases if c.kind == "gait"]
    lines = [SECTION, "",
             f"Run {date.today().isoformat()} on {cpu_name()} (nproc {os.cpu_count()}), "
             f"with `{cmd}` ({elapsed:.0f} s; {len(emg)} EMG cases × {len(LABELS)} detector variants, "
             f"{len(gait)} gait cases, {seeds} seeds per case pooled, {run_s:g} s runs).", "",
             "Errors are measured − true, against the model's realised events (never its",
             "nominal parameters). Per-cycle onset/offset errors are absolute times of each",
             "accepted burst edge against the rendered burst edge (start of its 10 ms ramp),",
             "pooled over the six muscles. Targets: onset median ≤ 10 ms and p95 ≤ 25 ms at",
             "SNR ≥ 8 dB.", "",
             "### EMG onset and offset per cycle, by SNR and method", "",
             "Rows are the profile's `emg.snr_db` (RMS at 100 %MVC over noise RMS); the",
             "bursts themselves are 7–10 dB weaker (next table).", "",
             "| profile SNR dB | method | onset median | onset p95 | offset median | offset p95 | "
             "cycles | bursts detected |", "|---|---|---|---|---|---|---|---|"]
    for snr in SNRS:
        sel = [c for c in emg if c.level == snr]
        for m in LABELS:
            on = _cat(c.errors[m]["cycle_onset_ms"] for c in sel)
            off = _cat(c.errors[m]["cycle_offset_ms"] for c in sel)
            det = _cat(c.errors[m]["detected"] for c in sel)
            a, b, n = _stats(on)
            c_, d, _ = _stats(off)
            lines.append(f"| {snr:g} | {m} | {a} | {b} | {c_} | {d} | {n} | "
                         f"{100 * np.mean(det):.1f} % |")
    lines += ["", "### EMG onset per cycle by burst SNR (burst RMS over noise RMS, dB)", "",
              "Burst SNR = profile SNR + 20·log10(burst amplitude as a fraction of MVC): the",
              "simulated bursts are 30–46 %MVC, so a profile SNR of 20 dB gives bursts at",
              "10–13 dB. Bonato et al.'s SNR (and the ≤ 10 / ≤ 25 ms target) refers to the burst.",
              "", "| burst SNR dB | " + " | ".join(f"{m} median / p95" for m in LABELS) + " | n |",
              "|---|" + "---|" * len(LABELS) + "---|"]
    for lo, hi_ in itertools.pairwise(BURST_SNR_BINS):
        cells, n_ = [], 0
        for m in LABELS:
            err = np.array(_cat(c.errors[m]["cycle_onset_ms"] for c in emg))
            bs = np.array(_cat(c.errors[m]["cycle_burst_snr_db"] for c in emg))
            a, b, n_ = _stats(list(err[(bs >= lo) & (bs < hi_)]))
            cells.append(f"{a} / {b}")
        rng = f"{lo:g} – {hi_:g}".replace("-inf – ", "< ").replace(" – inf", " +")
        lines.append(f"| {rng} | " + " | ".join(cells) + f" | {n_} |")
    lines += ["", "### EMG metrics by method (profile SNR ≥ 8 dB; all muscles pooled)", "",
              "Session-level rows (`emg.*`) are errors of the contract's per-muscle values; ",
              "`gmed_minus_tfl_ms` is the mean GMED − TFL onset difference per side.", "",
              "| metric | " + " | ".join(f"{m} median | {m} p95" for m in LABELS) + " |",
              "|---|" + "---|---|" * len(LABELS)]
    keys = ["cycle_onset_ms", "cycle_offset_ms", "emg.onset_ms.mean", "emg.offset_ms.mean",
            "emg.peak_pct_mvc", "gmed_minus_tfl_ms"]
    hi = [c for c in emg if c.level >= 8]
    for k in keys:
        cells = []
        for m in LABELS:
            a, b, _ = _stats(_cat(c.errors[m].get(k, []) for c in hi))
            cells += [a, b]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", "Signed bias of the per-cycle edges (mean error, ms; + = late), profile SNR ≥ 8 dB:",
              "",
              "| method | onset bias | offset bias |", "|---|---|---|"]
    for m in LABELS:
        on = np.array(_cat(c.errors[m]["cycle_onset_ms"] for c in hi))
        off = np.array(_cat(c.errors[m]["cycle_offset_ms"] for c in hi))
        lines.append(f"| {m} | {on.mean():+.2f} | {off.mean():+.2f} |")
    lines += ["", "### Choice of the default onset method", ""]
    for m in LABELS[:len(METHODS)]:
        err = np.array(_cat(c.errors[m]["cycle_onset_ms"] for c in emg))
        bs = np.array(_cat(c.errors[m]["cycle_burst_snr_db"] for c in emg))
        a, b, _ = _stats(list(err[bs >= 8]))
        det8 = np.mean(_cat(c.errors[m]["detected"] for c in emg if c.level == 8.0))
        _, pm, _ = _stats(_cat(c.errors[m].get("emg.onset_ms.mean", []) for c in hi))
        _, pg, _ = _stats(_cat(c.errors[m].get("gmed_minus_tfl_ms", []) for c in hi))
        lines.append(f"* `{m}`: per-cycle onset at burst SNR ≥ 8 dB {a} / {b} ms (median / p95); "
                     f"bursts found at profile SNR 8 dB {100 * det8:.0f} %; p95 error of the "
                     f"mean onset {pm} ms and of GMED − TFL {pg} ms (profile SNR ≥ 8 dB).")
    lines += ["", "The default is `hodges_bui` with half-height edges (docs/metrics.md): it meets",
              "the onset target at burst SNR ≥ 8 dB, and its session-level errors are lower than",
              "Bonato's on offsets, GMED − TFL and %MVC, and than TKEO's on onsets and GMED − TFL,",
              "while still finding ~90 % of the bursts at profile SNR 8 dB. `bonato` is a",
              "little more precise per cycle where it fires, but it is conservative at low SNR",
              "(about half the bursts at profile SNR",
              "8 dB, almost none at 3 dB), which leaves the cycles it does keep unrepresentative",
              "(larger session-level tails). `tkeo` is the least precise on these signals: the",
              "simulator's artefacts are low-frequency and already removed by the band-pass, so",
              "the operator's emphasis on high-frequency energy only adds variance. The second,",
              "half-height edge rule is what brings every method within target: raw edges of",
              "the same detectors read 14–24 ms off at burst SNR 8–14 dB. No method meets the",
              "target below burst SNR ≈ 4 dB (profile SNR ≤ 8 dB).", ""]
    lines += ["", "### Artefact and jitter variants (per-cycle onset |error|, ms: median / p95)", "",
              "| case | " + " | ".join(LABELS) + " |", "|---|" + "---|" * len(LABELS)]
    for c in emg:
        cells = []
        for m in LABELS:
            a, b, _ = _stats(c.errors[m]["cycle_onset_ms"])
            cells.append(f"{a} / {b}")
        lines.append(f"| {c.label} | " + " | ".join(cells) + " |")
    lines += ["", "### Gait (pressure treadmill)", "",
              "| metric | median abs error | p95 abs error | n | target |", "|---|---|---|---|---|"]
    target = {"cadence_spm": "≤ 0.3 spm", "step_width_cm.mean": "≤ 0.3 cm",
              "contact_time_ms.L": "≤ 10 ms (120 Hz)", "contact_time_ms.R": "≤ 10 ms (120 Hz)",
              "foot_progression_deg.L": "≤ 2°", "foot_progression_deg.R": "≤ 2°"}
    gkeys = sorted({k for c in gait for k in c.errors["gait"]})
    for k in gkeys:
        a, b, n = _stats(_cat(c.errors["gait"].get(k, []) for c in gait))
        lines.append(f"| {k} | {a} | {b} | {n} | {target.get(k, '')} |")
    lines += ["", "Worst case per factor (max abs error):", "",
              "| case | cadence spm | width mean cm | CT L ms | CT R ms | crossover % | FPA L ° | FPA R ° |",
              "|---|---|---|---|---|---|---|---|"]
    for c in gait:
        g = c.errors["gait"]

        def mx(k: str, g: dict[str, list[float]] = g) -> str:
            v = g.get(k, [])
            return f"{np.max(np.abs(v)):.3g}" if v else "—"
        lines.append(f"| {c.label} | {mx('cadence_spm')} | {mx('step_width_cm.mean')} | "
                     f"{mx('contact_time_ms.L')} | {mx('contact_time_ms.R')} | "
                     f"{mx('crossover_pct')} | {mx('foot_progression_deg.L')} | "
                     f"{mx('foot_progression_deg.R')} |")
    st = [c.errors["strength"] for c in emg if "strength" in c.errors]
    lines += ["", "### Strength (dynamometer, from the EMG cases' make tests)", "",
              "| metric | median abs error | p95 abs error | n | target |", "|---|---|---|---|---|"]
    for k, unit, tgt in (("peak_force_pct", "% of true peak", "≤ 1 %"),
                         ("rfd_pct", "% of true RFD", ""),
                         ("pct_bw_height", "%BW·h points", "")):
        a, b, n = _stats(_cat(s.get(k, []) for s in st))
        lines.append(f"| {k} ({unit}) | {a} | {b} | {n} | {tgt} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-s", type=float, default=20.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 2))
    ap.add_argument("--out", type=Path, default=Path("docs/validation.md"))
    ap.add_argument("--quick", action="store_true", help="SNR 8 and 20 base cases only, no file")
    a = ap.parse_args()
    cmd = "python3 scripts/validate_grid.py " + " ".join(sys.argv[1:])
    t_start = time.time()
    base = load_profile("default")
    cases = emg_cases(base) + gait_cases(base)
    if a.quick:
        cases = [c for c in cases if c.kind == "emg" and c.level in (8.0, 20.0)
                 and c.label.endswith("impacts")]
    run_cases(cases, a.seeds, a.run_s, a.jobs, t_start)
    text = report(cases, cmd.strip(), time.time() - t_start, a.run_s, a.seeds)
    if a.quick:
        print(text)
        return
    existing = a.out.read_text() if a.out.exists() else ""
    i = existing.find(SECTION)
    if i < 0:
        new = existing.rstrip("\n") + "\n\n" + text
    else:
        j = existing.find("\n## ", i + len(SECTION))
        new = existing[:i] + text + (existing[j + 1:] if j > 0 else "")
    a.out.write_text(new)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
