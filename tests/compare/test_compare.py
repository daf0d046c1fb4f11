"""Before/after comparison: pure judging functions, and the demo athlete's real files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import h5py
import pytest

from gaitlab.compare import MDC, MetricDef, compare_visits, judge, load_visit, metric_defs, trend
from gaitlab.compare.metrics import BYRNE_2020, LSI_MDC
from gaitlab.errors import GaitlabError
from gaitlab.registry.importer import demo_folder, demo_visits

DEMO = demo_folder()


def v(x: float | None, sd: float | None = None, n: float | None = None) -> dict:
    return {"value": x, "sd": sd, "n": n}


def test_judge_against_published_mdc() -> None:
    d = MetricDef("strength.R.peak_force_N", "R", "N", "up", BYRNE_2020)
    mdc = BYRNE_2020.value
    assert judge(d, v(150.0), v(150.0 + 0.9 * mdc))["verdict"] == "no detectable change"
    assert judge(d, v(150.0), v(150.0 + 1.1 * mdc))["verdict"] == "improved"
    assert judge(d, v(150.0), v(150.0 - 1.1 * mdc))["verdict"] == "worsened"
    r = judge(d, v(150.0), v(None))
    assert r["verdict"] == "missing" and r["change"] is None
    down = MetricDef("k", "k", "%", "down", MDC(2.0, "x"))
    assert judge(down, v(10.0), v(5.0))["verdict"] == "improved"
    rel = MetricDef("k", "k", "x", "up", MDC(10.0, "x", relative=True))
    assert judge(rel, v(200.0), v(215.0))["verdict"] == "no detectable change"  # 15 < 10 % of 200
    assert judge(rel, v(200.0), v(225.0))["verdict"] == "improved"


def test_every_mdc_has_a_full_source_and_says_what_it_is() -> None:
    mdcs = {d.mdc for d in metric_defs() if d.mdc is not None}
    assert mdcs == {BYRNE_2020, LSI_MDC}
    for m in mdcs:  # journal or server, year and a DOI; and whether within- or between-day
        assert "doi:10." in m.source and "20" in m.source, m.source
    assert "WITHIN-DAY" in BYRNE_2020.source and "Arch Rehabil Res Clin Transl" in BYRNE_2020.source
    assert "7 ± 2 days" in LSI_MDC.source and "not peer reviewed" in LSI_MDC.source
    assert "Byrne" not in LSI_MDC.source  # the LSI MDC is not from Byrne 2020


def test_target_direction_and_unjudged_metrics() -> None:
    lsi = MetricDef("s", "LSI", "%", "target", MDC(5.0, "x"), target=(90.0, 110.0))
    assert judge(lsi, v(70.0), v(95.0))["verdict"] == "improved"
    assert judge(lsi, v(95.0), v(125.0))["verdict"] == "worsened"
    assert judge(lsi, v(92.0), v(105.0))["verdict"] == "no detectable change"  # inside target
    cad = MetricDef("c", "Cadence", "spm", "target", None, target=(170.0, 180.0))
    r = judge(cad, v(160.0), v(168.0))
    assert r["verdict"] == "not judged (better direction)" and r["threshold"] is None
    neutral = MetricDef("t", "Contact", "ms", "none", MDC(5.0, "x"))
    assert judge(neutral, v(250.0), v(270.0))["verdict"] == "changed"


def test_noise_threshold_from_sd_and_count() -> None:
    d = MetricDef("w", "width", "cm", "up", None, "sd_n")
    sd, n = 2.0, 100.0
    r = judge(d, v(2.0, sd, n), v(3.0, sd, n))
    expected = 1.96 * (2 * (sd / n ** 0.5) ** 2) ** 0.5
    assert r["threshold"] == pytest.approx(expected, abs=1e-3)
    assert r["verdict"] == ("improved" if 1.0 > expected else "no detectable change")
    assert "no published MDC" in r["basis"]
    few = judge(d, v(2.0, sd, 1), v(3.0, sd, 1))
    assert few["verdict"].startswith("not judged")  # one step has no SE
    prop = MetricDef("c", "crossover", "%", "down", None, "proportion")
    big = judge(prop, v(30.0, None, 200), v(5.0, None, 200))
    small = judge(prop, v(30.0, None, 10), v(25.0, None, 10))
    assert big["verdict"] == "improved" and small["verdict"] == "no detectable change"


def test_trend_slope_and_monotonic() -> None:
    t = trend([1.0, 2.0, 4.0], [0, 4, 8])
    assert t["slope"] == pytest.approx(3.0 / 8, abs=1e-3) and t["monotonic"] and t["per"] == "week"
    t = trend([1.0, None, 0.5, 2.0])
    assert t["n"] == 3 and t["monotonic"] is False and t["per"] == "visit"
    assert trend([None, 1.0])["slope"] is None


def test_demo_visits_compare_in_the_expected_directions() -> None:
    _, vis = demo_visits()
    visits = [load_visit(x["path"], week=x["week"]) for x in vis]
    c = compare_visits(visits)
    rows = {r["key"]: r for r in c.rows}
    # every shipped metric of the contract that has a direction is in the table
    assert {d.key for d in metric_defs()} <= set(rows)
    assert rows["strength.R.peak_force_N"]["verdict"] == "improved"
    assert rows["gait.step_width_cm"]["verdict"] == "improved"
    assert rows["gait.crossover_pct"]["verdict"] in ("improved", "no detectable change")
    assert rows["emg.gmed_minus_tfl_R"]["verdict"] == "improved"
    assert rows["gait.cadence_spm"]["trend"]["slope"] > 0
    for r in c.rows:  # the change is last minus first of the reported values
        if r["change"] is not None:
            assert r["change"] == pytest.approx(r["values"][-1] - r["values"][0], abs=1e-3)
    assert json.loads(json.dumps(c.to_json()))["schema"] == "gaitlab.comparison/1"


def test_file_without_analysis_is_analysed_and_stored(tmp_path) -> None:
    src = DEMO / "visit-1-baseline.h5"
    f = tmp_path / "plain.h5"
    shutil.copy(src, f)
    with h5py.File(f, "r+") as h:
        del h["analysis"]
    fresh = load_visit(f)  # analyses and stores
    with h5py.File(f, "r") as h:
        assert "metrics_json" in h["analysis"].attrs
    again = load_visit(f)  # now read back from /analysis
    assert again.metrics == fresh.metrics and again.metrics["gait"]["n_steps"] > 0
    assert set(again.ensembles) == set(fresh.ensembles) and again.ensembles


def test_cli_json_and_one_line_errors(tmp_path) -> None:
    files = sorted(str(p) for p in DEMO.glob("*.h5"))
    res = subprocess.run([sys.executable, "-m", "gaitlab", "compare", *files, "--json"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert len(out["visits"]) == len(files) and all(len(m["values"]) == len(files)
                                                    for m in out["metrics"])
    text = subprocess.run([sys.executable, "-m", "gaitlab", "compare", *files], capture_output=True,
                          text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    head, rule, *rows = text.stdout.splitlines()
    assert head.split()[:2] == ["metric", "better"] and set(rule) <= {"-", " "}
    by_label = {r.split(" [")[0]: r for r in rows if " [" in r}
    # which way is better is printed on every row, also those judged "no detectable change"
    assert "→ 90–110" in by_label["Hip abduction LSI (inv./uninv.)"]
    assert "↓ lower" in by_label["GMED L onset re IC"] and "no detectable change" in by_label[
        "GMED L onset re IC"]
    assert "↑ higher" in by_label["Step width (signed, mean)"]
    assert f" {BYRNE_2020.value:g} " in by_label["Hip abduction peak force R"]  # 4.85, not 4.8
    assert not re.search(r"[-+]0\.0+(?![0-9])", text.stdout)  # no "-0.0" or "+0.00"
    assert any("rows: Hip abduction peak force L, Hip abduction peak force R" in r for r in rows)
    junk = tmp_path / "junk.h5"
    junk.write_text("garbage")
    for args in ([files[0]], [files[0], str(junk)]):
        bad = subprocess.run([sys.executable, "-m", "gaitlab", "compare", *args],
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        assert bad.stderr.strip().count("\n") == 0, bad.stderr
    with pytest.raises(GaitlabError, match="at least two"):
        compare_visits([load_visit(files[0])])


def _with_belt_speed(src, dst, speed: float):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as h:
        extras = json.loads(h["analysis"].attrs["extras_json"])
        extras["gait_temporal"]["belt_speed_mps"] = speed
        h["analysis"].attrs["extras_json"] = json.dumps(extras)
    return dst


def test_visits_at_different_belt_speeds_are_flagged(tmp_path) -> None:
    files = sorted(DEMO.glob("*.h5"))
    same = compare_visits([load_visit(f) for f in files])
    assert same.warnings == [] and same.to_json()["warnings"] == []
    fast = _with_belt_speed(files[-1], tmp_path / "fast.h5", 3.3)
    c = compare_visits([load_visit(files[0]), load_visit(fast)])
    assert len(c.warnings) == 1 and "different belt speeds" in c.warnings[0]
    assert "fast.h5 3.3" in c.warnings[0] and "visit-1-baseline.h5 3" in c.warnings[0]
    assert [v["belt_speed_mps"] for v in c.to_json()["visits"]] == [3.0, 3.3]
    near = _with_belt_speed(files[-1], tmp_path / "near.h5", 3.02)  # within 0.05 m/s: the same
    assert compare_visits([load_visit(files[0]), load_visit(near)]).warnings == []
    slow = compare_visits([load_visit(files[0]), load_visit(near)], expected_speed_mps=2.5)
    assert len(slow.warnings) == 1 and "assessment protocol's 2.5 m/s" in slow.warnings[0]
    res = subprocess.run([sys.executable, "-m", "gaitlab", "compare", str(files[0]), str(fast)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.startswith("warning: visits were run at different belt")
