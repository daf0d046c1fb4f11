"""Measured against true: compare a metrics contract with the virtual athlete's ground truth.

Pure functions over two ``gaitlab.metrics/2`` dictionaries. The tolerances are the
acceptance limits of the walking skeleton (issue #2): a demo run is judged by them, and
the validation scripts report the same errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: metric path -> (tolerance, kind): "abs" in the metric's unit, or "rel" as a fraction
TOLERANCES: dict[str, tuple[float, str]] = {
    "gait.cadence_spm": (1.0, "abs"),
    "gait.step_width_cm.mean": (0.5, "abs"),
    "gait.crossover_pct": (3.0, "abs"),
    "gait.foot_progression_deg.L": (2.0, "abs"),
    "gait.foot_progression_deg.R": (2.0, "abs"),
    "emg.GMED_L.onset_ms.mean": (15.0, "abs"),
    "emg.GMED_R.onset_ms.mean": (15.0, "abs"),
    "strength.hip_abduction.L.peak_force_N": (0.02, "rel"),
    "strength.hip_abduction.R.peak_force_N": (0.02, "rel"),
    "strength.hip_abduction.lsi_pct": (2.0, "abs"),
    "pelvis.drop_deg.L.mean": (0.5, "abs"),  # issue #12's goal for the mean peak drop
    "pelvis.drop_deg.R.mean": (0.5, "abs"),
}


@dataclass(frozen=True)
class Row:
    path: str
    measured: float | None
    true: float | None
    error: float | None  # measured - true, in the metric's unit
    tolerance: str  # "" when the metric has no acceptance limit
    ok: bool | None  # None when not judged


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"gait": {"cadence_spm": 1}} -> {"gait.cadence_spm": 1}; lists are kept whole."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        p = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flatten(v, p))
        else:
            out[p] = v
    return out


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def compare(measured: dict[str, Any], truth: dict[str, Any]) -> list[Row]:
    """One row per numeric metric of the truth, in the truth's order."""
    m, t = flatten(measured), flatten(truth)
    rows: list[Row] = []
    for path, tv in t.items():
        tn = _num(tv)
        if tn is None:
            continue
        mn = _num(m.get(path))
        err = None if mn is None else mn - tn
        tol, kind = TOLERANCES.get(path, (None, ""))
        ok: bool | None = None
        tol_txt = ""
        if tol is not None:
            limit = tol * abs(tn) if kind == "rel" else tol
            tol_txt = f"±{tol * 100:g}%" if kind == "rel" else f"±{tol:g}"
            ok = err is not None and abs(err) <= limit
        rows.append(Row(path, mn, tn, err, tol_txt, ok))
    return rows


def format_rows(rows: list[Row]) -> str:
    """A plain-text table: metric, measured, true, error, tolerance, verdict."""
    def f(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    w = max(len(r.path) for r in rows) if rows else 10
    head = f"{'metric':<{w}}  {'measured':>10}  {'true':>10}  {'error':>8}  {'limit':>6}  verdict"
    lines = [head, "-" * len(head)]
    for r in rows:
        verdict = "" if r.ok is None else ("PASS" if r.ok else "FAIL")
        lines.append(f"{r.path:<{w}}  {f(r.measured):>10}  {f(r.true):>10}  {f(r.error):>8}  "
                     f"{r.tolerance:>6}  {verdict}")
    return "\n".join(lines)
