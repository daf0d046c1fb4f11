"""Gait from foot contacts: running bouts, left/right assignment and the gait metrics.

Contacts come from a pressure treadmill (:mod:`gaitlab.analysis.pressure`), an
instrumented treadmill (:func:`contacts_from_force`) or gait-event markers
(:func:`contacts_from_events`).

Left/right: running strictly alternates feet, so within a continuous bout only the
parity is unknown (is the first contact left or right?). Two independent cues vote on
it: (1) position — a contact's placement relative to a moving midline (running median
of all placements), which follows a runner who wanders across the belt and is only
outvoted, not fooled, by occasional crossover steps; (2) gait line — the centre of
pressure of a running foot travels from the heel along the lateral midfoot and ends
medially, over the first metatarsal head and hallux, at push-off; so its mediolateral
shift from mid to late stance (``Contacts.medial_shift``) points toward +x (the runner's
right) for a left foot and toward -x for a right foot, wherever the foot is placed.
Each cue gives a score in [-1, 1] (mean agreement of its sign with "even contacts are
left"). The gait line is intrinsic to the foot, while position fails systematically for
a runner who crosses the midline on most steps (the narrow gait that matters for ITB
syndrome), so a gait-line score of at least ``line_decisive`` decides alone; otherwise
(no pressure matrix, or an unclear gait line) the parity follows the sum of the two.
A bout whose cues disagree, both beyond ``conflict_level``, is flagged. The
pressure-weighted footprint axis (``toe_angle_deg``) is not a cue: hallux loading tilts
it medially, so it does not show toe-out reliably.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import ndimage

from gaitlab.analysis.params import ForceParams, GaitParams, PressureParams, SideParams
from gaitlab.analysis.pressure import Contacts

LEFT, RIGHT, UNKNOWN = 0, 1, -1


@dataclass
class SidedContacts:
    contacts: Contacts
    side: np.ndarray  # LEFT / RIGHT / UNKNOWN
    bout: np.ndarray  # bout id, -1 = not in a running bout
    bouts: list[dict[str, Any]] = field(default_factory=list)  # per-bout cue scores and flags
    left_out: np.ndarray | None = None  # per contact: why it is not used ("" = used), LEFT_OUT


#: why a contact is not used: code (stored per contact) → text (printed)
LEFT_OUT = {
    "partial_start": "partial at the start of the recording (no initial contact in the data)",
    "partial_end": "partial at the end of the recording (no toe-off in the data)",
    "no_toe_off": "no toe-off event before the next initial contact of that foot",
    "stance_below_range": "stance shorter than the gait mode's range",
    "stance_above_range": "stance longer than the gait mode's range",
    "bout_break": "in a bout shorter than min_bout_steps (broken by a pause, a missed step "
                  "or an out-of-range contact)",
}


def running_mask(c: Contacts, p: PressureParams) -> np.ndarray:
    """Contacts that are complete and last like a running stance."""
    dur = (c.to - c.ic) * 1000
    return np.isfinite(dur) & (dur >= p.min_contact_ms) & (dur <= p.max_contact_ms)


def split_bouts(ic: np.ndarray, ok: np.ndarray, p: SideParams) -> np.ndarray:
    """Bout id per contact (-1 outside bouts). A bout is a run of ``ok`` contacts whose
    step intervals stay below ``bout_gap_factor`` × the median step interval."""
    n = ic.size
    bout = np.full(n, -1)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return bout
    d = np.diff(ic[idx])
    med = np.median(d)
    # a non-running contact between two running ones also breaks the bout
    brk = (d > p.bout_gap_factor * med) | (d <= 0) | (np.diff(idx) > 1)
    ids = np.r_[0, np.cumsum(brk)]
    sizes = np.bincount(ids)
    good = sizes[ids] >= p.min_bout_steps
    _, ids = np.unique(np.where(good, ids, -1), return_inverse=True)
    ids = ids - (0 if good.all() else 1)
    bout[idx] = np.where(good, ids, -1)
    return bout


def assign_sides(x: np.ndarray, medial_shift: np.ndarray, bout: np.ndarray,
                 p: SideParams) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Side per contact by alternation within each bout, parity chosen by the cues.

    ``x``: placement (m, + toward the runner's right); ``medial_shift``: late- minus
    mid-stance COP x (m; > 0 for a left foot, < 0 for a right one). Either may be NaN.
    """
    side = np.full(x.size, UNKNOWN)
    info: list[dict[str, Any]] = []
    for b in range(int(bout.max()) + 1 if bout.size else 0):
        idx = np.flatnonzero(bout == b)
        s = np.where(np.arange(idx.size) % 2 == 0, -1.0, 1.0)  # hypothesis: even contacts are left
        xb = x[idx]
        pos_score = line_score = 0.0
        if np.isfinite(xb).all():
            w = min(p.midline_window, idx.size) | 1
            mid = ndimage.median_filter(xb, size=w, mode="nearest")
            pos_score = float(np.mean(s * np.sign(xb - mid)))
        shift = medial_shift[idx]
        if np.isfinite(shift).any():
            line_score = float(np.nanmean(-s * np.sign(shift)))  # left foot: shift > 0
        total = line_score if abs(line_score) >= p.line_decisive else pos_score + line_score
        even_left = total >= 0
        side[idx] = np.where((np.arange(idx.size) % 2 == 0) == even_left, LEFT, RIGHT)
        conflict = (pos_score * line_score < 0
                    and min(abs(pos_score), abs(line_score)) > p.conflict_level)
        info.append({"bout": b, "n": int(idx.size), "position_score": round(pos_score, 3),
                     "gait_line_score": round(line_score, 3),
                     "first_side": "L" if even_left else "R", "cues_conflict": bool(conflict),
                     "undecided": bool(total == 0)})
    return side, info


def side_contacts(c: Contacts, pp: PressureParams, sp: SideParams) -> SidedContacts:
    ok = running_mask(c, pp)
    bout = split_bouts(c.ic, ok, sp)
    side, info = assign_sides(c.x, c.medial_shift, bout, sp)
    sc = SidedContacts(c, side, bout, info)
    sc.left_out = left_out_reasons(sc, pp)
    return sc


def left_out_reasons(sc: SidedContacts, pp: PressureParams) -> np.ndarray:
    """Per contact, the :data:`LEFT_OUT` code of why it is not used, "" when it is (in a
    bout, with a side). The first reason that applies, in the order of the table: a contact
    without IC is partial at the start; one without TO is partial at the end when it is
    its foot's last (any foot's last when the side is unknown), else it lacks its toe-off
    event; then its stance against the mode's range; then its bout."""
    c, side = sc.contacts, sc.side
    n = len(c)
    out = np.full(n, "", dtype=object)
    dur = (c.to - c.ic) * 1000
    last = np.zeros(n, dtype=bool)  # contacts are in time order
    for code in (LEFT, RIGHT, UNKNOWN):
        idx = np.flatnonzero(side == code)
        if idx.size:
            last[idx[-1]] = True
    if n:
        last[n - 1] = True
    with np.errstate(invalid="ignore"):
        short = dur < pp.min_contact_ms
        long = dur > pp.max_contact_ms
    unused = ~((sc.bout >= 0) & (side != UNKNOWN))
    for i in np.flatnonzero(unused):
        if not np.isfinite(c.ic[i]):
            out[i] = "partial_start"
        elif not np.isfinite(c.to[i]):
            out[i] = "partial_end" if last[i] else "no_toe_off"
        elif short[i]:
            out[i] = "stance_below_range"
        elif long[i]:
            out[i] = "stance_above_range"
        else:
            out[i] = "bout_break"
    return out


def contact_accounting(sc: SidedContacts | None) -> dict[str, Any]:
    """The ``gait.contacts`` block of the contract: contacts found (all, and per side where
    the side is known), used (in bouts, with a side), and left out per :data:`LEFT_OUT`
    reason. Every value null without contacts (no gait source)."""
    if sc is None:
        return {"found": {"total": None, "L": None, "R": None, "unknown": None},
                "used": {"total": None, "L": None, "R": None},
                "left_out": dict.fromkeys(LEFT_OUT)}
    why = sc.left_out if sc.left_out is not None else np.full(len(sc.contacts), "", dtype=object)
    used = why == ""
    return {
        "found": {"total": int(why.size), "L": int(np.sum(sc.side == LEFT)),
                  "R": int(np.sum(sc.side == RIGHT)), "unknown": int(np.sum(sc.side == UNKNOWN))},
        "used": {"total": int(used.sum()), "L": int(np.sum(used & (sc.side == LEFT))),
                 "R": int(np.sum(used & (sc.side == RIGHT)))},
        "left_out": {code: int(np.sum(why == code)) for code in LEFT_OUT},
    }


MODES = ("auto", "running", "walking")


def detect_mode(c: Contacts, side: np.ndarray | None, gp: GaitParams
                ) -> tuple[str | None, dict[str, Any]]:
    """Walking or running from the complete contacts: walking has double support (a
    contact starts before the previous one, of the other foot, ends), running has a flight
    between them. With the feet known (``side``; gait events) only pairs of different feet
    count; without (pressure, force) consecutive contacts are taken as the two feet. When
    no pair can be judged (one foot's events, one foot on a plate), or overlaps are rare,
    a median stance of at least ``walking_stance_ms`` still means walking. None with fewer
    than 3 complete contacts. Also returns the cues (fraction with double support, median
    stance ms, pairs judged)."""
    ok = np.isfinite(c.ic) & np.isfinite(c.to)
    idx = np.flatnonzero(ok)
    stance = (c.to - c.ic)[idx] * 1000
    cues: dict[str, Any] = {"double_support_frac": None, "median_stance_ms": None, "pairs": 0}
    if idx.size < 3:
        return None, cues
    pair = np.ones(idx.size - 1, dtype=bool)
    if side is not None:
        pair = (side[idx[1:]] != side[idx[:-1]]) & (side[idx[1:]] != UNKNOWN)
    overlap = c.ic[idx[1:]] < c.to[idx[:-1]]
    cues["pairs"] = int(pair.sum())
    cues["median_stance_ms"] = round(float(np.median(stance)), 1)
    frac = float(np.mean(overlap[pair])) if pair.any() else 0.0
    cues["double_support_frac"] = round(frac, 3) if pair.any() else None
    walking = (pair.any() and frac >= gp.double_support_frac) or \
        float(np.median(stance)) >= gp.walking_stance_ms
    return ("walking" if walking else "running"), cues


def mode_ranges(mode: str | None, pp: PressureParams, gp: GaitParams) -> PressureParams:
    """The contact parameters with the stance range of ``mode`` (running: as given)."""
    if mode != "walking":
        return pp
    return replace(pp, min_contact_ms=gp.walking_min_contact_ms,
                   max_contact_ms=gp.walking_max_contact_ms)


def contacts_from_events(times: np.ndarray, labels: np.ndarray, max_contact_s: float = np.inf
                         ) -> tuple[Contacts, np.ndarray]:
    """Contacts and sides from "IC L"/"TO L"/"IC R"/"TO R" markers (foot switches etc.).

    Each IC is paired with the first same-side TO after it and before the next same-side
    IC (and at most ``max_contact_s`` after it); unpaired ICs get TO = NaN. A TO before a
    side's first IC is a contact cut by the start of the recording (IC = NaN), so that it
    is counted. Placement is unknown (NaN). The stance's range is judged later, by the
    gait mode (:func:`running_mask`), so that a too-long stance is reported as such.
    """
    times = np.asarray(times, dtype=np.float64)
    lab = np.char.upper(np.char.strip(np.asarray(labels, dtype=str)))
    ics, tos, sides = [], [], []
    for s_code, s_name in ((LEFT, "L"), (RIGHT, "R")):
        ic = np.sort(times[lab == f"IC {s_name}"])
        to = np.sort(times[lab == f"TO {s_name}"])
        j = np.searchsorted(to, ic, side="right")
        cand = to[np.minimum(j, max(to.size - 1, 0))] if to.size else np.full(ic.size, np.nan)
        nxt = np.r_[ic[1:], np.inf]
        good = (j < to.size) & (cand < nxt) & (cand - ic <= max_contact_s)
        lead = to[to < (ic[0] if ic.size else np.inf)][:1]  # cut by the start: first TO only
        ics.append(np.r_[np.full(lead.size, np.nan), ic])
        tos.append(np.r_[lead, np.where(good, cand, np.nan)])
        sides.append(np.full(lead.size + ic.size, s_code))
    ic, to, side = np.concatenate(ics), np.concatenate(tos), np.concatenate(sides)
    o = np.argsort(np.where(np.isfinite(ic), ic, to), kind="stable")
    nan = np.full(ic.size, np.nan)
    c = Contacts(ic[o], to[o], nan, nan, nan, np.full(ic.size, -1), np.full(ic.size, -1), nan)
    return c, side[o]


def contacts_from_force(t: np.ndarray, fz: np.ndarray, copx: np.ndarray | None,
                        p: ForceParams | None = None) -> Contacts:
    """Contacts from an instrumented treadmill's vertical force (running: one foot at a time).

    IC/TO are the threshold crossings of Fz, linearly interpolated between samples; a dip
    under the threshold that lasts less than ``min_gap_ms`` (from the TO crossing to the
    next IC crossing) is noise on a loaded plate, not a flight, so the runs on either side
    of it are one contact (IC of the first, TO of the last). Placement is the Fz-weighted
    mean COPx over the stance's samples at or above the threshold.
    """
    p = p or ForceParams()
    t = np.asarray(t, dtype=np.float64)
    fz = np.nan_to_num(np.asarray(fz, dtype=np.float64), nan=0.0)
    on = fz >= p.threshold_N
    d = np.diff(on.astype(np.int8))
    starts = np.flatnonzero(d == 1) + 1
    ends = np.flatnonzero(d == -1)
    if on.size and on[0]:
        starts = np.r_[0, starts]
    if on.size and on[-1]:
        ends = np.r_[ends, on.size - 1]
    if starts.size == 0:
        return Contacts.empty()

    def cross(i_out: np.ndarray, i_in: np.ndarray) -> np.ndarray:
        valid = (i_out >= 0) & (i_out < t.size)
        io = np.clip(i_out, 0, t.size - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (p.threshold_N - fz[io]) / (fz[i_in] - fz[io])
        return np.where(valid, t[io] + np.clip(frac, 0, 1) * (t[i_in] - t[io]), np.nan)

    ic, to = cross(starts - 1, starts), cross(ends + 1, ends)
    with np.errstate(invalid="ignore"):
        chatter = (ic[1:] - to[:-1]) * 1000 < p.min_gap_ms  # NaN (cut by an end): kept apart
    if chatter.any():
        keep_start = np.r_[True, ~chatter]
        keep_end = np.r_[~chatter, True]
        starts, ic = starts[keep_start], ic[keep_start]
        ends, to = ends[keep_end], to[keep_end]
    x = np.full(starts.size, np.nan)
    if copx is not None:
        cx = np.asarray(copx, dtype=np.float64)
        w = np.where(on & np.isfinite(cx), fz, 0.0)
        edges = np.r_[starts, ends + 1].reshape(2, -1).T.ravel()
        sw = np.add.reduceat(w, edges)[::2]
        swx = np.add.reduceat(w * np.nan_to_num(cx), edges)[::2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(sw > 0, swx / sw, np.nan)
    nan = np.full(starts.size, np.nan)
    return Contacts(ic, to, x, nan, nan, starts, ends, np.full(ic.size, np.nan))


def _num(v: float | np.floating | None, nd: int = 3) -> float | None:
    if v is None or not np.isfinite(v):
        return None
    return round(float(v), nd)


def gait_metrics(sc: SidedContacts, leg_length_m: float | None, source: str,
                 mode: str | None = None) -> dict[str, Any]:
    """The ``gait`` block of the metrics contract from sided contacts in bouts."""
    c, side, bout = sc.contacts, sc.side, sc.bout
    inb = (bout >= 0) & (side != UNKNOWN)
    out: dict[str, Any] = {"source": source, "mode": mode, "n_steps": int(inb.sum()),
                           "cadence_spm": None,
                           "step_width_cm": {"mean": None, "sd": None}, "crossover_pct": None,
                           "step_width_index_pct": None, "contact_time_ms": {"L": None, "R": None},
                           "foot_progression_deg": {"L": None, "R": None},
                           "cadence_estimated": None, "contacts": contact_accounting(sc)}
    if not inb.any():
        return out
    bi = bout[inb]
    ic = c.ic[inb]
    first = np.r_[True, bi[1:] != bi[:-1]]
    last = np.r_[bi[1:] != bi[:-1], True]
    n_int = int(inb.sum() - first.sum())
    dur = float(np.sum(ic[last] - ic[first]))
    sd = side[inb]
    one_foot = np.unique(sd).size == 1  # e.g. one foot switch: intervals are strides
    if n_int > 0 and dur > 0:
        out["cadence_spm"] = _num((2.0 if one_foot else 1.0) * 60.0 * n_int / dur, 2)
        out["cadence_estimated"] = one_foot
    w = step_widths(sc)[inb] * 100
    w = w[np.isfinite(w)]
    if w.size:
        out["step_width_cm"] = {"mean": _num(w.mean()),
                                "sd": _num(w.std(ddof=1)) if w.size > 1 else None}
        out["crossover_pct"] = _num(100.0 * np.mean(w <= 0), 2)
        if leg_length_m:
            out["step_width_index_pct"] = _num(w.mean() / (leg_length_m * 100) * 100)
    ct = (c.to - c.ic)[inb] * 1000
    for code, name in ((LEFT, "L"), (RIGHT, "R")):
        v = ct[(sd == code) & np.isfinite(ct)]
        out["contact_time_ms"][name] = _num(v.mean(), 2) if v.size else None
    fpa = foot_progression(sc)[inb]
    for code, name in ((LEFT, "L"), (RIGHT, "R")):
        v = fpa[(sd == code) & np.isfinite(fpa)]
        out["foot_progression_deg"][name] = _num(v.mean(), 2) if v.size else None
    return out


def step_widths(sc: SidedContacts) -> np.ndarray:
    """Signed step width (m) of the step each contact ends, per contact: x(right) − x(left)
    of it and the contact before it in the same running bout (≤ 0 = a crossover step).
    NaN for a bout's first contact, outside running bouts and without placements."""
    c, side, bout = sc.contacts, sc.side, sc.bout
    inb = np.flatnonzero((bout >= 0) & (side != UNKNOWN))
    out = np.full(len(c), np.nan)
    if inb.size < 2:
        return out
    x, sd, bi = c.x[inb], side[inb], bout[inb]
    w = np.where(sd[:-1] == RIGHT, x[:-1] - x[1:], x[1:] - x[:-1])
    out[inb[1:]] = np.where(bi[1:] == bi[:-1], w, np.nan)
    return out


def foot_progression(sc: SidedContacts) -> np.ndarray:
    """Foot progression angle (degrees, toe-out + on either side) per contact: the right
    foot's footprint axis as is, the left foot's mirrored; NaN for an unknown side."""
    sign = np.where(sc.side == RIGHT, 1.0, np.where(sc.side == LEFT, -1.0, np.nan))
    return sign * sc.contacts.axis_deg


def contact_table(sc: SidedContacts) -> dict[str, np.ndarray]:
    """Every contact as table columns (one row per contact, time order), for the session
    file's ``/analysis/contacts``: times, side, whether it is used and if not why (a
    :data:`LEFT_OUT` code), bout, placement, the width of the step it ends, contact time,
    foot progression angle (toe-out +) and the gait line."""
    c = sc.contacts
    why = sc.left_out if sc.left_out is not None else np.full(len(c), "", dtype=object)
    return {
        "ic_s": c.ic, "to_s": c.to, "side": sc.side.astype(np.int8),
        "used": (why == "").astype(np.int8), "left_out": np.asarray(why, dtype=object),
        "bout": sc.bout.astype(np.int32), "x_m": c.x, "step_width_cm": step_widths(sc) * 100,
        "contact_time_ms": (c.to - c.ic) * 1000, "foot_progression_deg": foot_progression(sc),
        "gait_line_x_m": c.gait_line_x, "gait_line_y_m": c.gait_line_y,
    }


def temporal_metrics(sc: SidedContacts, belt_speed_mps: float | None) -> dict[str, Any]:
    """Step, stride and flight times and step length per side (outside the contract).

    A step of side X ends at X's initial contact. Within a running bout, with contacts in
    time order: step time = IC(X) − IC(previous contact, when it is contralateral; none
    with one foot's events only); stride time = IC(X) − IC(previous X); flight time =
    IC(X) − TO(previous contralateral contact) (negative would mean double support);
    step length = belt speed × step time (the belt carries the stance foot backward, so on
    a treadmill this is the distance the body travels relative to the belt). Means over
    steps, in ms and m; None when not computable.
    """
    c, side, bout = sc.contacts, sc.side, sc.bout
    inb = (bout >= 0) & (side != UNKNOWN)
    ic, to, sd, bi = c.ic[inb], c.to[inb], side[inb], bout[inb]
    step_pair = (bi[1:] == bi[:-1]) & (sd[1:] != sd[:-1])  # a step ends at the other foot's IC
    step = np.where(step_pair, ic[1:] - ic[:-1], np.nan)
    flight = np.where(step_pair, ic[1:] - to[:-1], np.nan)
    stride = np.full(ic.size, np.nan)  # IC − the same foot's previous IC in the bout
    for code in (LEFT, RIGHT):
        k = np.flatnonzero(sd == code)
        if k.size > 1:
            stride[k[1:]] = np.where(bi[k[1:]] == bi[k[:-1]], ic[k[1:]] - ic[k[:-1]], np.nan)
    out: dict[str, Any] = {"belt_speed_mps": _num(belt_speed_mps) if belt_speed_mps else None}
    for key, arr, scale in (("step_time_ms", step, 1000.0), ("flight_time_ms", flight, 1000.0),
                            ("stride_time_ms", stride[1:], 1000.0)):
        out[key] = {}
        for code, name in ((LEFT, "L"), (RIGHT, "R")):
            v = arr[(sd[1:] == code) & np.isfinite(arr)]
            out[key][name] = _num(v.mean() * scale, 1) if v.size else None
    out["step_length_m"] = {
        name: (_num(out["step_time_ms"][name] / 1000 * belt_speed_mps)
               if belt_speed_mps and out["step_time_ms"][name] is not None else None)
        for name in ("L", "R")}
    return out
