"""Before/after comparison of session files: pure functions over metrics dictionaries,
plus :func:`load_visit` to read (or compute) a file's stored analysis."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.compare.metrics import MetricDef, metric_defs
from gaitlab.errors import GaitlabError

Value = dict[str, float | None]  # {"value", "sd", "n"}


@dataclass
class Visit:
    """One session file's results as the comparison needs them."""

    label: str
    path: str
    date: str
    metrics: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)
    ensembles: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → mean, sd, n, unit
    athlete: dict[str, Any] = field(default_factory=dict)
    week: int | None = None
    analysed_now: bool = False  # the file had no stored /analysis: it was analysed on loading
    # every running step's signed width (cm), from /analysis/contacts; None when the stored
    # analysis predates that table
    step_widths_cm: np.ndarray | None = None


def _f(v: Any) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def flatten(metrics: dict[str, Any], extras: dict[str, Any] | None = None) -> dict[str, Value]:
    """Flat ``key → {value, sd, n}`` view of a metrics contract (+ extras) for comparison."""
    out: dict[str, Value] = {}
    g = metrics.get("gait") or {}
    n_steps = _f(g.get("n_steps"))
    out["gait.cadence_spm"] = {"value": _f(g.get("cadence_spm")), "sd": None, "n": n_steps}
    sw = g.get("step_width_cm") or {}
    out["gait.step_width_cm"] = {"value": _f(sw.get("mean")), "sd": _f(sw.get("sd")),
                                 "n": None if n_steps is None else max(n_steps - 1, 0)}
    out["gait.crossover_pct"] = {"value": _f(g.get("crossover_pct")), "sd": None,
                                 "n": None if n_steps is None else max(n_steps - 1, 0)}
    for key in ("contact_time_ms", "foot_progression_deg"):
        per_side = g.get(key) or {}
        for s in ("L", "R"):
            out[f"gait.{key}.{s}"] = {"value": _f(per_side.get(s)), "sd": None, "n": None}
    st = (metrics.get("strength") or {}).get("hip_abduction") or {}
    for s in ("L", "R"):
        side = st.get(s) or {}
        out[f"strength.{s}.peak_force_N"] = {"value": _f(side.get("peak_force_N")), "sd": None,
                                             "n": float(len(side.get("trials_N") or []))}
    out["strength.lsi_pct"] = {"value": _f(st.get("lsi_pct")), "sd": None, "n": None}
    for name, m in (metrics.get("emg") or {}).items():
        on = (m or {}).get("onset_ms") or {}
        out[f"emg.{name}.onset_ms"] = {"value": _f(on.get("mean")), "sd": _f(on.get("sd")),
                                       "n": _f(m.get("n_cycles"))}
        out[f"emg.{name}.peak_pct_mvc"] = {"value": _f(m.get("peak_pct_mvc")), "sd": None,
                                           "n": _f(m.get("n_cycles"))}
    diffs = (extras or {}).get("emg_gmed_minus_tfl_onset_ms") or {}
    for s, d in diffs.items():
        d = d or {}
        out[f"emg.gmed_minus_tfl_{s}"] = {"value": _f(d.get("mean")), "sd": _f(d.get("sd")),
                                          "n": _f(d.get("n"))}
    return out


def _se(v: Value, how: str) -> float | None:
    x, sd, n = v.get("value"), v.get("sd"), v.get("n")
    if x is None or not n or n < 2:
        return None
    if how == "sd_n" and sd is not None:
        return sd / math.sqrt(n)
    if how == "proportion":
        p = min(max(x / 100.0, 0.5 / n), 1 - 0.5 / n)  # keeps SE > 0 at 0 % or 100 %
        return 100.0 * math.sqrt(p * (1 - p) / n)
    return None


def threshold(d: MetricDef, a: Value, b: Value) -> tuple[float | None, str]:
    """Smallest change that counts, and its basis ("MDC95 …", "within-session noise", "")."""
    if d.mdc is not None:
        base = a.get("value")
        if d.mdc.relative:
            if base is None:
                return None, ""
            return abs(base) * d.mdc.value / 100, f"MDC95 {d.mdc.value:g} % ({d.mdc.source})"
        return d.mdc.value, f"MDC95 {d.mdc.value:g} {d.unit} ({d.mdc.source})"
    if d.noise:
        sa, sb = _se(a, d.noise), _se(b, d.noise)
        if sa is not None and sb is not None:
            return 1.96 * math.hypot(sa, sb), "within-session noise (95 %), no published MDC"
    return None, ""


def _distance(x: float, target: tuple[float, float]) -> float:
    lo, hi = target
    return max(lo - x, 0.0, x - hi)


def judge(d: MetricDef, a: Value, b: Value) -> dict[str, Any]:
    """Judge the change from visit ``a`` to visit ``b`` for one metric.

    verdict: "improved" / "worsened" (change beyond the threshold in the better / worse
    direction), "no detectable change" (within it), "changed" (beyond it, no preferred
    direction), "not judged" (no threshold known: the change is reported as is), or
    "missing"."""
    xa, xb = a.get("value"), b.get("value")
    out: dict[str, Any] = {"key": d.key, "from": xa, "to": xb, "change": None, "threshold": None,
                           "basis": "", "verdict": "missing", "direction": d.direction}
    if xa is None or xb is None:
        return out
    delta = xb - xa
    out["change"] = round(delta, 3)
    thr, basis = threshold(d, a, b)
    out["threshold"] = None if thr is None else round(thr, 3)
    out["basis"] = basis or d.note
    if d.direction == "target" and d.target is not None:
        gain = _distance(xa, d.target) - _distance(xb, d.target)  # > 0: closer to target
    elif d.direction in ("up", "down"):
        gain = delta if d.direction == "up" else -delta
    else:
        gain = None
    if thr is None:
        out["verdict"] = "not judged"
        if gain is not None and gain != 0:
            out["verdict"] = "not judged (" + ("better" if gain > 0 else "worse") + " direction)"
        return out
    if abs(delta) < thr:
        out["verdict"] = "no detectable change"
    elif gain is None:
        out["verdict"] = "changed"
    elif d.direction == "target" and gain == 0:
        out["verdict"] = "no detectable change"  # stayed inside (or equally far from) the target
    else:
        out["verdict"] = "improved" if gain > 0 else "worsened"
    return out


def trend(xs: list[float | None], weeks: list[float] | None = None) -> dict[str, Any]:
    """Least-squares slope per week (per visit when weeks are unknown) over the visits with
    a value, and whether every step between consecutive visits went the same way."""
    t = np.asarray(weeks if weeks is not None and None not in weeks else range(len(xs)), float)
    y = np.array([np.nan if x is None else x for x in xs], float)
    ok = np.isfinite(y) & np.isfinite(t)
    out: dict[str, Any] = {"n": int(ok.sum()), "slope": None, "per": "week" if weeks else "visit",
                           "monotonic": None}
    if ok.sum() < 2 or np.ptp(t[ok]) == 0:
        return out
    out["slope"] = round(float(np.polyfit(t[ok], y[ok], 1)[0]), 4)
    d = np.diff(y[ok])
    out["monotonic"] = bool(np.all(d > 0) or np.all(d < 0))
    return out


BELT_SPEED_TOL_MPS = 0.05  # belt speeds closer than this (0.18 km/h) count as the same


def belt_speed(v: Visit) -> float | None:
    """The treadmill belt speed (m/s) the visit's run was analysed at, if recorded."""
    return _f(((v.extras or {}).get("gait_temporal") or {}).get("belt_speed_mps")) or None


def belt_speed_warnings(visits: list[Visit], expected_mps: float | None = None,
                        tol: float = BELT_SPEED_TOL_MPS) -> list[str]:
    """One line per problem with the belt speeds of the visits' runs: different speeds
    (temporal and EMG-timing metrics depend on speed, so their changes are not comparable),
    a speed not recorded in some visits, or a speed other than the protocol's fixed one."""
    name = [Path(v.path).name for v in visits]
    speeds = [belt_speed(v) for v in visits]
    known = [(n, x) for n, x in zip(name, speeds, strict=True) if x is not None]
    out = []
    if known and max(x for _, x in known) - min(x for _, x in known) > tol:
        each = ", ".join(f"{n} {x:g}" for n, x in known)
        out.append(f"visits were run at different belt speeds ({each} m/s): cadence, contact "
                   "times, step width and EMG timing depend on speed, so their changes are not "
                   "comparable; run every visit at the same speed")
    missing = [n for n, x in zip(name, speeds, strict=True) if x is None]
    if known and missing:
        out.append(f"belt speed not recorded in {', '.join(missing)}: check it was run at the "
                   "same speed as the other visits")
    if expected_mps is not None:
        off = [f"{n} {x:g}" for n, x in known if abs(x - expected_mps) > tol]
        if off:
            out.append(f"run at a speed other than the assessment protocol's {expected_mps:g} m/s: "
                       f"{', '.join(off)} m/s")
    return out


@dataclass
class Comparison:
    labels: list[str]
    rows: list[dict[str, Any]]  # one per metric: label, unit, values, change, verdict, trend
    visits: list[Visit]
    warnings: list[str] = field(default_factory=list)  # e.g. different belt speeds

    def to_json(self) -> dict[str, Any]:
        return {"schema": "gaitlab.comparison/1",
                "visits": [{"label": v.label, "path": v.path, "date": v.date, "week": v.week,
                            "belt_speed_mps": belt_speed(v)} for v in self.visits],
                "warnings": self.warnings, "metrics": self.rows}


def compare_visits(visits: list[Visit], defs: list[MetricDef] | None = None,
                   expected_speed_mps: float | None = None) -> Comparison:
    """Every metric from the first visit (baseline) to the last, judged, with its trend;
    ``warnings`` say when the runs were not at the same belt speed (or not at the
    protocol's ``expected_speed_mps``)."""
    if len(visits) < 2:
        raise GaitlabError("compare needs at least two session files (baseline and a later visit)")
    defs = defs or metric_defs()
    flat = [flatten(v.metrics, v.extras) for v in visits]
    weeks = [v.week for v in visits]
    wk = [float(w) for w in weeks] if all(w is not None for w in weeks) else None
    rows = []
    for d in defs:
        vals = [f.get(d.key, {"value": None, "sd": None, "n": None}) for f in flat]
        if all(v["value"] is None for v in vals):
            continue
        j = judge(d, vals[0], vals[-1])
        steps = [judge(d, vals[i], vals[i + 1])["verdict"] for i in range(len(vals) - 1)]
        rows.append({"label": d.label, "unit": d.unit, "values": [v["value"] for v in vals],
                     **j, "steps": steps, "trend": trend([v["value"] for v in vals], wk),
                     "target": list(d.target) if d.target else None})
    return Comparison([v.label for v in visits], rows, visits,
                      belt_speed_warnings(visits, expected_speed_mps))


def load_visit(path: str | Path, label: str | None = None, week: int | None = None) -> Visit:
    """Read a session file's stored /analysis; analyse (and store) it when absent."""
    import h5py

    from gaitlab.io.session import open_session

    p = Path(path)
    with open_session(p) as s:
        date = str(s.attrs.get("created_utc", ""))[:10]
        athlete = s.athlete
        g = s.file.get("analysis")
        stored = g is not None and "metrics_json" in g.attrs
        if stored:
            try:
                metrics = json.loads(g.attrs["metrics_json"])
                extras = json.loads(g.attrs.get("extras_json", "{}"))
            except (json.JSONDecodeError, TypeError):
                raise GaitlabError(f"{p}: /analysis is damaged; run 'gaitlab analyze {p}' "
                                   "again") from None
            widths = None
            if "contacts" in g and "step_width_cm" in g["contacts"]:
                w = np.asarray(g["contacts"]["step_width_cm"][()], dtype=np.float64)
                widths = w[np.isfinite(w)]
            ens = {}
            for name, h in (g.get("ensemble") or {}).items():
                if isinstance(h, h5py.Group) and "mean" in h:
                    ens[name] = {"mean": h["mean"][:], "sd": h["sd"][:],
                                 "n": int(h.attrs.get("n_cycles", 0)),
                                 "unit": str(h.attrs.get("unit", ""))}
    if not stored:
        from gaitlab.analysis import gait as G
        from gaitlab.analysis.pipeline import analyze_session, store

        res = analyze_session(p)
        store(p, res)  # best effort: a read-only file still compares from memory
        metrics, extras = res.metrics, res.extras
        ens = {k: {"mean": e.mean, "sd": e.sd, "n": e.n_cycles, "unit": e.unit}
               for k, e in res.ensembles.items()}
        widths = None
        if res.contacts is not None:
            w = G.step_widths(res.contacts) * 100
            widths = w[np.isfinite(w)]
    return Visit(label=label or p.stem, path=str(p), date=date, metrics=metrics, extras=extras,
                 ensembles=ens, athlete=athlete, week=week, analysed_now=not stored,
                 step_widths_cm=widths)


def order_by_date(paths: list[str | Path]) -> list[str]:
    """Session files sorted by their recording time (root ``created_utc``), oldest first; a
    file without one keeps its place after the dated ones."""
    from gaitlab.io.session import open_session

    dated = []
    for i, p in enumerate(paths):
        with open_session(p) as s:
            dated.append((str(s.attrs.get("created_utc", "")) or "~", i, str(p)))
    return [p for _, _, p in sorted(dated)]
