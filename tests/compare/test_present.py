"""What the comparison view shows, as pure functions: verdict kinds, direction and trend text,
per-visit strength and gait values, strip offsets, date ordering and file problems."""

from __future__ import annotations

import random
import shutil

import h5py
import numpy as np
import pytest

from gaitlab.compare import MDC, MetricDef, compare_visits, judge, load_visit, order_by_date
from gaitlab.compare import present as P
from gaitlab.errors import GaitlabError
from gaitlab.registry.importer import demo_folder, demo_visits

DEMO = demo_folder()


def _v(x: float | None) -> dict:
    return {"value": x, "sd": None, "n": None}


def test_every_judge_verdict_has_a_kind() -> None:
    up = MetricDef("k", "k", "N", "up", MDC(5.0, "src"))
    none = MetricDef("k", "k", "N", "none", MDC(5.0, "src"))
    free = MetricDef("k", "k", "N", "up")
    cases = {"improved": judge(up, _v(100), _v(110)), "worse": judge(up, _v(100), _v(90)),
             "within": judge(up, _v(100), _v(102)), "changed": judge(none, _v(100), _v(120)),
             "no_mdc": judge(free, _v(100), _v(120)), "missing": judge(up, _v(100), _v(None))}
    for kind, r in cases.items():
        assert P.verdict_kind(r["verdict"]) == kind, r["verdict"]
    assert set(cases) == set(P.KINDS) == set(P.KIND_TEXT)


def test_direction_threshold_and_trend_text() -> None:
    _, vis = demo_visits()
    c = compare_visits([load_visit(x["path"], week=x["week"]) for x in vis])
    rows = {r["key"]: r for r in c.rows}
    assert P.direction_text(rows["gait.step_width_cm"]) == "↑ higher"
    assert P.direction_text(rows["gait.crossover_pct"]) == "↓ lower"
    lo, hi = rows["strength.lsi_pct"]["target"]
    assert P.direction_text(rows["strength.lsi_pct"]) == f"→ {lo:g}–{hi:g}"
    assert P.direction_text(rows["gait.contact_time_ms.L"]) == "—"
    r = rows["strength.R.peak_force_N"]
    assert P.threshold_text(r) == f"{r['threshold']:g} N"  # 4.85 as published, not 4.8
    assert P.threshold_text(r, unit=False) == f"{r['threshold']:g}"
    assert "doi:10.1016/j.arrct.2020.100050" in P.threshold_tip(r)  # the MDC's full source
    assert P.trend_text(r).startswith(f"{r['trend']['slope']:+.2f} N/week")
    assert P.trend_text(r).endswith("steady") == bool(r["trend"]["monotonic"])
    steps = P.steps_text(r, c.labels).splitlines()
    assert len(steps) == len(c.labels) - 1 and all(s.split(": ")[1] in r["steps"] for s in steps)
    assert P.fmt(None) == "—" and P.fmt(float("nan")) == "—" and P.fmt(2.0, sign=True) == "+2.0"
    assert P.fmt(-0.04) == P.fmt(-0.04, sign=True) == P.fmt(0.0, sign=True) == "0.0"  # no "-0.0"
    assert P.fmt(-0.004, 2, sign=True) == "0.00" and P.fmt(-0.06, sign=True) == "-0.1"
    assert [P.num_text(x) for x in (4.85, 27.0, 0.8734, 13.0, -0.001)] == ["4.85", "27", "0.87", "13", "0"]
    assert P.trend_text(r, unit=False).startswith(f"{r['trend']['slope']:+.2f}/wk")
    flat = dict(r, trend={"slope": -0.001, "per": "week", "monotonic": False})
    assert P.trend_text(flat, unit=False) == "0.00/wk"


def test_strength_and_gait_per_visit_come_from_the_metrics() -> None:
    visits = [load_visit(p) for p in sorted(DEMO.glob("*.h5"))]
    st = P.strength_by_visit(visits)
    ga = P.gait_by_visit(visits)
    for v, s, g in zip(visits, st, ga, strict=True):
        hip = v.metrics["strength"]["hip_abduction"]
        for side in P.SIDES:
            assert s["peak"][side] == hip[side]["peak_force_N"]
            assert s["trials"][side] == hip[side]["trials_N"]
            assert max(s["trials"][side]) == pytest.approx(s["peak"][side], abs=1e-6)
        assert s["lsi"] == hip["lsi_pct"]
        assert g["mean"] == v.metrics["gait"]["step_width_cm"]["mean"]
        assert g["crossover_pct"] == v.metrics["gait"]["crossover_pct"]
    assert P.ensemble_grid(visits) == ["GMAX", "GMED", "TFL"]
    assert P.strength_by_visit([load_visit(DEMO / "visit-1-baseline.h5")]) == st[:1]
    x = P.cycle_axis(101)
    assert x[0] == 0 and x[-1] == 100 and np.all(np.diff(x) > 0)


def test_strip_offsets_are_spread_and_repeatable() -> None:
    for n in (1, 7, 60):
        o = P.strip_offsets(n, 0.5)
        assert o.shape == (n,) and np.all(np.abs(o) <= 0.25)
        assert np.array_equal(o, P.strip_offsets(n, 0.5))
        assert len(np.unique(np.round(o, 9))) == n  # no two points on top of each other
    assert P.strip_offsets(0).size == 0


def test_order_by_date_and_file_problems(tmp_path) -> None:
    files = sorted(str(p) for p in DEMO.glob("*.h5"))
    shuffled = files[::-1]
    random.Random(1).shuffle(shuffled)
    assert order_by_date(shuffled) == files  # the demo's visit dates follow the file names
    empty = tmp_path / "empty.h5"
    shutil.copy(files[0], empty)
    with h5py.File(empty, "r+") as h:
        del h["analysis"]
        for k in list(h["streams"]):
            del h["streams"][k]
    fresh = tmp_path / "fresh.h5"
    shutil.copy(files[1], fresh)
    with h5py.File(fresh, "r+") as h:
        del h["analysis"]
    # a session with nothing to analyse is refused in one line (not an all-empty visit)
    with pytest.raises(GaitlabError, match="nothing to analyse") as e:
        load_visit(empty)
    assert "empty.h5" in str(e.value) and "\n" not in str(e.value)
    visits = [load_visit(fresh), load_visit(files[2])]
    assert [v.analysed_now for v in visits] == [True, False]
    errors, notes = P.visit_problems(visits)
    assert errors == []
    assert notes == ["fresh.h5 had no /analysis: analysed now"]


def test_threshold_sources_name_the_rows_they_apply_to() -> None:
    _, vis = demo_visits()
    c = compare_visits([load_visit(x["path"], week=x["week"]) for x in vis])
    lines = P.threshold_sources(c.rows)
    assert len(lines) == len({r["basis"] for r in c.rows if r["basis"]})
    strength = next(x for x in lines if "Byrne" in x)
    assert strength.endswith("rows: Hip abduction peak force L, Hip abduction peak force R")
    noise = next(x for x in lines if x.startswith("within-session noise"))
    assert "Step width (signed, mean)" in noise and "GMED R onset re IC" in noise
