"""Every contact accounted for (issue #13) on a real single-belt running trial.

RBDS0041 runT25 (Fukuchi; 2.5 m/s, one force plate under both feet, 300 Hz, 30 s) is
written into a session file by the recorder's SessionWriter and analysed end to end. The
references were computed by scripts/convert_real_rbds.py, which shares no code with the
analysis: the vertical-force peaks (one per contact) and, per foot, heel strikes from the
markers by the coordinate method of Zeni et al. 2008. The plate's force chatters around
the 50 N threshold at many ICs and TOs (±15 N noise); before the debounce
(``force.min_gap_ms``) each chatter was a 0–5 ms "contact" that broke the running bout,
and only 6 of the 78 complete contacts were used, with no reason given.
"""

from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from rbds_session import T0, load_reference, write_session

from gaitlab.analysis import analyze_session, store
from gaitlab.analysis import gait as G
from gaitlab.analysis.cli import analyze

HS_TOL_S = 0.06  # force IC vs marker heel strike: 9–41 ms apart on this trial (docs/validation.md)


@pytest.fixture(scope="module")
def rbds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = write_session(tmp_path_factory.mktemp("rbds") / "rbds.h5")
    res = analyze_session(path)
    store(path, res)
    return {"path": path, "res": res, "ref": load_reference()}


def test_every_contact_is_found_once(rbds: dict[str, Any]) -> None:
    c = rbds["res"].contacts.contacts
    peaks = T0 + np.asarray(rbds["ref"]["force_peak_s"])
    inside = (peaks[:, None] >= np.nan_to_num(c.ic, nan=-np.inf)[None]) & (peaks[:, None] <= c.to[None])
    assert len(c) == peaks.size == 79
    assert np.all(inside.sum(axis=1) == 1) and np.all(inside.sum(axis=0) == 1)


def test_a_steady_trial_uses_every_complete_contact(rbds: dict[str, Any]) -> None:
    acc = rbds["res"].metrics["gait"]["contacts"]
    assert acc["found"] == {"total": 79, "L": 39, "R": 39, "unknown": 1}
    assert acc["used"] == {"total": 78, "L": 39, "R": 39}
    assert acc["left_out"] == {k: (1 if k == "partial_start" else 0) for k in G.LEFT_OUT}
    assert rbds["res"].metrics["gait"]["n_steps"] == 78
    (lo,) = rbds["res"].extras["gait_left_out"]
    assert lo["row"] == 0 and lo["reason"] == "partial_start" and lo["ic_s"] is None


def test_sides_and_ics_agree_with_the_marker_heel_strikes(rbds: dict[str, Any]) -> None:
    sc = rbds["res"].contacts
    used = sc.left_out == ""
    ref = rbds["ref"]
    hs = T0 + np.r_[ref["L"]["heel_strike_s"], ref["R"]["heel_strike_s"]]
    hs_side = np.r_[np.full(len(ref["L"]["heel_strike_s"]), G.LEFT),
                    np.full(len(ref["R"]["heel_strike_s"]), G.RIGHT)]
    ic = sc.contacts.ic[used]
    k = np.argmin(np.abs(hs[None] - ic[:, None]), axis=1)
    assert np.unique(k).size == ic.size  # one heel strike per contact
    assert np.all(np.abs(ic - hs[k]) <= HS_TOL_S)
    np.testing.assert_array_equal(sc.side[used], hs_side[k])


def test_accounting_is_stored_for_plain_h5py(rbds: dict[str, Any]) -> None:
    with h5py.File(rbds["path"], "r") as f:
        g = f["analysis/contacts"]
        used, why = g["used"][()], g["left_out"].asstr()[()]
        m = json.loads(f["analysis"].attrs["metrics_json"])["gait"]["contacts"]
    assert used.dtype == np.int8 and used.sum() == 78 and used[0] == 0
    assert list(why[:2]) == ["partial_start", ""] and np.all((why == "") == (used == 1))
    assert m["used"]["total"] == 78 and m["left_out"]["partial_start"] == 1


def test_table_prints_found_used_and_left_out(rbds: dict[str, Any]) -> None:
    r = CliRunner().invoke(analyze, [str(rbds["path"]), "--no-store"])
    assert r.exit_code == 0, r.output
    assert "contacts found        79: L 39 / R 39 (side unknown 1)" in r.output
    assert "contacts used         78: L 39 / R 39" in r.output
    assert "partial at the start of the recording" in r.output
    assert "row 0: IC —, TO 0.191 s" in r.output


def test_force_chatter_at_ic_and_to_is_one_contact() -> None:
    """Twelve sine-shaped contacts whose force dips under the threshold for one sample
    right after IC and rises over it for one sample right after TO."""
    fs = 300.0
    t = np.arange(int(5 * fs)) / fs
    fz = np.full_like(t, 20.0)
    ics = 0.5 + np.arange(12) * 0.36
    for ic in ics:
        k = (t >= ic) & (t <= ic + 0.25)
        fz[k] = np.maximum(1800 * np.sin(np.pi * (t[k] - ic) / 0.25), 20.0)
        loaded = np.flatnonzero(k & (fz >= 50))
        fz[loaded[0] + 1] = 45.0  # dips under the threshold one sample after IC
        fz[loaded[-1] + 2] = 55.0  # rises over it two samples after TO
    c = G.contacts_from_force(t, fz, None)
    assert len(c) == 12
    assert np.all((c.to - c.ic) > 0.2)


def test_events_count_a_toe_off_before_the_first_contact() -> None:
    ic = 1.0 + np.arange(10) * 0.72
    t = np.r_[0.2, ic, ic + 0.25]
    lab = np.array(["TO L"] + ["IC L"] * 10 + ["TO L"] * 10)
    c, side = G.contacts_from_events(t, lab)
    assert len(c) == 11 and np.isnan(c.ic[0]) and c.to[0] == 0.2 and np.all(side == G.LEFT)
