"""Which metrics are compared, which way is better, and how big a change must be to count.

Each :class:`MetricDef` names a value in a visit's flattened metrics (see
:func:`gaitlab.compare.core.flatten`), its direction of improvement, and its minimal
detectable change (MDC95) with the source. Where no published MDC for running exists
the change is judged against the two sessions' own within-session uncertainty instead
(``noise`` basis: 1.96·√(SE_a² + SE_b²), SE from the per-step or per-cycle SD and count);
that says whether the difference is larger than the scatter of the steps, not that it
is larger than day-to-day variation, and is labelled as such. Sources: docs/program.md.
"""

from __future__ import annotations

from dataclasses import dataclass

# direction: "up" / "down" = higher / lower is better; "target" = closer to [lo, hi] is
# better; "none" = reported, not judged.


@dataclass(frozen=True)
class MDC:
    value: float
    source: str
    relative: bool = False  # value is a % of the baseline value


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    direction: str
    mdc: MDC | None = None
    noise: str = ""  # "sd_n": SE from key's .sd and .n; "proportion": binomial SE
    target: tuple[float, float] | None = None
    note: str = ""


# Full citations and what each value is: docs/program.md, "Sources of the thresholds".
BYRNE_2020 = MDC(4.85, "Byrne, Lodge & Wallace 2020, Arch Rehabil Res Clin Transl 2:100050, "
                       "doi:10.1016/j.arrct.2020.100050: hip abduction make test, hand-held "
                       "dynamometer in a stabilising frame, WITHIN-DAY MDC95 (3 trials in one "
                       "session, n = 18; SEM 1.75 N): smaller than the error between visits")
LSI_MDC = MDC(27.0, "'A hip test battery for clinical practice: reliability, normative data, and "
                    "the pitfalls of Limb Symmetry Index', Research Square preprint (not peer "
                    "reviewed), doi:10.21203/rs.3.rs-9252188/v1: LSI MDC95 ≈ 27 (LSI points), "
                    "retest after 7 ± 2 days, n = 22")

CADENCE_TARGET = (170.0, 180.0)


def metric_defs(cadence_target: tuple[float, float] = CADENCE_TARGET) -> list[MetricDef]:
    """Metrics compared across visits, in report order."""
    defs = [
        MetricDef("strength.L.peak_force_N", "Hip abduction peak force L", "N", "up", BYRNE_2020),
        MetricDef("strength.R.peak_force_N", "Hip abduction peak force R", "N", "up", BYRNE_2020),
        MetricDef("strength.lsi_pct", "Hip abduction LSI (inv./uninv.)", "%", "target",
                  LSI_MDC, target=(90.0, 110.0), note="pass ≥ 90 %"),
        MetricDef("gait.cadence_spm", "Cadence", "steps/min", "target", None,
                  target=cadence_target,
                  note="no running MDC found; per-step SD not stored: change not judged"),
        MetricDef("gait.step_width_cm", "Step width (signed, mean)", "cm", "up", None, "sd_n",
                  note="no running MDC found; judged against within-session noise"),
        MetricDef("gait.crossover_pct", "Crossover steps", "%", "down", None, "proportion",
                  note="no MDC found; judged against binomial within-session noise"),
        MetricDef("gait.contact_time_ms.L", "Contact time L", "ms", "none"),
        MetricDef("gait.contact_time_ms.R", "Contact time R", "ms", "none"),
        MetricDef("gait.foot_progression_deg.L", "Foot progression angle L (toe-out +)", "deg", "none"),
        MetricDef("gait.foot_progression_deg.R", "Foot progression angle R (toe-out +)", "deg", "none"),
    ]
    for side in ("L", "R"):
        defs.append(MetricDef(f"emg.GMED_{side}.onset_ms", f"GMED {side} onset re IC", "ms", "down",
                              None, "sd_n", note="earlier is better; no running MDC found"))
        defs.append(MetricDef(f"emg.TFL_{side}.onset_ms", f"TFL {side} onset re IC", "ms", "none",
                              None, "sd_n"))
        defs.append(MetricDef(f"emg.gmed_minus_tfl_{side}", f"GMED − TFL onset {side}", "ms", "down",
                              None, "sd_n",
                              note="negative = GMED first; lower is better; no MDC found"))
        defs.append(MetricDef(f"emg.GMAX_{side}.onset_ms", f"GMAX {side} onset re IC", "ms", "none",
                              None, "sd_n"))
    return defs
