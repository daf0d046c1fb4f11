"""Real treadmill-running trials with pelvis markers, for the pelvic-drop validation (issue #12).

Shared by benchmarks/pelvis_real.py and tests/analysis/test_pelvis_real.py. The data are the
public trials in ``shared/data/real`` (its README): BMC/UFABC runner RBDS0041 at 2.5, 3.5 and
4.5 m/s (Fukuchi et al. 2017 protocol; ASIS/PSIS landmarks, 150 Hz; a force file for 2.5 m/s
only) and two Running Injury Clinic runners (a 4-marker pelvis cluster, 200 Hz, c3d with a
one-frame static trial; no forces).

Everything here is *validation* code, written apart from gaitlab.analysis.pelvis: the
references below use scipy's rotation fitting and Euler decomposition, not gaitlab's frames.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.signal import butter, filtfilt
from scipy.spatial.transform import Rotation, Slerp

from gaitlab.analysis.gait import contacts_from_force
from gaitlab.analysis.params import ForceParams
from gaitlab.analysis.pelvis import cluster_frame, find_pelvis_markers, foot_contacts, landmark_frame
from gaitlab.analysis.pelvis.synth import ImuNoise, axis_angle, virtual_imu

CUTOFF_HZ = 10.0  # 4th-order zero-lag Butterworth on marker positions (running kinematics)
MAX_GAP_S = 0.1  # marker gaps up to this long are filled linearly before filtering
STATIC_HOLD_S = 5.0  # a one-frame static posture is held this long in the virtual IMU
BRIDGE_S = 1.5  # virtual IMU: smooth transition from the standing posture to the run


def real_dir() -> Path | None:
    """``$GAITLAB_REAL_DATA`` or the first ``shared/data/real`` beside a parent of this file."""
    env = os.environ.get("GAITLAB_REAL_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "data" / "real"
        if cand.is_dir():
            return cand
    return None


@dataclass
class Trial:
    name: str
    fs: float
    kind: str  # "landmarks" (ASIS/PSIS) or "cluster"
    run: dict[str, np.ndarray]  # label -> (n, 3) m, filtered, NaN where unseen
    static: dict[str, np.ndarray]  # label -> (m, 3) m
    forward: np.ndarray  # direction of progression in lab coordinates
    up: np.ndarray
    contacts: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    events_from: str = ""
    speed_mps: float | None = None
    force_contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def t(self) -> np.ndarray:
        return np.arange(next(iter(self.run.values())).shape[0]) / self.fs


def _fill_filter(x: np.ndarray, fs: float) -> np.ndarray:
    """Fill gaps ≤ MAX_GAP_S linearly, then low-pass each finite stretch (zero lag)."""
    x = np.array(x, dtype=np.float64)
    b, a = butter(4, CUTOFF_HZ / (fs / 2))
    for j in range(x.shape[1]):
        y = x[:, j]
        ok = np.isfinite(y)
        if ok.sum() < 2:
            continue
        idx = np.arange(y.size)
        filled = np.interp(idx, idx[ok], y[ok])
        # gap lengths: keep NaN where a gap is longer than MAX_GAP_S or open-ended
        bad = ~ok
        edges = np.diff(np.r_[0, bad.astype(np.int8), 0])
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if e - s <= MAX_GAP_S * fs and s > 0 and e < y.size:
                y[s:e] = filled[s:e]
        ok = np.isfinite(y)
        edges = np.diff(np.r_[0, ok.astype(np.int8), 0])
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if e - s > 3 * 3 * max(len(a), len(b)):
                y[s:e] = filtfilt(b, a, y[s:e])
            else:
                y[s:e] = np.nan
        x[:, j] = y
    return x


def _markers(cols: list[str], data: np.ndarray, fs: float | None) -> dict[str, np.ndarray]:
    labels = [c[:-1] for c in cols[0::3]]
    out = {}
    for i, lab in enumerate(labels):
        xyz = data[:, 3 * i:3 * i + 3] / 1000.0
        out[lab] = _fill_filter(xyz, fs) if fs else xyz
    return out


def _read_rbds(path: Path) -> tuple[list[str], np.ndarray]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        rows = [[float(v) if v.strip() else np.nan for v in line.rstrip("\n").split("\t")]
                for line in fh if line.strip()]
    data = np.asarray(rows, dtype=np.float64)
    return head[1:], data[:, 1:]


def _heel(run: dict[str, np.ndarray], side: str, kind: str) -> np.ndarray:
    if kind == "landmarks":
        return np.nanmean([run[f"{side}.Heel.{p}"] for p in ("Top", "Bottom", "Lateral")], axis=0)
    return np.nanmean([run[f"{side}_foot_{k}"] for k in (1, 2, 3)], axis=0)


def sacrum(tr: Trial, which: str = "run") -> np.ndarray:
    m = tr.run if which == "run" else tr.static
    if tr.kind == "landmarks":
        return 0.5 * (m["L.PSIS"] + m["R.PSIS"])
    return np.mean([m[f"pelvis_{k}"] for k in (1, 2, 3, 4)], axis=0)


def kinematic_contacts(tr: Trial, toe: str = "height") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-side (IC, TO) from foot markers relative to the sacrum (gaitlab's foot_contacts).
    ``toe``: "height" (toe clearance), "ap" (Zeni's rearmost toe) or "none" (heel only);
    the RIC shoe cluster has no toe marker, so it is always "none" there."""
    base = sacrum(tr)
    f = tr.forward / np.linalg.norm(tr.forward)
    out = {}
    for s in ("L", "R"):
        heel = (_heel(tr.run, s, tr.kind) - base) @ f
        if tr.kind != "landmarks" or toe == "none":
            out[s] = foot_contacts(tr.t, heel)
            continue
        mt = 0.5 * (tr.run[f"{s}.MT1"] + tr.run[f"{s}.MT5"])
        if toe == "ap":
            out[s] = foot_contacts(tr.t, heel, (mt - base) @ f)
        else:
            out[s] = foot_contacts(tr.t, heel, toe_height=mt @ (tr.up / np.linalg.norm(tr.up)))
    return out


def force_contacts(path: Path, run: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-side (IC, TO) from the one-plate force file (300 Hz, sample k at (k-1)/300 s): Fy
    threshold 50 N, contacts ≥ 100 ms; the side from COPz at mid-contact (+Z = the runner's right)."""
    cols, d = _read_rbds(path)
    fy, copz = d[:, cols.index("Fy")], d[:, cols.index("COPz")]
    t = np.arange(fy.size) / 300.0
    c = contacts_from_force(t, fy, None, ForceParams(threshold_N=50.0))
    ok = np.isfinite(c.ic) & np.isfinite(c.to) & (c.to - c.ic >= 0.1)  # spikes are not contacts
    ic, to = c.ic[ok], c.to[ok]
    mid = np.interp(0.5 * (ic + to), t, copz)
    right = mid > np.median(mid)
    return {"L": (ic[~right], to[~right]), "R": (ic[right], to[right])}


def load_rbds(speed: str, events: str = "auto") -> Trial:
    """RBDS0041 at T25/T35/T45 (2.5/3.5/4.5 m/s): lab +X forward, +Y up, +Z right."""
    root = real_dir()
    assert root is not None
    cols, d = _read_rbds(root / f"RBDS0041run{speed}2.txt.gz")
    scols, sd = _read_rbds(root / "RBDS0041static.txt")
    tr = Trial(f"RBDS0041 {speed}", 150.0, "landmarks", _markers(cols, d, 150.0),
               _markers(scols, sd, None), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]),
               speed_mps=int(speed[1:]) / 10)
    forces = root / f"RBDS0041run{speed}2forces.txt"
    if forces.exists():
        tr.force_contacts = force_contacts(forces, tr.run)
    if tr.force_contacts is not None and events != "markers":
        tr.contacts, tr.events_from = tr.force_contacts, "force"
    else:
        tr.contacts, tr.events_from = kinematic_contacts(tr), "foot markers"
    return tr


def load_ric(name: str) -> Trial:
    """A Running Injury Clinic runner: lab +X right, +Y up, progression −Z; pelvis cluster."""
    import ezc3d

    root = real_dir()
    assert root is not None

    def read(p: Path) -> tuple[list[str], np.ndarray, float]:
        c = ezc3d.c3d(str(p))
        lab = list(c["parameters"]["POINT"]["LABELS"]["value"])
        xyz = np.transpose(c["data"]["points"][:3], (2, 1, 0)).reshape(-1, 3 * len(lab))
        rate = float(c["parameters"]["POINT"]["RATE"]["value"][0])
        return [f"{lb}{a}" for lb in lab for a in "XYZ"], xyz, rate

    cols, d, fs = read(root / f"{name}_run.c3d")
    scols, sd, _ = read(root / f"{name}_static.c3d")
    tr = Trial(f"RIC {name}", fs, "cluster", _markers(cols, d, fs), _markers(scols, sd, None),
               np.array([0, 0, -1.0]), np.array([0, 1.0, 0]))
    tr.contacts, tr.events_from = kinematic_contacts(tr), "foot markers"
    return tr


TRIALS = ("T25", "T35", "T45", "20140515T133244", "20141003T073938")


def load(name: str) -> Trial:
    return load_rbds(name) if name.startswith("T") else load_ric(name)


# ----------------------------------------------------------------------------- pelvis frames

PELVIS_LANDMARKS = ("L.ASIS", "R.ASIS", "L.PSIS", "R.PSIS")


def pelvis_points(tr: Trial, which: str = "run") -> np.ndarray:
    m = tr.run if which == "run" else tr.static
    names = PELVIS_LANDMARKS if tr.kind == "landmarks" else tuple(f"pelvis_{k}" for k in (1, 2, 3, 4))
    return np.stack([m[k] for k in names], axis=1)  # (n, 4, 3)


def gaitlab_frames(tr: Trial) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis frames of the run and of the standing posture by gaitlab's own code."""
    if tr.kind == "landmarks":
        idx = find_pelvis_markers(list(tr.run))
        names = {k: list(tr.run)[i] for k, i in idx.items()}
        run = {k: tr.run[v] for k, v in names.items()}
        st = {k: tr.static[v].mean(axis=0, keepdims=True) for k, v in names.items()}
        return landmark_frame(run), landmark_frame(st)[0]
    return cluster_frame(pelvis_points(tr)), cluster_frame(pelvis_points(tr, "static").mean(axis=0)[None])[0]


def _isb_lab(tr: Trial) -> np.ndarray:
    """ISB lab axes (forward, up, right) as rows: maps lab coordinates to ISB-lab coordinates."""
    f, u = tr.forward / np.linalg.norm(tr.forward), tr.up / np.linalg.norm(tr.up)
    return np.vstack([f, u, np.cross(f, u)])


def reference_obliquity(tr: Trial, method: str = "rigid", step: int = 1) -> np.ndarray:
    """Obliquity (deg, + = right side lower) written apart from gaitlab.analysis.pelvis.

    ``rigid``: the least-squares rigid rotation (scipy ``Rotation.align_vectors``, Kabsch) that
    carries the static pelvis markers (centred) onto each frame's, in ISB lab axes, as
    intrinsic Y-X-Z Euler angles (rotation, obliquity, tilt; Baker 2001) — a different
    formulation of "relative to the standing posture" that uses all four markers.
    ``isb``: for landmarks, the ISB axes built by scipy (``align_vectors`` with the ASIS line
    as the primary vector and the ASIS–PSIS direction as the secondary), relative to the
    static frame by rotation algebra, same Euler sequence — the definition, independently coded.
    Only every ``step``-th frame is computed (the others stay NaN).
    """
    m = _isb_lab(tr)
    pts = pelvis_points(tr) @ m.T
    st = pelvis_points(tr, "static").mean(axis=0) @ m.T
    out = np.full(pts.shape[0], np.nan)
    ok = np.all(np.isfinite(pts), axis=(1, 2))
    ok[np.arange(ok.size) % step != 0] = False
    if method == "rigid":
        st0 = st - st.mean(axis=0)
        for i in np.flatnonzero(ok):
            p = pts[i] - pts[i].mean(axis=0)
            r, _ = Rotation.align_vectors(p, st0)
            out[i] = r.as_euler("YXZ", degrees=True)[1]
        return out
    if tr.kind != "landmarks":
        raise ValueError("the ISB reference needs ASIS/PSIS landmarks")

    def frame(p: np.ndarray) -> Rotation:
        la, ra, lp, rp = p
        r, _ = Rotation.align_vectors([ra - la, 0.5 * (la + ra) - 0.5 * (lp + rp)],
                                      [[0, 0, 1.0], [1.0, 0, 0]], weights=[np.inf, 1.0])
        return r

    r_s = frame(st)
    for i in np.flatnonzero(ok):
        out[i] = (frame(pts[i]) * r_s.inv()).as_euler("YXZ", degrees=True)[1]
    return out


# ----------------------------------------------------------------------------- virtual sacral IMU

SENSOR_IN_PELVIS = np.array([[0, 0, -1.0], [1.0, 0, 0], [0, -1.0, 0]])  # columns: sensor x/y/z
# in the pelvis's (anterior, superior, right) axes: x up, y left, z backward (a sensor on the sacrum)


@dataclass
class VirtualImu:
    gyr: np.ndarray
    acc: np.ndarray
    fs: float
    run_start: int  # sample index of the run's first frame
    run_frames: slice  # the run frames used (the longest stretch with the pelvis seen)
    still_true: tuple[int, int]
    forward_sensor_true: np.ndarray
    misalignment_deg: float


def _quintic(p0: np.ndarray, v0: np.ndarray, a0: np.ndarray, p1: np.ndarray, v1: np.ndarray,
             a1: np.ndarray, dur: float, n: int) -> np.ndarray:
    """Positions (n, 3) of the quintic that matches position, velocity and acceleration at both ends."""
    t = np.linspace(0.0, dur, n + 2)[1:-1]
    m = np.array([[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 2, 0, 0, 0],
                  [1, dur, dur**2, dur**3, dur**4, dur**5],
                  [0, 1, 2 * dur, 3 * dur**2, 4 * dur**3, 5 * dur**4],
                  [0, 0, 2, 6 * dur, 12 * dur**2, 20 * dur**3]], dtype=np.float64)
    coef = np.linalg.solve(m, np.vstack([p0, v0, a0, p1, v1, a1]))
    return np.vander(t, 6, increasing=True) @ coef


def longest_seen(a: np.ndarray) -> slice:
    ok = np.all(np.isfinite(a), axis=(1, 2))
    edges = np.diff(np.r_[0, ok.astype(np.int8), 0])
    s, e = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    k = int(np.argmax(e - s))
    return slice(int(s[k]), int(e[k]))


def build_imu(tr: Trial, misalignment_deg: float = 10.0, seed: int = 0,
              noise: ImuNoise | None = None) -> VirtualImu:
    """A sacral IMU driven by the trial's pelvis: standing (the static trial) → bridge → run."""
    noise = noise if noise is not None else ImuNoise()
    rng = np.random.default_rng(1000 + seed)
    axis = rng.normal(size=3)
    mount = axis_angle(axis, misalignment_deg) @ SENSOR_IN_PELVIS
    a_run, a_st = gaitlab_frames(tr)
    keep = longest_seen(a_run)
    a_run = a_run[keep]
    fs = tr.fs
    p_run = sacrum(tr)[keep]
    if tr.kind == "landmarks":  # the real standing trial, frame by frame (sway included)
        st_pts = {k: tr.static[k] for k in tr.static}
        idx = find_pelvis_markers(list(st_pts))
        a_static = landmark_frame({k: st_pts[list(st_pts)[i]] for k, i in idx.items()})
        p_static = sacrum(tr, "static")
    else:
        n_hold = round(STATIC_HOLD_S * fs)
        a_static = np.repeat(a_st[None], n_hold, axis=0)
        p_static = np.repeat(sacrum(tr, "static").mean(axis=0, keepdims=True), n_hold, axis=0)
    # the static lab origin differs from the run's: stand where the run starts
    p_static = p_static - p_static.mean(axis=0) + p_run[0] * np.array([1, 0, 1]) + \
        p_static.mean(axis=0) * np.array([0, 1, 0])
    nb = round(BRIDGE_S * fs)
    dt = 1.0 / fs
    v = np.gradient(p_run, dt, axis=0)
    acc = np.gradient(v, dt, axis=0)
    vs = np.gradient(p_static, dt, axis=0)
    as_ = np.gradient(vs, dt, axis=0)
    p_bridge = _quintic(p_static[-1], vs[-1], as_[-1], p_run[0], v[0], acc[0], (nb + 1) * dt, nb)
    ends = Rotation.from_matrix(np.stack([a_static[-1], a_run[0]]))
    tau = np.linspace(0, 1, nb + 2)[1:-1]
    r_bridge = Slerp([0.0, 1.0], ends)(10 * tau**3 - 15 * tau**4 + 6 * tau**5).as_matrix()
    a_all = np.concatenate([a_static, r_bridge, a_run])
    p_all = np.concatenate([p_static, p_bridge, p_run])
    gyr, accel = virtual_imu(a_all @ mount, p_all, fs, tr.up, noise, seed)
    fwd_true = mount.T @ a_st.T @ (tr.forward / np.linalg.norm(tr.forward))
    return VirtualImu(gyr, accel, fs, a_static.shape[0] + nb, keep, (0, a_static.shape[0]),
                      fwd_true, misalignment_deg)
