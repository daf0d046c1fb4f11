"""Session file → metrics contract (``gaitlab.metrics/2``: every ``/1`` key plus ``pelvis``).

This is the only module of the analysis that touches the session file; everything it
calls is a pure function over arrays and sampling rates.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.analysis import cycles as C
from gaitlab.analysis import emg as E
from gaitlab.analysis import gait as G
from gaitlab.analysis import onsets as O
from gaitlab.analysis import strength as S
from gaitlab.analysis.params import AnalysisParams, EmgParams, PressureParams
from gaitlab.analysis.pelvis.from_session import pelvis_from_imu, pelvis_from_markers
from gaitlab.analysis.pelvis.imu import FUSION_METHODS
from gaitlab.analysis.pelvis.stance import empty_pelvis_metrics
from gaitlab.analysis.pressure import Contacts, Frames, contacts_from_blocks, unloaded_frame
from gaitlab.errors import GaitlabError, StreamFormatError
from gaitlab.io.session import RecordedStream, Session, open_session
from gaitlab.memory import reuse_freed_memory
from gaitlab.procs import guard_child, parent_token

METRICS_SCHEMA = "gaitlab.metrics/2"
SIDE_CODE = {"L": G.LEFT, "R": G.RIGHT}


@dataclass
class AnalysisResult:
    metrics: dict[str, Any]
    parameters: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)  # metric path → why it is null
    warnings: list[str] = field(default_factory=list)
    contacts: G.SidedContacts | None = None
    emg_cycles: dict[str, dict[str, Any]] = field(default_factory=dict)  # per muscle
    trials: list[S.Trial] = field(default_factory=list)
    auto_trials: list[S.Trial] = field(default_factory=list)  # found without markers
    ensembles: dict[str, C.Ensemble] = field(default_factory=dict)  # per muscle, gait cycle
    extras: dict[str, Any] = field(default_factory=dict)  # outputs outside the contract
    mvc_windows: dict[tuple[str, float], tuple[float, float]] = field(default_factory=dict)
    pelvis_cycles: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # side → ic_s, curves
    stored: bool = False
    store_error: str = ""


def empty_metrics() -> dict[str, Any]:
    return {
        "schema": METRICS_SCHEMA,
        "gait": {"source": None, "mode": None, "n_steps": None, "cadence_spm": None,
                 "step_width_cm": {"mean": None, "sd": None}, "crossover_pct": None,
                 "step_width_index_pct": None, "contact_time_ms": {"L": None, "R": None},
                 "foot_progression_deg": {"L": None, "R": None},
                 "cadence_estimated": None, "contacts": G.contact_accounting(None)},
        "emg": {},
        "strength": {"hip_abduction": {
            s: {"peak_force_N": None, "trials_N": [], "torque_Nm_per_kg": None, "cv_pct": None}
            for s in ("L", "R")} | {"lsi_pct": None}},
        "pelvis": empty_pelvis_metrics(),
    }


def _num(v: Any, nd: int = 2) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def _checked(st: RecordedStream) -> int:
    """Number of usable samples; a one-line error when data and metadata disagree."""
    if st.layout == "sparse":
        return st.n_samples  # checks the sparse datasets (one-line error if damaged)
    ds = st.dataset
    if not st.spec.is_string and (ds.ndim != 2 or ds.shape[1] != st.spec.channel_count):
        raise StreamFormatError(
            f"stream '{st.spec.name}': data has shape {ds.shape} but channel_count is "
            f"{st.spec.channel_count}; the file is damaged or not written to the schema")
    return min(int(ds.shape[0]), st.n_samples)


def _rate(st: RecordedStream, t: np.ndarray) -> float:
    if st.spec.nominal_srate > 0:
        return float(st.spec.nominal_srate)
    d = np.diff(t)
    d = d[np.isfinite(d) & (d > 0)]
    if d.size == 0:
        raise StreamFormatError(f"stream '{st.spec.name}': cannot tell its sampling rate")
    return float(1 / np.median(d))


def _markers(s: Session) -> tuple[np.ndarray, np.ndarray]:
    ts, ls = [], []
    for st in s.by_role("markers"):
        n = _checked(st)
        data = st.read(0, n)
        lab = np.asarray(data, dtype=object).reshape(n, -1)[:, 0] if n else np.empty(0, object)
        ts.append(st.times()[:n])
        ls.append(np.array([str(v) for v in lab], dtype=str) if n else np.empty(0, str))
    if not ts:
        return np.empty(0), np.empty(0, str)
    t, lab = np.concatenate(ts), np.concatenate(ls)
    o = np.argsort(t, kind="stable")
    return t[o], lab[o]


def _emg_workers(n_channels: int) -> int:
    """Threads for the per-channel EMG work: one per core (at most one per channel)."""
    return max(1, min(n_channels, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))


MIN_EMG_S = 1.0  # shorter EMG streams cannot be band-passed forward and backward
PARALLEL_MIN_S = 120.0  # pressure recordings at least this long are shared with a worker process
PIECE_S = 120.0  # … in pieces of about this long, handed out as each side finishes one


def _frame_reader(st: RecordedStream) -> Callable[[int, int], Frames]:
    """Frames [a, b) of a pressure stream as (b - a, rows, cols), in N/cm^2: the stored
    points of a sparse stream (schema 2), dense frames otherwise. The SI scale is looked
    up once (per call it costs as much as a small block's read)."""
    geo = st.spec.geometry
    assert geo is not None  # parse_info_xml guarantees it for pressure streams
    if st.layout == "sparse":
        return st.read_sparse
    scale = np.asarray(st.spec.si_scale(), dtype=np.float64)
    ds = st.dataset

    def read(a: int, b: int) -> np.ndarray:
        x = ds[a:b]
        if np.any(scale != 1.0):
            x = x * scale.astype(x.dtype if x.dtype.kind == "f" else np.float64)
        return x.reshape(b - a, geo.rows, geo.cols)

    return read


_WORKER_STREAMS: dict[tuple[str, str], tuple[Session, RecordedStream, np.ndarray]] = {}


def _pressure_part(path: str, stream: str, start: int, stop: int, p: AnalysisParams
                   ) -> Contacts:
    """Contacts of frames [start, stop) of the pressure stream ``stream`` (its key; worker
    side: the worker keeps the file open for its next pieces and closes it when it exits)."""
    key = (path, stream)
    if key not in _WORKER_STREAMS:
        s = open_session(path)
        st = s.streams[stream]
        _WORKER_STREAMS[key] = (s, st, st.times()[: _checked(st)])
    _, st, t = _WORKER_STREAMS[key]
    geo = st.spec.geometry
    assert geo is not None
    with reuse_freed_memory():
        return contacts_from_blocks(_frame_reader(st), t, geo.row_pitch_m, geo.col_pitch_m,
                                    p.pressure, start=start, stop=stop)


def _pressure_contacts(path: Path, st: RecordedStream, t: np.ndarray,
                       p: AnalysisParams) -> Contacts:
    """Contacts of a pressure stream. A long recording is cut at unloaded frames into
    pieces of about ``PIECE_S``; this process segments them from the front while a worker
    process takes them from the back (two queued at a time), each side starting another
    piece when it finishes one, so the two end within about a piece of each other whatever
    else this process is doing (it reads the EMG meanwhile). The contacts are the same as
    in one pass: no contact spans an unloaded frame. Without such frames it is one pass
    here. The worker comes from a fork server (or is spawned), never forked from this
    process, which may run threads (the GUI, LSL inlets) whose locks a fork would copy
    mid-use; it reopens the file by path."""
    geo = st.spec.geometry
    assert geo is not None
    read = _frame_reader(st)
    n = t.size
    dur = float(t[-1] - t[0]) if n > 1 else 0.0

    def here(a: int, b: int) -> Contacts:
        return contacts_from_blocks(read, t, geo.row_pitch_m, geo.col_pitch_m, p.pressure,
                                    start=a, stop=b)

    pieces = _pieces(read, n, dur, p) if dur >= PARALLEL_MIN_S and (os.cpu_count() or 1) > 1 \
        else []
    if len(pieces) < 2:
        return here(0, n)
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    done: dict[int, Contacts] = {}
    queued: deque[tuple[int, Future[Contacts]]] = deque()
    lo, hi = 0, len(pieces) - 1
    broken = False
    with worker_pool(method) as ex:
        while lo <= hi or queued:
            if lo > hi and len(queued) == 2 and queued[1][1].cancel():  # not started: do it here
                i, _ = queued.pop()
                done[i] = here(*pieces[i])
            while queued and (queued[0][1].done() or lo > hi):
                i, fut = queued.popleft()
                try:
                    done[i] = fut.result()
                except BrokenProcessPool:  # the worker died (e.g. out of memory): do it here
                    broken = True
                    done[i] = here(*pieces[i])
            while not broken and len(queued) < 2 and lo <= hi:
                queued.append((hi, ex.submit(_pressure_part, str(path), st.key, *pieces[hi], p)))
                hi -= 1
            if lo <= hi:
                done[lo] = here(*pieces[lo])
                lo += 1
    return Contacts.concat([done[i] for i in range(len(pieces))])


def worker_pool(method: str) -> ProcessPoolExecutor:
    """One analysis worker process, started with ``method``; it dies with this process
    (gaitlab.procs: a fork server's child gets the parent-death signal from the server, which
    itself exits when this process goes, and watches this process's pipe)."""
    return ProcessPoolExecutor(1, mp_context=mp.get_context(method), initializer=guard_child,
                               initargs=(parent_token(direct=method != "forkserver"),))


def _pieces(read: Callable[[int, int], Frames], n: int, dur: float, p: AnalysisParams
            ) -> list[tuple[int, int]]:
    """Frame ranges [a, b) that segment independently: cut at the first unloaded frame
    after every ~``PIECE_S``; each piece but the last keeps its cut frame (the sub-frame
    IC and TO look one frame outside a contact)."""
    k = max(2, round(dur / PIECE_S))
    cuts: list[int] = []
    for j in range(1, k):
        c = unloaded_frame(read, max(j * n // k, cuts[-1] + 1 if cuts else 1), n,
                           p.pressure.threshold_ncm2)
        if c is None:
            break
        if c < n - 1:
            cuts.append(c)
    edges = [0, *cuts]
    return [(a, b + 1) for a, b in itertools.pairwise(edges)] + [(edges[-1], n)]


def _gait(s: Session, p: AnalysisParams, mt: np.ndarray, ml: np.ndarray,
          res: AnalysisResult) -> G.SidedContacts | None:
    pres = s.by_role("pressure")
    force = s.by_role("force_treadmill")
    events = np.isin(np.char.upper(np.char.strip(ml)), ["IC L", "IC R", "TO L", "TO R"])
    belt = _belt_speed(s)
    if pres:
        st = pres[0]
        t = st.times()[:_checked(st)]
        p = dataclasses.replace(p, pressure=dataclasses.replace(p.pressure, belt_speed_mps=belt))
        c = _pressure_contacts(s.path, st, t, p)
        mode, pp = _mode(c, None, p, res)
        sc = G.side_contacts(c, pp, p.sides)
        src = "pressure"
    elif force:
        st = force[0]
        n = _checked(st)
        t = st.times()[:n]
        x = st.read(0, n).astype(np.float64)
        lab = st.spec.labels
        if "Fz" in lab:
            fz = x[:, lab.index("Fz")]
            cop = x[:, lab.index("COPx")] if "COPx" in lab else None
        else:
            fl, fr = x[:, lab.index("Fz_L")], x[:, lab.index("Fz_R")]
            fz = np.nan_to_num(fl) + np.nan_to_num(fr)
            cop = None
            if {"COPx_L", "COPx_R"} <= set(lab):
                cl = np.nan_to_num(x[:, lab.index("COPx_L")])
                cr = np.nan_to_num(x[:, lab.index("COPx_R")])
                with np.errstate(divide="ignore", invalid="ignore"):
                    cop = (np.nan_to_num(fl) * cl + np.nan_to_num(fr) * cr) / fz
        c = G.contacts_from_force(t, fz, cop, p.force)
        mode, pp = _mode(c, None, p, res)
        if mode == "walking" and res.extras["gait_mode"]["detected"] == "walking" and "Fz" in lab:
            seen = ("its contacts do not overlap, so it sees one foot only and L/R are "
                    "alternation labels, not sides" if not res.extras["gait_mode"]["double_support_frac"]
                    else "both feet's contacts merge in double support")
            res.warnings.append(
                f"walking on a single-belt force treadmill (one Fz): the feet cannot be told "
                f"apart ({seen}); use a split belt, a pressure treadmill or foot switches")
        sc = G.side_contacts(c, pp, p.sides)
        src = "force"
    elif events.any():
        c, side = G.contacts_from_events(mt[events], ml[events])
        mode, pp = _mode(c, side, p, res)
        ok = G.running_mask(c, pp)
        bout = G.split_bouts(c.ic, ok, p.sides)
        sc = G.SidedContacts(c, side, bout)  # the events name the foot, in a bout or not
        sc.left_out = G.left_out_reasons(sc, pp)
        src = "events"
        res.notes["gait.step_width_cm"] = "gait events carry no foot placement"
    else:
        res.notes["gait"] = "no pressure, force-treadmill or gait-event (IC/TO marker) stream"
        return None
    for b in sc.bouts:
        if b["cues_conflict"]:
            res.warnings.append(
                f"{mode} bout {b['bout']} ({b['n']} steps): left/right cues disagree "
                f"(position {b['position_score']:+.2f}, gait line {b['gait_line_score']:+.2f})")
    leg = s.athlete.get("leg_length_m")
    res.metrics["gait"] = G.gait_metrics(sc, float(leg) if leg else None, src, mode)
    if src == "events":
        _one_foot_notes(sc, res)
    acc = res.metrics["gait"]["contacts"]
    why = ", ".join(f"{n} {code}" for code, n in acc["left_out"].items() if n)
    if res.metrics["gait"]["n_steps"] == 0:
        res.notes["gait"] = (f"{src}: no {mode} bout found ({len(c)} contacts: "
                             f"{why or 'none'})")
    res.extras["gait_left_out"] = _left_out_list(sc, float(s.attrs.get("start_lsl_time", 0.0) or 0.0))
    if not leg:
        res.notes["gait.step_width_index_pct"] = "no leg_length_m in the session's athlete"
    res.extras["gait_temporal"] = G.temporal_metrics(sc, belt)
    return sc


def _pelvis(s: Session, p: AnalysisParams, sc: G.SidedContacts | None, mt: np.ndarray, ml: np.ndarray,
            res: AnalysisResult) -> None:
    """The ``pelvis`` block from pelvis markers, else a sacral IMU (docs/metrics.md, "Pelvis");
    a failure of this block alone is a note, not a failed analysis."""
    # every MoCap/IMU stream of the lab's choice is a candidate (the pelvis is found by its
    # channels: shank IMUs beside a sacral one are no rivals); two that both carry a pelvis are
    # never chosen between
    streams = [st for st in s.candidates("imu") if st.n_samples > 0]
    if not streams:
        res.notes["pelvis"] = "no pelvis sensor: no MoCap/IMU stream (pelvis markers or a sacral IMU)"
        return
    contacts = None
    if sc is not None:
        c, run = sc.contacts, sc.bout >= 0
        contacts = {k: (c.ic[run & (sc.side == code)], c.to[run & (sc.side == code)])
                    for k, code in SIDE_CODE.items()}
    inputs = []  # each stream's times and reader, read once for both sources
    for st in streams:
        n = _checked(st)
        t = st.times()[:n]
        labels, units = st.spec.labels, [ch.unit for ch in st.spec.channels]
        def read(cols: list[int], st: RecordedStream = st, n: int = n) -> np.ndarray:
            # only the pelvis channels, in the stream's own units (the pelvis code converts)
            return st.read_channels(cols, 0, n, si=False).T

        inputs.append((st, (labels, units, t, read, _rate(st, t), contacts, mt, ml, st.spec.name)))
    why = []
    for source in ("markers", "imu"):
        found: list[tuple[RecordedStream, Any]] = []
        for st, args in inputs:
            try:
                pr = (pelvis_from_markers(*args, lab_up=p.pelvis.lab_up) if source == "markers"
                      else pelvis_from_imu(*args, fusion=p.pelvis.fusion))
            except (ValueError, np.linalg.LinAlgError) as exc:
                why.append(f"stream '{st.spec.name}' ({source}): cannot compute "
                           f"({(str(exc).splitlines() or [''])[0]})")
                continue
            if pr.metrics["source"] is None:
                why.append(pr.notes.get("pelvis", ""))
                continue
            found.append((st, pr))
        if len(found) > 1:
            listed = "; ".join(f"{st.key} ('{st.spec.name}' on host {st.spec.hostname or '?'})"
                               for st, _ in found)
            res.notes["pelvis"] = (f"{len(found)} streams carry a pelvis ({source}): {listed}; pick one "
                                   f"with 'gaitlab analyze --device imu={found[0][0].key}'")
            return
        if found:
            pr = found[0][1]
            res.metrics["pelvis"] = pr.metrics
            res.notes.update(pr.notes)
            res.extras["pelvis"] = pr.extras
            res.pelvis_cycles = pr.cycles
            return
    res.notes["pelvis"] = "; ".join(w for w in why if w) or "no pelvis sensor"


def _mode(c: Contacts, side: np.ndarray | None, p: AnalysisParams, res: AnalysisResult
          ) -> tuple[str, PressureParams]:
    """The gait mode (forced by ``gait.mode``, else detected from the contacts; running
    when it cannot be told) and the contact parameters with its stance range; recorded in
    ``extras.gait_mode``."""
    want = p.gait.mode
    detected, cues = G.detect_mode(c, side, p.gait)
    mode = detected if want == "auto" else want
    if mode is None:
        mode = "running"
        res.notes["gait.mode"] = "fewer than 3 complete contacts to tell walking from running: running"
    if want != "auto" and detected not in (None, want):
        res.warnings.append(f"gait mode forced to {want}, but the contacts look like {detected} "
                            f"(median stance {cues['median_stance_ms']:g} ms)")
    pp = G.mode_ranges(mode, p.pressure, p.gait)
    res.extras["gait_mode"] = {"mode": mode, "forced": want != "auto", "detected": detected,
                               **cues, "stance_range_ms": [pp.min_contact_ms, pp.max_contact_ms]}
    return mode, pp


def _one_foot_notes(sc: G.SidedContacts, res: AnalysisResult) -> None:
    """Gait events of one foot only (a single foot switch): why the other foot's keys are
    null, and that cadence is estimated from the stride rate."""
    names = {G.LEFT: "L", G.RIGHT: "R"}
    have = sorted({names[int(v)] for v in np.unique(sc.side) if int(v) in names})
    if len(have) != 1:
        return
    (s_have,) = have
    s_not = "R" if s_have == "L" else "L"
    why = f"gait events for the {s_have} foot only (one foot switch): no {s_not} contacts"
    res.extras["gait_event_sides"] = s_have
    res.notes[f"gait.contact_time_ms.{s_not}"] = why
    res.notes[f"gait.foot_progression_deg.{s_not}"] = why
    res.notes[f"gait_temporal.{s_not}"] = why
    res.notes["gait_temporal.step_time_ms"] = ("step and flight times need both feet's "
                                               f"events; {why}")
    res.notes[f"emg.*_{s_not}"] = why
    if res.metrics["gait"].get("cadence_estimated"):
        res.notes["gait.cadence_spm"] = (f"estimated: 2 × the {s_have} stride rate (gait events "
                                         "for one foot only)")


def _left_out_list(sc: G.SidedContacts, t0: float) -> list[dict[str, Any]]:
    """Every contact left out, in time order: its row in ``/analysis/contacts``, IC and TO
    (s since the session's start), stance (ms), side and the :data:`gait.LEFT_OUT` code."""
    c, why = sc.contacts, sc.left_out
    if why is None:
        return []
    return [{"row": int(i), "ic_s": _num(c.ic[i] - t0, 3), "to_s": _num(c.to[i] - t0, 3),
             "stance_ms": _num((c.to[i] - c.ic[i]) * 1000, 1),
             "side": {G.LEFT: "L", G.RIGHT: "R"}.get(int(sc.side[i])), "reason": str(why[i])}
            for i in np.flatnonzero(why != "")]


def _strength_order(s: Session, st: RecordedStream, p: AnalysisParams) -> tuple[str, str]:
    """Sides of marker-less strength trials, in order, and where they come from: the
    analysis parameter, else the session's ``strength_order`` attribute (written at
    recording from the protocol), else the dynamometer stream's ``desc/side``."""
    if p.strength.order:
        return p.strength.order, "the analysis parameters (strength.order)"
    order = str(s.attrs.get("strength_order", "") or "")
    if order:
        return order, "the session's strength_order"
    if st.spec.side:
        return st.spec.side, "the dynamometer stream's desc/side"
    return "", ""


def _belt_speed(s: Session) -> float | None:
    """Treadmill belt speed (m/s): the pressure stream's declared speed, else the median of a
    BeltSpeed stream (mean of its belts), else unknown."""
    for st in s.by_role("pressure"):
        if st.spec.geometry is not None and st.spec.geometry.belt_speed_mps:
            return float(st.spec.geometry.belt_speed_mps)
    for st in s.by_role("belt_speed"):
        n = _checked(st)
        if n:
            v = np.nanmedian(np.nanmean(st.read(0, n), axis=1))
            if np.isfinite(v) and v > 0:
                return float(v)
    return None


@dataclass
class _Conditioned:
    """One EMG channel after the work that needs no contact: band-passed, and reduced to
    what the cycle analysis reads (whole recording, blocks from its first sample)."""

    bp: np.ndarray  # band-passed; float32 (windowed RMS only), float64 for bonato (its detector)
    blocks: np.ndarray  # block means of the timing envelope's input (onsets.method_blocks)
    power: np.ndarray  # mean power per amplitude-envelope block
    bad: np.ndarray  # dropout samples (NaN runs too long to repair)


@dataclass
class _EmgStream:
    """One EMG stream, conditioned before any contact is known."""

    name: str
    muscles: dict[int, tuple[str, str]]
    t: np.ndarray
    fs: float
    channels: dict[int, _Conditioned] = field(default_factory=dict)
    env_t: np.ndarray = field(default_factory=lambda: np.empty(0))  # amplitude-envelope times
    params: dict[str, Any] = field(default_factory=dict)  # rate, mains, notches
    too_short: int | None = None  # samples, when under MIN_EMG_S to filter


def _condition_emg(s: Session, p: AnalysisParams) -> tuple[list[_EmgStream], list[str]]:
    """Every EMG stream with a montage read, repaired, mains-detected and band-passed, channels
    spread over a thread pool (numpy and scipy.signal release the GIL), and the warnings for
    streams without a montage. Nothing here needs the contacts, so it runs beside the pressure
    segmentation; :func:`_emg` does the rest once they are known."""
    ep = p.emg
    out: list[_EmgStream] = []
    warnings: list[str] = []
    for st in s.by_role("emg"):
        # the montage recorded with the stream, overridden label by label by the parameters'
        muscles = st.spec.emg_muscles({**st.montage, **p.montage} or None)
        if not muscles:
            warnings.append(f"EMG stream '{st.spec.name}': no channel maps to MUSCLE_SIDE; "
                            "pass a montage")
            continue
        n = _checked(st)
        t = st.times()[:n]
        fs = _rate(st, t) if n > 1 else 0.0
        if n < MIN_EMG_S * fs or n < 2:
            out.append(_EmgStream(st.spec.name, muscles, t, fs, too_short=n))
            continue
        # channel-major (a column of an (n, 16) array touches every cache line)
        cols = sorted(muscles)
        raw = st.read_channels(cols, 0, n, dtype=np.float32)  # as stored: half the memory
        filled, bads = _fill_channels(raw, cols, fs, ep.max_nan_gap_ms / 1000)
        del raw  # the channels without NaN are rows of it until they are conditioned
        if ep.mains_hz == "auto":
            seg = np.stack([filled[ci][: int(60 * fs)].astype(np.float64) for ci in cols], axis=1)
            mains, notches = E.detect_mains(seg, fs, ep.mains_min_ratio, ep.lowpass_hz)
        elif ep.mains_hz in ("off", None, 0):
            mains, notches = None, []
        else:
            mains = float(ep.mains_hz)
            top = min(ep.lowpass_hz, fs / 2 - 2)
            notches = [mains * k for k in range(1, int(top // mains) + 1)]
        d_a = E.envelope_factor(fs, ep.amplitude_envelope_hz)

        with ThreadPoolExecutor(_emg_workers(len(cols))) as pool:
            # each repaired channel (float32 as stored, or float64) is dropped once conditioned
            futs = [pool.submit(_condition_channel, filled.pop(ci), bads[ci], fs, notches, d_a, ep)
                    for ci in cols]
            chans = {ci: f.result() for ci, f in zip(cols, futs, strict=True)}
        out.append(_EmgStream(st.spec.name, muscles, t, fs, chans, E.block_means(t, d_a),
                              {"fs_hz": fs, "mains_hz": mains, "notch_hz": notches}))
    return out, warnings


def _condition_channel(x: np.ndarray, bad: np.ndarray, fs: float, notches: list[float], d_a: int,
                       ep: EmgParams) -> _Conditioned:
    """Band-pass one channel and reduce it to what the cycle analysis reads."""
    bp = E.bandpass_long(x, fs, ep, notches)
    blocks, _ = O.method_blocks(bp, fs, ep)
    power = E.block_means(bp * bp, d_a)
    keep = bp if ep.onset_method == "bonato" else bp.astype(np.float32)
    return _Conditioned(keep, blocks, power, bad)


def _emg(conditioned: tuple[list[_EmgStream], list[str]], p: AnalysisParams,
         sc: G.SidedContacts | None, trials: list[S.Trial], res: AnalysisResult) -> None:
    """Per-cycle timing, ensembles and amplitude of every conditioned EMG channel, now that
    the contacts are known; channels in a thread pool, each reporting into a private result
    merged in channel order (nothing depends on thread timing)."""
    streams, warnings = conditioned
    res.warnings += warnings
    params_used: dict[str, Any] = {}
    for e in streams:
        if e.too_short is not None:
            for m, side in e.muscles.values():
                res.metrics["emg"][f"{m}_{side}"] = empty_emg_metrics()
                res.notes.setdefault(f"emg.{m}_{side}", f"EMG stream '{e.name}' holds "
                                     f"{e.too_short} samples, under the {MIN_EMG_S:g} s needed "
                                     "to filter")
            continue

        def one(ci: int, e: _EmgStream = e) -> tuple[dict[str, Any], AnalysisResult]:
            muscle, side = e.muscles[ci]
            part = AnalysisResult(metrics={}, parameters={}, mvc_windows=res.mvc_windows,
                                  notes={k: v for k, v in res.notes.items() if k.startswith("emg.*_")})
            out = _emg_channel(e.channels.pop(ci), e.t, e.env_t, e.fs, side, f"{muscle}_{side}",
                               sc, trials, p, part)
            return out, part

        cols = sorted(e.channels)
        with ThreadPoolExecutor(_emg_workers(len(cols))) as pool:
            for ci, (out, part) in zip(cols, pool.map(one, cols), strict=True):
                muscle, side = e.muscles[ci]
                res.metrics["emg"][f"{muscle}_{side}"] = out
                res.notes.update(part.notes)
                res.emg_cycles.update(part.emg_cycles)
                res.ensembles.update(part.ensembles)
        params_used[e.name] = e.params
    res.parameters["emg_streams"] = params_used


def _fill_channels(raw: np.ndarray, cols: list[int], fs: float, max_gap_s: float
                   ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """NaN repair of a channel-major (len(cols), n) array whose rows are the channels
    ``cols``, in threads: (channels, artefact masks) by channel index. A channel with a
    NaN/inf comes back repaired (float64, :func:`emg.fill_nans`); a clean one as its row of
    ``raw``, converted to float64 only when it is processed (one channel at a time)."""

    def fill(i: int) -> tuple[np.ndarray, np.ndarray]:
        if np.isfinite(raw[i]).all():
            return raw[i], np.zeros(raw.shape[1], dtype=bool)
        return E.fill_nans(raw[i], fs, max_gap_s)

    with ThreadPoolExecutor(_emg_workers(len(cols))) as pool:
        fills = list(pool.map(fill, range(len(cols))))
    return ({ci: f[0] for ci, f in zip(cols, fills, strict=True)},
            {ci: f[1] for ci, f in zip(cols, fills, strict=True)})


def empty_emg_metrics() -> dict[str, Any]:
    """One muscle's entry of the contract, every value null (cannot be computed)."""
    return {"onset_ms": {"mean": None, "sd": None}, "offset_ms": {"mean": None, "sd": None},
            "n_cycles": 0, "peak_pct_mvc": None}


def _emg_channel(c: _Conditioned, t: np.ndarray, env_t: np.ndarray, fs: float, side: str,
                 name: str, sc: G.SidedContacts | None, trials: list[S.Trial],
                 p: AnalysisParams, res: AnalysisResult) -> dict[str, Any]:
    ep = p.emg
    out = empty_emg_metrics()
    if sc is None or not (sc.bout >= 0).any():
        res.notes[f"emg.{name}"] = "no gait initial contacts to time the bursts against"
        return out
    inb = sc.bout >= 0
    ic_all = sc.contacts.ic[inb]
    ic = np.sort(sc.contacts.ic[inb & (sc.side == SIDE_CODE[side])])
    if ic.size == 0:
        one = res.notes.get(f"emg.*_{side}")
        res.notes[f"emg.{name}"] = one or f"no {side} initial contacts"
        return out
    a, b = np.searchsorted(t, [np.nanmin(ic_all) - 1.0, np.nanmax(ic_all) + 1.0])
    if b - a < fs:
        res.notes[f"emg.{name}"] = "EMG does not cover the running bout"
        return out
    # the timing envelope's blocks sit on a grid from the stream's first sample (the grid the
    # live tracker uses, so both see the same envelope samples): the segment is whole blocks
    d_t = E.envelope_factor(fs, ep.timing_envelope_hz)
    a, b = a - a % d_t, min(-(-b // d_t) * d_t, t.size)
    k0, k1 = a // d_t, -(-b // d_t)
    t_r = t[a:b]
    det = O.detect_onsets(c.bp[a:b] if ep.onset_method == "bonato" else None, fs, ep, c.bad[a:b],
                          blocks=c.blocks[k0:k1], n=b - a)
    bursts, quiet = det.bursts, det.quiet
    stride = float(np.median(np.diff(ic))) if ic.size > 1 else np.inf
    cyc = E.assign_bursts(t_r[bursts.on], t_r[bursts.off], ic, ep.assign_pre_ms / 1000,
                          ep.assign_post_ms / 1000, ep.max_burst_stride_frac * stride)
    # cycles with a data dropout in their window are artefact
    ib = np.flatnonzero(c.bad[a:b])  # dropout samples (few): no full-length cumulative count
    lo = np.searchsorted(t_r, ic - ep.assign_pre_ms / 1000)
    hi = np.searchsorted(t_r, ic + stride * ep.max_burst_stride_frac)
    dropout = np.searchsorted(ib, hi) > np.searchsorted(ib, lo)
    cyc.reason[dropout] = "EMG dropout (NaN run) in the cycle"
    cyc.onset_s[dropout] = cyc.offset_s[dropout] = np.nan
    cyc.burst[dropout] = -1
    ok = cyc.burst >= 0
    on_ms, off_ms = cyc.onset_s[ok] * 1000, cyc.offset_s[ok] * 1000
    out["n_cycles"] = int(ok.sum())
    if ok.any():
        out["onset_ms"] = {"mean": _num(on_ms.mean(), 1),
                           "sd": _num(on_ms.std(ddof=1), 1) if ok.sum() > 1 else None}
        out["offset_ms"] = {"mean": _num(off_ms.mean(), 1),
                            "sd": _num(off_ms.std(ddof=1), 1) if ok.sum() > 1 else None}
    else:
        res.notes[f"emg.{name}"] = "no burst detected in any cycle"
    res.emg_cycles[name] = {
        "ic_s": ic, "onset_ms": cyc.onset_s * 1000, "offset_ms": cyc.offset_s * 1000,
        "reason": list(cyc.reason), "threshold": bursts.threshold,
        "baseline_mean": bursts.baseline_mean, "baseline_sd": bursts.baseline_sd,
        "method": ep.onset_method}
    # amplitude: RMS with the baseline noise power removed, over windows chosen without
    # looking at the EMG amplitude (no selection bias): the central amplitude_window_ms of
    # each burst, and the force plateau of each MVC trial (middle plateau_s if no force)
    d_a = E.envelope_factor(fs, ep.amplitude_envelope_hz)
    if d_a == det.factor:  # the baseline blocks are blocks of the power (same grid, from k0)
        noise_pw = float(np.mean(c.power[k0:k0 + quiet.size][quiet])) if quiet.any() else 0.0
    else:
        raw_quiet = np.repeat(quiet, det.factor)[: b - a]
        noise_pw = (float(np.mean(np.square(c.bp[a:b][raw_quiet], dtype=np.float64)))
                    if raw_quiet.any() else 0.0)
    env_a, _ = E.lowrate_envelope(c.power, fs / d_a, ep.amplitude_envelope_hz, d=1)
    env_a -= noise_pw  # in place: sqrt(max(mean square - noise power, 0))
    np.sqrt(np.maximum(env_a, 0.0, out=env_a), out=env_a)

    def rms(i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
        i0 = np.clip(i0, 0, c.bp.size - 1)
        i1 = np.clip(np.maximum(i1, i0 + 1), 1, c.bp.size)
        return np.sqrt(np.maximum(E.window_means(c.bp, i0, i1, power=True) - noise_pw, 0.0))

    mvc_trials = [tr for tr in trials if tr.side == side
                  and tr.test in (ep.mvc_test, ep.mvc_marker_test)]
    mvc = float("nan")
    if mvc_trials:
        half = p.strength.plateau_s / 2
        win = np.array([res.mvc_windows.get((tr.side, tr.t0),
                                            ((tr.t0 + tr.t1) / 2 - half, (tr.t0 + tr.t1) / 2 + half))
                        for tr in mvc_trials])
        i0, i1 = np.searchsorted(t, win[:, 0]), np.searchsorted(t, win[:, 1])
        good = i1 > i0
        if good.any():
            mvc = float(rms(i0[good], i1[good]).max())
    scale, unit = (100.0 / mvc, "%MVC") if np.isfinite(mvc) and mvc > 0 else (1.0, "V")
    starts, ends = C.cycle_windows(ic, ok)
    res.ensembles[name] = C.ensemble(env_t, env_a, starts, ends, ep.ensemble_points, scale, unit)
    if not mvc_trials:
        res.notes[f"emg.{name}.peak_pct_mvc"] = (f"no {ep.mvc_test} or {ep.mvc_marker_test} "
                                                 f"{side} trials (MVC reference)")
        return out
    if not ok.any() or not np.isfinite(mvc) or mvc <= 0:
        res.notes[f"emg.{name}.peak_pct_mvc"] = "no MVC activation or no running bursts"
        return out
    bi = cyc.burst[ok]
    on_i, off_i = bursts.on[bi] + a, bursts.off[bi] + a
    mid, hw = (on_i + off_i) // 2, round(ep.amplitude_window_ms / 2000 * fs)
    peaks = rms(np.maximum(mid - hw, on_i), np.minimum(mid + hw, off_i + 1))
    out["peak_pct_mvc"] = _num(peaks.mean() / mvc * 100, 1)
    return out


def _emg_extras(res: AnalysisResult) -> None:
    """GMED − TFL onset difference per side (ms; negative = GMED first)."""
    diffs: dict[str, Any] = {}
    for side in ("L", "R"):
        g, f = res.emg_cycles.get(f"GMED_{side}"), res.emg_cycles.get(f"TFL_{side}")
        if g is None or f is None:
            continue
        diffs[side] = C.onset_difference(g["ic_s"], g["onset_ms"], f["ic_s"], f["onset_ms"])
    res.extras["emg_gmed_minus_tfl_onset_ms"] = diffs
    res.extras["emg_onset_method"] = res.parameters.get("emg", {}).get("onset_method")


def _strength(s: Session, p: AnalysisParams, mt: np.ndarray, ml: np.ndarray,
              res: AnalysisResult) -> list[S.Trial]:
    trials, problems = S.trials_from_markers(mt, ml)
    res.warnings += [f"markers: {x}" for x in problems]
    dyn = s.by_role("dynamometer")
    block = res.metrics["strength"]["hip_abduction"]
    if not dyn:
        res.notes["strength"] = "no dynamometer stream"
        return trials
    st = dyn[0]
    n = _checked(st)
    t = st.times()[:n]
    fs = _rate(st, t)
    f = S.smooth(st.read(0, n)[:, 0], fs, p.strength.smooth_ms)
    tests = [tr for tr in trials if tr.test == p.strength.test]
    if not tests:
        auto = S.segment_trials(t, f, fs, p.strength)
        res.auto_trials = auto
        order, source = _strength_order(s, st, p)
        tests, why = S.sides_from_order(auto, order)
        if not tests:
            res.notes["strength"] = (f"no {p.strength.test} trial markers; {len(auto)} trials "
                                     f"found in the force signal but {why}")
            return trials
        res.notes["strength.sides"] = (f"no {p.strength.test} trial markers: {len(auto)} trials "
                                       f"found in the force signal, sides {order} from {source}")
        trials = trials + tests
    ath = s.athlete
    lever, mass, height = (float(v) if v else None for v in
                           (ath.get("lever_arm_m"), ath.get("body_mass_kg"), ath.get("height_m")))
    extras: dict[str, Any] = {"test": p.strength.test}
    for side in ("L", "R"):
        sel = [tr for tr in tests if tr.side == side]
        pk = S.trial_peaks(t, f, sel)
        block[side] = S.side_metrics(pk, lever, mass)
        pl, pl_t0 = S.plateau_windows(t, f, fs, sel, p.strength.plateau_s)
        for tr, t0p in zip(sel, pl_t0, strict=True):
            if np.isfinite(t0p):
                res.mvc_windows[(tr.side, tr.t0)] = (float(t0p), float(t0p) + p.strength.plateau_s)
        on_t, rfd = S.trial_rfd(t, f, sel, p.strength)
        extras[side] = S.side_extras(pk, pl, rfd, lever, mass, height)
        extras[side]["trials"] = [
            {"t0": round(tr.t0, 3), "t1": round(tr.t1, 3), "peak_N": _num(pk[i]),
             "plateau_N": _num(pl[i]), "onset_s": _num(on_t[i], 3), "rfd_N_per_s": _num(rfd[i], 1)}
            for i, tr in enumerate(sel)]
        if not sel:
            res.notes[f"strength.{side}"] = f"no {p.strength.test} {side} trials"
    res.extras["strength"] = extras
    inv = str(ath.get("involved_side", "") or "")
    block["lsi_pct"], how = S.lsi(block["L"]["peak_force_N"], block["R"]["peak_force_N"], inv)
    extras["lsi_pct"], extras["lsi_basis"] = block["lsi_pct"], how
    extras["lsi_plateau_pct"], _ = S.lsi(extras["L"]["plateau_best_N"],
                                         extras["R"]["plateau_best_N"], inv)
    res.parameters["strength_lsi_basis"] = how
    return trials


#: roles the analysis computes metrics from
USABLE_ROLES = ("pressure", "force_treadmill", "emg", "dynamometer", "markers")


def _require_usable(s: Session) -> None:
    """A one-line error when no stream could give any metric (an all-empty table is no answer)."""
    if any(st.role in USABLE_ROLES and st.n_samples > 0 for st in s.streams.values()):
        return
    have = ", ".join(f"'{st.spec.name}' ({st.role}, {st.n_samples} samples)"
                     for st in s.streams.values()) or "no streams at all"
    raise GaitlabError(f"{s.path}: nothing to analyse: no pressure, force-treadmill, EMG, "
                       f"dynamometer or marker samples (the file has {have}); record again "
                       "while the devices stream (start them before 'gaitlab record')")


def analyze_session(path: str | Path, params: AnalysisParams | dict[str, Any] | None = None
                    ) -> AnalysisResult:
    """Compute the metrics contract for one session file (read-only; see :func:`store`)."""
    p = params if isinstance(params, AnalysisParams) else AnalysisParams.from_dict(params or {})
    if p.pelvis.fusion not in FUSION_METHODS:
        raise GaitlabError(f"pelvis.fusion '{p.pelvis.fusion}' is unknown; use one of "
                           f"{', '.join(FUSION_METHODS)}")
    if p.gait.mode not in G.MODES:
        raise GaitlabError(f"gait.mode '{p.gait.mode}' is unknown; use one of {', '.join(G.MODES)}")
    if p.emg.onset_method not in O.METHODS:
        raise GaitlabError(f"emg.onset_method '{p.emg.onset_method}' is unknown; use one of "
                           f"{', '.join(O.METHODS)}")
    res = AnalysisResult(metrics=empty_metrics(), parameters=p.to_dict())
    with reuse_freed_memory(), open_session(path) as s, ThreadPoolExecutor(1) as background:
        s.use_devices(p.devices)
        _require_usable(s)
        try:
            # the EMG is read, repaired and band-passed beside the pressure segmentation (its
            # pieces are shared with a worker process as each side finishes one, so the two
            # cores stay busy); only the cycle analysis waits for the contacts
            emg = background.submit(_condition_emg, s, p)
            mt, ml = _markers(s)
            sc = _gait(s, p, mt, ml, res)
            res.contacts = sc
            _pelvis(s, p, sc, mt, ml, res)
            trials = _strength(s, p, mt, ml, res)
            res.trials = trials
            _emg(emg.result(), p, sc, trials, res)
            _emg_extras(res)
        except GaitlabError:
            raise
        except (ValueError, KeyError, IndexError, OSError, TypeError) as exc:
            first = (str(exc).splitlines() or [""])[0]
            raise GaitlabError(f"{path}: cannot analyse ({type(exc).__name__}: {first}); "
                               "the file may be damaged") from exc
    res.metrics["emg"] = dict(sorted(res.metrics["emg"].items()))
    return res


def store(path: str | Path, res: AnalysisResult) -> None:
    """Write the metrics into the session file; on failure record why in ``res.store_error``."""
    from gaitlab.io.session import write_analysis

    try:
        write_analysis(path, res.metrics, res.parameters, ensembles=res.ensembles,
                       extras=res.extras, notes=res.notes,
                       contacts=G.contact_table(res.contacts) if res.contacts else None,
                       emg_cycles=res.emg_cycles, pelvis_cycles=res.pelvis_cycles)
        res.stored = True
    except (GaitlabError, OSError) as exc:
        res.stored = False
        res.store_error = (str(exc).splitlines() or ["unknown error"])[0]
