"""Plain-text table of a metrics contract, with the reason for every missing value."""

from __future__ import annotations

from typing import Any

from gaitlab.analysis.gait import LEFT_OUT
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


MAX_LEFT_OUT_LINES = 12  # contacts left out listed one by one (all are in the file)


def _contact_rows(res: AnalysisResult) -> list[tuple[str, str]]:
    """Contacts found / used per side, the count per reason left out, and the first
    contacts left out one by one (time since the session's start, stance, reason)."""
    acc = res.metrics["gait"].get("contacts") or {}
    f, u = acc.get("found") or {}, acc.get("used") or {}
    if f.get("total") is None:
        return []
    unk = f" (side unknown {f['unknown']})" if f.get("unknown") else ""
    rows = [("contacts found", f"{f['total']}: L {f['L']} / R {f['R']}{unk}"),
            ("contacts used", f"{u['total']}: L {u['L']} / R {u['R']}")]
    out = {k: n for k, n in (acc.get("left_out") or {}).items() if n}
    p = res.parameters.get("pressure", {})
    lo, hi = (res.extras.get("gait_mode") or {}).get(
        "stance_range_ms", [p.get("min_contact_ms", 0), p.get("max_contact_ms", 0)])
    rng = f"{lo:g}–{hi:g} ms"
    text = {**LEFT_OUT, "stance_below_range": f"stance under {rng}",
            "stance_above_range": f"stance over {rng}"}
    rows.append(("contacts left out", f"{sum(out.values())}"
                 + "".join(f"\n    {n:>4} {text.get(k, k)}" for k, n in out.items())))
    listed = res.extras.get("gait_left_out") or []
    for c in listed[:MAX_LEFT_OUT_LINES]:
        rows.append(("", f"  row {c['row']}: IC {_v(c['ic_s'], ' s', 3)}, TO {_v(c['to_s'], ' s', 3)}, "
                         f"stance {_v(c['stance_ms'], ' ms')}, side {c['side'] or '?'}: {c['reason']}"))
    if len(listed) > MAX_LEFT_OUT_LINES:
        rows.append(("", f"  … {len(listed) - MAX_LEFT_OUT_LINES} more (all in /analysis/contacts)"))
    return rows


def format_table(res: AnalysisResult) -> str:
    m = res.metrics
    g = m["gait"]
    gm = res.extras.get("gait_mode") or {}
    mode = ""
    if g.get("mode"):
        how = "forced" if gm.get("forced") else "detected"
        cue = (f"; double support in {gm['double_support_frac'] * 100:.0f} % of steps"
               if gm.get("double_support_frac") is not None else "")
        mode = (f", mode: {g['mode']} ({how}; median stance "
                f"{_v(gm.get('median_stance_ms'), ' ms', 0)}{cue})")
    lines = [f"Gait (source: {g['source'] or 'none'}{mode}){_why(res, 'gait', 'gait.mode')}"]
    rows = [
        ("steps", _v(g["n_steps"])),
        *_contact_rows(res),
        ("cadence", _v(g["cadence_spm"], " steps/min")),
        ("step width", _msd(g["step_width_cm"], " cm", 2) + _why(res, "gait.step_width_cm")),
        ("crossover steps", _v(g["crossover_pct"], " %")),
        ("step width index", _v(g["step_width_index_pct"], " % leg length", 2)
         + _why(res, "gait.step_width_index_pct")),
        ("contact time L / R", f"{_v(g['contact_time_ms']['L'], ' ms')} / "
                               f"{_v(g['contact_time_ms']['R'], ' ms')}"
         + _why(res, "gait.contact_time_ms.L", "gait.contact_time_ms.R")),
    ]
    if g.get("cadence_estimated"):
        rows[[k for k, _ in rows].index("cadence")] = (
            "cadence", _v(g["cadence_spm"], " steps/min (estimated)") + _why(res, "gait.cadence_spm"))
    st = (res.extras.get("gait_temporal") or {}).get("stride_time_ms") or {}
    if st:
        rows.append(("stride time L / R", f"{_v(st.get('L'), ' ms')} / {_v(st.get('R'), ' ms')}"
                     + _why(res, "gait_temporal.L", "gait_temporal.R")))
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
