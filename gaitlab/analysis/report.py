"""Plain-text table of a metrics contract, with the reason for every missing value."""

from __future__ import annotations

from typing import Any

from gaitlab.analysis.pipeline import AnalysisResult


def _v(x: Any, unit: str = "", nd: int = 1) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.{nd}f}{unit}"
    return f"{x}{unit}"


def _msd(d: dict[str, Any], unit: str, nd: int = 1) -> str:
    if d.get("mean") is None:
        return "—"
    sd = d.get("sd")
    return f"{d['mean']:.{nd}f} ± {sd:.{nd}f}{unit}" if sd is not None else f"{d['mean']:.{nd}f}{unit}"


def _why(res: AnalysisResult, *keys: str) -> str:
    for k in keys:
        if k in res.notes:
            return f"   ({res.notes[k]})"
    return ""


def format_table(res: AnalysisResult) -> str:
    m = res.metrics
    g = m["gait"]
    lines = [f"Gait (source: {g['source'] or 'none'}){_why(res, 'gait')}"]
    rows = [
        ("steps", _v(g["n_steps"])),
        ("cadence", _v(g["cadence_spm"], " steps/min")),
        ("step width", _msd(g["step_width_cm"], " cm", 2) + _why(res, "gait.step_width_cm")),
        ("crossover steps", _v(g["crossover_pct"], " %")),
        ("step width index", _v(g["step_width_index_pct"], " % leg length", 2)
         + _why(res, "gait.step_width_index_pct")),
        ("contact time L / R", f"{_v(g['contact_time_ms']['L'], ' ms')} / "
                               f"{_v(g['contact_time_ms']['R'], ' ms')}"),
    ]
    lines += [f"  {k:<22}{v}" for k, v in rows]
    lines.append("EMG (ms relative to same-side initial contact)")
    if not m["emg"]:
        lines.append("  no EMG channel mapped to MUSCLE_SIDE")
    else:
        lines.append(f"  {'muscle':<10}{'onset':>18}{'offset':>18}{'cycles':>8}{'peak %MVC':>11}")
    for name, e in m["emg"].items():
        lines.append(f"  {name:<10}{_msd(e['onset_ms'], ''):>18}{_msd(e['offset_ms'], ''):>18}"
                     f"{e['n_cycles']:>8}{_v(e['peak_pct_mvc']):>11}"
                     + _why(res, f"emg.{name}", f"emg.{name}.peak_pct_mvc"))
    diffs = res.extras.get("emg_gmed_minus_tfl_onset_ms", {})
    for side in ("L", "R"):
        d = diffs.get(side)
        if d is not None:
            lines.append(f"  GMED − TFL onset {side}: {_msd(d, ' ms')}  (n {d['n']}; "
                         "negative = GMED first)")
    if m["emg"]:
        lines.append(f"  onset method: {res.parameters.get('emg', {}).get('onset_method', '?')}")
    h = m["strength"]["hip_abduction"]
    lines.append(f"Hip abduction strength{_why(res, 'strength')}")
    for side in ("L", "R"):
        d = h[side]
        trials = ", ".join(f"{v:.0f}" for v in d["trials_N"]) or "—"
        lines.append(f"  {side}: peak {_v(d['peak_force_N'], ' N')}, "
                     f"{_v(d['torque_Nm_per_kg'], ' N·m/kg', 2)}, CV {_v(d['cv_pct'], ' %')}"
                     f"  [trials: {trials}]" + _why(res, f"strength.{side}"))
        x = res.extras.get("strength", {}).get(side, {})
        if x.get("n_trials"):
            lines.append(f"     plateau {_v(x['plateau_best_N'], ' N')}, torque "
                         f"{_v(x['torque_Nm'], ' N·m')}, {_v(x['torque_pct_bw_height'], ' %BW·h', 2)}"
                         f", RFD(0–200 ms) {_v(x['rfd_best_N_per_s'], ' N/s', 0)}")
    basis = res.parameters.get("strength_lsi_basis", "")
    lines.append(f"  LSI {_v(h['lsi_pct'], ' %')}" + (f"  ({basis})" if h["lsi_pct"] else ""))
    pv = m.get("pelvis")
    if pv is not None:
        ref = res.extras.get("pelvis", {}).get("reference")
        lines.append(f"Pelvic drop (source: {pv['source'] or 'none'}; + = swing side lower, L/R = stance)"
                     + _why(res, "pelvis"))
        if pv["source"]:
            for key, name in (("drop_deg", "peak drop"), ("drop_at_midstance_deg", "drop at midstance"),
                              ("excursion_deg", "excursion")):
                lines.append(f"  {name + ' L / R':<22}{_msd(pv[key]['L'], '°')} / {_msd(pv[key]['R'], '°')}")
            basis = "standing" if ref == "static" else "the run mean"
            lines.append(f"  {'obliquity range':<22}{_v(pv['obliquity_range_deg'], '°')}  "
                         f"(cycles L {pv['n_cycles']['L']}, R {pv['n_cycles']['R']}; relative to "
                         f"{basis})" + _why(res, "pelvis.reference"))
    lines += [f"warning: {w}" for w in res.warnings]
    return "\n".join(lines)
