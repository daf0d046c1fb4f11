"""Foot contacts from a pressure treadmill: space-time segmentation of pressure frames.

Frames are (n_frames, rows, cols) in N/cm^2, row 0 = front edge of the belt, col 0 =
the runner's left. A contact is a connected blob in (time, row, col) of sensors at or
above the threshold; heel and forefoot blobs separated by an unloaded arch are joined by
a small in-plane dilation used only for labelling. Long recordings are processed block by
block (:func:`contacts_from_blocks`) with contacts that cross a block boundary carried
into the next block, so the result does not depend on the block size.

Blocks are dense (n, rows, cols) arrays or :class:`gaitlab.io.sparse.SparseFrames` (the
sparse layout of session files: only the sensors not reading +0.0); both give the same
contacts, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from gaitlab.analysis.footprint import distinct_cells, foot_progression_angle
from gaitlab.analysis.params import PressureParams
from gaitlab.io.sparse import SparseFrames

Frames = np.ndarray | SparseFrames

_FIELDS = ("ic", "to", "x", "toe_angle_deg", "medial_shift", "first", "last", "axis_deg",
           "gait_line_x", "gait_line_y")
GAIT_LINE_POINTS = 21  # the gait line: COP at 0, 5, …, 100 % of the stance


@dataclass
class Contacts:
    """One entry per foot contact. Times in s, positions in m (x + toward the runner's right).

    ``toe_angle_deg`` is the pressure-weighted principal axis of each frame's footprint
    (+ = toward the runner's right), summed over the stance. Hallux and first-metatarsal
    loading pull that axis medially (a 7° toe-out foot can read about -3°), so it is NOT
    yet a foot progression angle and is not used to tell left from right.

    ``medial_shift`` is the gait-line cue: the pressure-weighted COP of the last third of
    the stance (frames) minus that of the middle third, in m across the foot (perpendicular
    to ``axis_deg`` in the belt's frame; across the belt without a belt speed), + = toward
    the runner's right. A running foot pushes off medially over the first metatarsal head
    and hallux, so it is > 0 for a LEFT foot and < 0 for a RIGHT foot, at any toe-out.
    NaN when the contact has too few frames or no sources give a placement.

    ``gait_line_x`` / ``gait_line_y`` are the gait line: the pressure-weighted COP at 0, 5,
    …, 100 % of the stance (frame centres, linear interpolation, the ends held), x in m from
    the belt's left edge (+ toward the runner's right), y the COP's forward travel since the
    first frame in the belt's frame (m; NaN without a belt speed, where the plate's y would
    mix in the belt's motion). NaN from a force plate or events.

    ``axis_deg`` is the foot's long axis (heel centre → forefoot centre of the geometric
    footprint in the belt's frame, :mod:`gaitlab.analysis.footprint`) against the direction
    of travel, + when the forefoot lies toward the runner's right. It is the foot
    progression angle of a right foot and minus that of a left one. NaN without a belt
    speed (``PressureParams.belt_speed_mps``), from a force plate or events.
    """

    ic: np.ndarray  # initial contact, sub-frame (NaN when the contact starts before the data)
    to: np.ndarray  # toe-off, sub-frame (NaN when it ends after the data)
    x: np.ndarray  # pressure-weighted mediolateral centroid over the stance
    toe_angle_deg: np.ndarray  # pressure-weighted axis (biased medially, see above)
    medial_shift: np.ndarray  # late- minus mid-stance COP across the foot (m), + for a left foot
    first: np.ndarray  # first frame index (global)
    last: np.ndarray  # last frame index (global)
    axis_deg: np.ndarray  # footprint long axis, + forefoot toward the right (see above)
    gait_line_x: np.ndarray | None = None  # (n, 21) COP x (m from the left edge) over the stance
    gait_line_y: np.ndarray | None = None  # (n, 21) COP forward travel since IC, belt frame (m)

    def __post_init__(self) -> None:
        n = np.size(self.ic)
        if self.gait_line_x is None:
            self.gait_line_x = np.full((n, GAIT_LINE_POINTS), np.nan)
        if self.gait_line_y is None:
            self.gait_line_y = np.full((n, GAIT_LINE_POINTS), np.nan)

    @classmethod
    def empty(cls) -> Contacts:
        z = np.empty(0)
        return cls(z, z, z, z, z, np.empty(0, int), np.empty(0, int), z)

    @classmethod
    def concat(cls, parts: list[Contacts]) -> Contacts:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in _FIELDS))

    def take(self, idx: np.ndarray) -> Contacts:
        return Contacts(*(getattr(self, n)[idx] for n in _FIELDS))

    def __len__(self) -> int:
        return int(self.ic.size)


def _crossing(thr: float, m_out: np.ndarray, m_in: np.ndarray, t_out: np.ndarray,
              t_in: np.ndarray) -> np.ndarray:
    """Time where the peak-pressure trace crosses ``thr`` between an outside frame
    (below threshold) and the first inside frame (at/above it).

    When the outside frame carries some load, linear interpolation between the two frames.
    When it reads zero (foot still in the air, or already off), the frames only say that
    loading began (ended) somewhere in the interval: the trace at heel strike rises in
    a fraction of a frame, and the shape of that rise is not known. Extrapolating the slope
    of the next frames assumes a linear rise; the impact rise is concave (steep first), so
    that extrapolation lands early at IC (late at TO) by a few ms, and it would land late
    for a convex rise. With no load information the crossing phase is uniform over the
    interval, so its midpoint is the unbiased (and least-squares) estimate: error within
    ±half a frame, mean zero.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (thr - m_out) / (m_in - m_out)
    t_interp = t_out + np.clip(frac, 0, 1) * (t_in - t_out)
    return np.where(m_out > 0, t_interp, 0.5 * (t_out + t_in))


def _stance_phase(g_f: np.ndarray, l0: np.ndarray, first: np.ndarray, last: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per (contact, frame) group: its contact's index and its phase in that contact's
    stance, (frame − first + 0.5) / frames, in (0, 1). ``l0`` is each contact's first group."""
    ci = np.repeat(np.arange(l0.size), np.diff(np.r_[l0, g_f.size]))
    n_fr = (last - first + 1).astype(np.float64)
    return ci, (g_f - first[ci] + 0.5) / n_fr[ci]


def _gait_line_shift(sp: np.ndarray, spx: np.ndarray, ci: np.ndarray, phase: np.ndarray,
                     spy: np.ndarray | None = None, axis_deg: np.ndarray | None = None
                     ) -> np.ndarray:
    """Late-third minus middle-third pressure-weighted COP shift of each contact (m), + toward
    the runner's right, across the FOOT: perpendicular to its long axis (``axis_deg``, + with
    the forefoot toward the right) in the belt's frame, where the foot stands still.

    From mid to late stance the COP moves ~8 cm forward along the foot and ~2 cm medially
    (push-off over the first metatarsal head and hallux). Taking only the shift across the
    belt mixes in sin(FPA) of the forward travel, which outweighs the medial shift beyond
    ~15° of toe-out; across the foot's axis it does not. Without a belt-frame COP y
    (``spy``: summed pressure·y per group, y in the belt's frame) or an axis, the shift across
    the belt. Inputs are per (contact, frame) group: summed pressure ``sp``, summed
    pressure·x ``spx``, contact index and stance phase (:func:`_stance_phase`).
    """
    n = int(ci[-1]) + 1 if ci.size else 0
    mid = (phase >= 1 / 3) & (phase < 2 / 3)
    late = phase >= 2 / 3

    def cop(sel: np.ndarray, s_v: np.ndarray) -> np.ndarray:
        w = np.bincount(ci, weights=np.where(sel, sp, 0.0), minlength=n)
        wv = np.bincount(ci, weights=np.where(sel, s_v, 0.0), minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w > 0, wv / w, np.nan)

    dx = cop(late, spx) - cop(mid, spx)
    if spy is None or axis_deg is None:
        return dx
    dy = cop(late, spy) - cop(mid, spy)
    phi = np.radians(axis_deg)
    across = dx * np.cos(phi) + dy * np.sin(phi)  # onto the foot's rightward normal
    return np.where(np.isfinite(phi), across, dx)


def _gait_lines(sp: np.ndarray, spx: np.ndarray, spy: np.ndarray | None, ci: np.ndarray,
                phase: np.ndarray, l0: np.ndarray, first: np.ndarray, last: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """COP of each contact at ``GAIT_LINE_POINTS`` phases of its stance: x across the belt,
    and (with ``spy``, y in the belt's frame, + backward) the forward travel since the first
    frame. All contacts at once: a group's key is its contact index plus its phase (frame
    centre / frames), increasing through the groups, and each contact's queries are held
    between its first and last frame centres, so one interpolation never crosses contacts."""
    n = l0.size
    n_fr = (last - first + 1).astype(np.float64)
    key = ci + phase
    ph = np.linspace(0.0, 1.0, GAIT_LINE_POINTS)
    lo, hi = 0.5 / n_fr, 1.0 - 0.5 / n_fr
    q = (np.arange(n)[:, None] + np.clip(ph[None, :], lo[:, None], hi[:, None])).ravel()
    gx = np.interp(q, key, spx / sp).reshape(n, GAIT_LINE_POINTS)
    if spy is None:
        return gx, np.full((n, GAIT_LINE_POINTS), np.nan)
    cy = spy / sp
    gy = cy[l0][:, None] - np.interp(q, key, cy).reshape(n, GAIT_LINE_POINTS)  # + forward
    return gx, gy


def _clean(v: np.ndarray) -> np.ndarray:
    """NaN and ±inf read as unloaded (0)."""
    return np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)


def _loaded_sensors(P: np.ndarray, thr: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Frame, row, col and value of every finite sensor-frame at or above ``thr``, in raster
    order (NaN compares False already; +inf is dropped here, without a full-block copy)."""
    idx = np.flatnonzero(P >= thr)  # much faster than a 3-D nonzero on a sparse mask
    if idx.size == 0:
        return None
    _, n_r, n_c = P.shape
    f, rc = np.divmod(idx, n_r * n_c)
    r, c = np.divmod(rc, n_c)
    val = P[f, r, c]
    fin = np.isfinite(val)
    if not fin.all():
        f, r, c, val = f[fin], r[fin], c[fin], val[fin]
        if f.size == 0:
            return None
    return f, r, c, val


def _loaded_points(sp: SparseFrames, thr: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_loaded_sensors` of sparse frames: the stored points at or above ``thr``
    (points are stored in raster order within a frame, so the order is the same)."""
    idx = np.flatnonzero(sp.value >= thr)  # NaN compares False
    if sp.value.dtype.kind == "f" and idx.size:
        fin = np.isfinite(sp.value[idx])  # +inf
        if not fin.all():
            idx = idx[fin]
    if idx.size == 0:
        return None
    f = np.searchsorted(sp.ptr, idx, side="right") - 1  # frame of each kept point
    r, c = np.divmod(sp.sensor[idx].astype(np.int64), sp.shape[2])
    return f, r, c, sp.value[idx]


def _n_frames(frames: Frames) -> int:
    return frames.n_frames if isinstance(frames, SparseFrames) else int(np.shape(frames)[0])


def _edge_max(frames: Frames, k: int, r0: int, r1: int, c0: int, c1: int, thr: float) -> float:
    """Highest sub-threshold value (NaN and ±inf read as 0) of frame ``k`` in rows [r0, r1],
    cols [c0, c1]; 0 when there is none. Sparse frames: unstored sensors are +0.0."""
    if not isinstance(frames, SparseFrames):
        v = _clean(frames[k][r0:r1 + 1, c0:c1 + 1])
        v = v[v < thr]
        return v.max() if v.size else 0.0
    a, b = int(frames.ptr[k]), int(frames.ptr[k + 1])
    r, c = np.divmod(frames.sensor[a:b].astype(np.int64), frames.shape[2])
    inb = (r >= r0) & (r <= r1) & (c >= c0) & (c <= c1)
    v = _clean(frames.value[a:b][inb])
    v = v[v < thr]
    zeros = (r1 - r0 + 1) * (c1 - c0 + 1) > int(inb.sum()) and 0.0 < thr
    if v.size:
        m = v.max()
        return max(m, v.dtype.type(0)) if zeros else m
    return 0.0


def _edge_max_sparse(frames: SparseFrames, k: np.ndarray, r0: np.ndarray, r1: np.ndarray,
                     c0: np.ndarray, c1: np.ndarray, thr: float) -> np.ndarray:
    """:func:`_edge_max` of many (frame, box) pairs of sparse frames at once."""
    n = k.size
    out = np.zeros(n)
    if n == 0:
        return out
    starts = frames.ptr[k]
    lens = frames.ptr[k + 1] - starts
    seg = np.repeat(np.arange(n), lens)
    pos = np.arange(seg.size) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
    r, c = np.divmod(frames.sensor[pos].astype(np.int64), frames.shape[2])
    inb = (r >= r0[seg]) & (r <= r1[seg]) & (c >= c0[seg]) & (c <= c1[seg])
    v = _clean(frames.value[pos]).astype(np.float64)
    sub = inb & (v < thr)
    best = np.full(n, -np.inf)
    np.maximum.at(best, seg[sub], v[sub])
    zeros = ((r1 - r0 + 1) * (c1 - c0 + 1) > np.bincount(seg[inb], minlength=n)) & (0.0 < thr)
    has = best > -np.inf
    return np.where(has, np.where(zeros, np.maximum(best, 0.0), best), 0.0)


def belt_rows(times: np.ndarray, belt_speed_mps: float | None, row_pitch_m: float
              ) -> np.ndarray | None:
    """Belt travel at each frame in whole rows, round(v·t / pitch), from the stream's own
    clock (so it does not depend on where a block or run starts); None without a speed."""
    if not belt_speed_mps or not np.isfinite(belt_speed_mps) or not row_pitch_m > 0:
        return None
    return np.rint(np.asarray(times, dtype=np.float64) * (belt_speed_mps / row_pitch_m)
                   ).astype(np.int64)


try:  # connected-components-3d: the same labels as ndimage.label, ~3x faster on the canvas
    import cc3d as _cc3d
except ImportError:  # pragma: no cover - a platform without a cc3d wheel
    _cc3d = None


def label6(mask: np.ndarray, use_cc3d: bool = True) -> np.ndarray:
    """Labels 1..n of the 6-connected components of a 3-D mask, numbered in raster order
    of their first cell (0 = background): ``scipy.ndimage.label`` with the face-connected
    structure, or the same numbers from ``cc3d`` when it is installed (tested equal)."""
    if use_cc3d and _cc3d is not None and mask.ndim == 3:
        return _cc3d.connected_components(np.ascontiguousarray(mask), connectivity=6)
    lab, _ = ndimage.label(mask, structure=ndimage.generate_binary_structure(mask.ndim, 1))
    return lab


def _grow(m: np.ndarray, k: int, axis: int) -> np.ndarray:
    """``m`` OR-ed with its copies shifted by 1 … k both ways along ``axis`` (a 1-D
    dilation by a 2k+1 box, cells outside the array read as empty)."""
    if k <= 0:
        return m
    out = m.copy()
    n = m.shape[axis]
    for d in range(1, min(k, n - 1) + 1):
        lo = [slice(None)] * m.ndim
        hi = [slice(None)] * m.ndim
        lo[axis], hi[axis] = slice(0, n - d), slice(d, n)
        out[tuple(hi)] |= m[tuple(lo)]
        out[tuple(lo)] |= m[tuple(hi)]
    return out


def _label_sparse(f: np.ndarray, r: np.ndarray, c: np.ndarray, shape: tuple[int, ...],
                  br: int, bc: int, shift: np.ndarray | None = None) -> np.ndarray:
    """Blob label (1..n) of each loaded sensor-frame (given in raster order): 6-connected
    components in (time, row, col) of the loaded mask grown in-plane by a
    (2·br+1)×(2·bc+1) box (the box clipped to the plate).

    ``shift`` (per frame of the block, whole rows; :func:`belt_rows`) labels in the belt's
    frame: a foot standing on the moving belt then stays in place from frame to frame
    instead of streaking down the plate, so its box is a footprint, not a streak (~2.3×
    fewer cells at 3 m/s). A run of loaded frames whose box would be taller that way (a
    stopped belt, or a long run of walking double support) is labelled in the plate's
    frame; without ``shift`` every run is.

    No component spans a frame without load, so each run of loaded frames is labelled in
    its own box: the run's loaded bounding box plus the growth. The runs are stacked along
    time in one array as wide as the largest box, an empty frame after each run, and
    labelled in one call (:func:`label6`); canvas cells off the plate are cleared after the
    growth. Labels are numbered in raster order of that canvas.
    """
    n_f, n_r, n_c = shape
    f = np.asarray(f, dtype=np.int64)
    r = np.asarray(r, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    loaded = np.zeros(n_f + 1, bool)
    loaded[f] = True
    keep = loaded[:-1] | np.r_[False, loaded[:-2]]  # loaded frames + one empty one after a run
    fmap = np.cumsum(keep) - 1
    fk = fmap[f]
    run_of_frame = np.cumsum(loaded[:-1] & ~np.r_[False, loaded[:-2]]) - 1
    run = run_of_frame[f]  # points are in frame order: each run's points are contiguous
    p0 = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    ra, rb = np.minimum.reduceat(r, p0), np.maximum.reduceat(r, p0)
    row_off = np.zeros(n_f, np.int64)  # plate row of canvas row 0, per frame: ra[run] + s_f
    if shift is not None:
        s_pt = np.asarray(shift, dtype=np.int64)[f]
        rs = r - s_pt
        sa, sb = np.minimum.reduceat(rs, p0), np.maximum.reduceat(rs, p0)
        belt = (sb - sa) < (rb - ra)  # per run: the belt's frame gives the smaller box
        use = belt[run]
        r = np.where(use, rs, r)
        ra, rb = np.where(belt, sa, ra), np.where(belt, sb, rb)
        fr_belt = np.zeros(n_f, bool)
        fr_belt[f] = use
        row_off = np.where(fr_belt, np.asarray(shift, dtype=np.int64), 0)
    ra, rb = ra - br, rb + br + 1
    ca = np.minimum.reduceat(c, p0) - bc
    cb = np.maximum.reduceat(c, p0) + bc + 1
    h, w = int((rb - ra).max()), int((cb - ca).max())
    ri, ci = r - ra[run], c - ca[run]
    sub = np.zeros((int(keep.sum()), h, w), np.uint8)
    sub[fk, ri, ci] = 1
    sub = _grow(_grow(sub, br, 1), bc, 2)
    # canvas frame k of run j holds plate rows row_off + ra[j] … + h - 1 and cols ca[j] …
    run_k = np.full(sub.shape[0], -1)
    run_k[fk] = run
    frame_k = np.full(sub.shape[0], -1)
    frame_k[fk] = f
    fr = np.flatnonzero(run_k >= 0)
    pr = (ra[run_k[fr]] + row_off[frame_k[fr]])[:, None] + np.arange(h)
    pc = ca[run_k[fr]][:, None] + np.arange(w)
    off_r, off_c = (pr < 0) | (pr >= n_r), (pc < 0) | (pc >= n_c)
    if off_r.any() or off_c.any():
        sub[fr] *= ~(off_r[:, :, None] | off_c[:, None, :])
    lab = label6(sub)
    return lab[fk, ri, ci].astype(np.int64)


def segment_contacts(frames: Frames, times: np.ndarray, row_pitch_m: float,
                     col_pitch_m: float, p: PressureParams | None = None) -> Contacts:
    """Contacts in one block of frames; frame indices are local to the block.

    Contacts touching the first or last frame get NaN IC or TO (the caller decides
    whether they are complete). NaN pressures count as unloaded. Blobs with fewer than
    ``min_sensor_frames`` loaded sensor-frames are dropped as noise.
    """
    p = p or PressureParams()
    c, n_sf = segment_blobs(frames, times, row_pitch_m, col_pitch_m, p)
    return c.take(np.flatnonzero(n_sf >= p.min_sensor_frames))


def segment_blobs(frames: Frames, times: np.ndarray, row_pitch_m: float,
                  col_pitch_m: float, p: PressureParams | None = None
                  ) -> tuple[Contacts, np.ndarray]:
    """Every blob of one block (no noise filter), in order of first frame, with its number
    of loaded sensor-frames. Callers that cut a recording into blocks need the small blobs
    too: a contact just starting at a block's last frame is still small there."""
    p = p or PressureParams()
    thr = p.threshold_ncm2
    if isinstance(frames, SparseFrames) and thr <= 0:  # unstored zeros would count as loaded
        frames = frames.to_dense()
    if isinstance(frames, SparseFrames):
        P: Frames = frames
        if P.value.dtype != np.float32:
            P = SparseFrames(P.shape, P.ptr, P.sensor, P.value.astype(np.float32))
        shape = P.shape
    else:
        P = np.asarray(frames, dtype=np.float32)
        shape = P.shape
    n_f = shape[0]
    if n_f == 0:
        return Contacts.empty(), np.empty(0, int)
    br = max(round(p.bridge_mm / 1000 / row_pitch_m / 2), 0)
    bc = max(int(p.bridge_cols), 0)
    loaded = _loaded_points(P, thr) if isinstance(P, SparseFrames) else _loaded_sensors(P, thr)
    if loaded is None:
        return Contacts.empty(), np.empty(0, int)
    f, r, c, val = loaded
    travel = belt_rows(times, p.belt_speed_mps, row_pitch_m)
    lbl = _label_sparse(f, r, c, shape, br, bc, travel)
    rs = None if travel is None else r - travel[f]  # rows in the belt's frame (footprints)
    val = val.astype(np.float64)
    x = (c + 0.5) * col_pitch_m
    r = r.astype(np.float64)
    # group sensor-frames by (label, frame); groups of one label are contiguous, frames ascending
    key = lbl * n_f + f
    order = np.argsort(key, kind="stable")
    key, lbl, f, r, x, val, c = key[order], lbl[order], f[order], r[order], x[order], val[order], c[order]
    g0 = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    if rs is not None:  # belt-frame rows from each contact's foremost one (small numbers)
        rs = rs[order]
        e0 = np.flatnonzero(np.r_[True, lbl[1:] != lbl[:-1]])
        rs = rs - np.repeat(np.minimum.reduceat(rs, e0), np.diff(np.r_[e0, rs.size]))
    g_lbl, g_f = lbl[g0], f[g0]
    sp = np.add.reduceat(val, g0)
    spx = np.add.reduceat(val * x, g0)
    spr = np.add.reduceat(val * r, g0)
    sprx = np.add.reduceat(val * r * x, g0)
    sprr = np.add.reduceat(val * r * r, g0)
    gmax = np.maximum.reduceat(val, g0)
    cov_g = sprx - spr * spx / sp  # within-frame: removes the belt's backward motion
    var_g = sprr - spr * spr / sp
    l0 = np.flatnonzero(np.r_[True, g_lbl[1:] != g_lbl[:-1]])  # first group of each label
    l1 = np.r_[l0[1:], g_lbl.size] - 1
    first, last = g_f[l0], g_f[l1]
    sum_p = np.add.reduceat(sp, l0)
    xc = np.add.reduceat(spx, l0) / sum_p
    cov, var = np.add.reduceat(cov_g, l0), np.add.reduceat(var_g, l0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx_drow = np.where(var > 0, cov / var, np.nan)  # m across per row backward
    # forward = decreasing row: dx/dforward = -dx_drow / row_pitch
    toe = np.degrees(np.arctan(-dx_drow / row_pitch_m))
    n_sf = np.add.reduceat(np.diff(np.r_[g0, key.size]), l0)
    axis = _footprint_axis(lbl, rs, c, first.size, row_pitch_m, col_pitch_m)
    spy = None  # summed pressure·y per group, y in the belt's frame (exact travel, not rows)
    if travel is not None and p.belt_speed_mps:
        t_g = np.asarray(times, dtype=np.float64)[g_f]
        spy = (np.add.reduceat(val * ((r + 0.5) * row_pitch_m), g0)
               - sp * (p.belt_speed_mps * (t_g - t_g.min())))
    ci, phase = _stance_phase(g_f, l0, first, last)
    shift = _gait_line_shift(sp, spx, ci, phase, spy, axis)

    # column / row extent of each contact, to look at the frames just outside it
    e0 = np.flatnonzero(np.r_[True, lbl[1:] != lbl[:-1]])
    cmin, cmax = np.minimum.reduceat(c, e0), np.maximum.reduceat(c, e0)
    rr = r.astype(np.int64)
    rmin, rmax = np.minimum.reduceat(rr, e0), np.maximum.reduceat(rr, e0)
    m_pre = np.zeros(first.size)
    m_post = np.zeros(first.size)
    if isinstance(P, SparseFrames):
        pre, post = np.flatnonzero(first > 0), np.flatnonzero(last < n_f - 1)
        m_pre[pre] = _edge_max_sparse(P, first[pre] - 1, rmin[pre], rmax[pre], cmin[pre],
                                      cmax[pre], thr)
        m_post[post] = _edge_max_sparse(P, last[post] + 1, rmin[post], rmax[post], cmin[post],
                                        cmax[post], thr)
    else:
        for i in range(first.size):  # one iteration per contact, not per sample
            box = (int(rmin[i]), int(rmax[i]), int(cmin[i]), int(cmax[i]))
            if first[i] > 0:
                m_pre[i] = _edge_max(P, int(first[i]) - 1, *box, thr)
            if last[i] < n_f - 1:
                m_post[i] = _edge_max(P, int(last[i]) + 1, *box, thr)
    m_first, m_last = gmax[l0], gmax[l1]
    t = np.asarray(times, dtype=np.float64)
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    tf, tl = t[first], t[last]
    t_pre = np.where(first > 0, t[np.maximum(first - 1, 0)], tf - dt)
    t_post = np.where(last < n_f - 1, t[np.minimum(last + 1, n_f - 1)], tl + dt)
    ic = _crossing(thr, m_pre, m_first, t_pre, tf)
    to = _crossing(thr, m_post, m_last, t_post, tl)
    ic = np.where(first > 0, ic, np.nan)
    to = np.where(last < n_f - 1, to, np.nan)
    gl_x, gl_y = _gait_lines(sp, spx, spy, ci, phase, l0, first, last)
    out = Contacts(ic, to, xc, toe, shift, first.astype(int), last.astype(int), axis, gl_x, gl_y)
    order_t = np.argsort(first, kind="stable")
    return out.take(order_t), n_sf[order_t]


def _footprint_axis(lbl: np.ndarray, rows_belt: np.ndarray | None, c: np.ndarray, n: int,
                    row_pitch_m: float, col_pitch_m: float) -> np.ndarray:
    """Long-axis angle per label (labels contiguous in ``lbl``, ``n`` of them), + forefoot
    toward the right, from each contact's footprint: the belt-frame cells its loaded
    sensor-frames cover, each cell once (``rows_belt``: :func:`belt_rows` frame, counted from
    each contact's foremost row; the angle does not depend on where the footprint lies, and
    a block's cells then fit a small bitmap). NaN without a belt speed."""
    if rows_belt is None:
        return np.full(n, np.nan)
    cid = np.cumsum(np.r_[0, lbl[1:] != lbl[:-1]])
    fid, fr, fc, _ = distinct_cells(cid, rows_belt, c)
    return foot_progression_angle(fr, fc, np.ones(fr.size), fid, np.ones(n), row_pitch_m,
                                  col_pitch_m)


BLOCK_MARGIN = 2  # frames kept before a block's frontier, for the sub-frame IC


def block_step(frames: Frames, times: np.ndarray, start: int, frontier: int, final: bool,
               row_pitch_m: float, col_pitch_m: float, p: PressureParams,
               must_advance: bool = True) -> tuple[Contacts, int]:
    """One step of block-wise segmentation, shared by the offline reader and the live tracker.

    ``frames``/``times`` hold global frames [start, start + n); ``frontier`` (>= start) is the
    first frame not yet accounted for. Returns the contacts complete in this block that
    start at or after the frontier (global frame indices), and the new frontier: the first
    frame of the earliest blob still loaded at the block's last frame (any size, so a
    contact just starting is never lost), else the block's end. ``final``: no frames follow.
    ``must_advance``: a blob open since the frontier (longer than the block) is given up
    and the frontier moves to the block's end; the live tracker instead grows its block.
    """
    c, n_sf = segment_blobs(frames, times, row_pitch_m, col_pitch_m, p)
    end = start + _n_frames(frames)
    g_first, g_last = c.first + start, c.last + start
    if final:
        new_frontier = end
        complete = np.ones(len(c), bool)
    else:
        open_ = (g_last == end - 1) & (g_first >= frontier)
        new_frontier = int(g_first[open_].min()) if open_.any() else end
        if must_advance and new_frontier <= frontier:
            new_frontier = end
        complete = g_last < end - 1
    sel = (g_first >= frontier) & (g_first < new_frontier) & complete & (n_sf >= p.min_sensor_frames)
    part = c.take(np.flatnonzero(sel))
    part.first = part.first + start
    part.last = part.last + start
    return part, new_frontier


def contacts_from_blocks(read: Callable[[int, int], Frames], times: np.ndarray,
                         row_pitch_m: float, col_pitch_m: float,
                         p: PressureParams | None = None, block_frames: int | None = None,
                         start: int = 0, stop: int | None = None) -> Contacts:
    """Contacts of a whole recording, reading frames [start, stop) with ``read`` block-wise.

    Each contact is reported by exactly one block: the one in which it starts at or after
    the block's frontier and ends before the block's last frame. A contact still loaded at
    the end of a block moves the next block's start back to it (plus two frames for the
    sub-frame IC), so contacts across block boundaries are measured whole.

    ``start``/``stop`` (global frame indices; default the whole of ``times``) let a caller
    split a long recording at frames without load (see :func:`unloaded_frame`) and
    process the parts independently: ``[0, k + 1)`` and ``[k, n)`` give the same contacts
    as ``[0, n)`` when frame ``k`` is unloaded.
    """
    p = p or PressureParams()
    times = np.asarray(times, dtype=np.float64)
    n = times.size if stop is None else min(int(stop), times.size)
    if block_frames is None:
        dt = float(np.median(np.diff(times))) if times.size > 1 else 1.0
        block_frames = max(int(p.block_s / dt) if dt > 0 else 1000, 64)
    parts: list[Contacts] = []
    frontier = int(start)
    while frontier < n:
        s = max(frontier - BLOCK_MARGIN, int(start))
        e = min(s + block_frames, n)
        part, new_frontier = block_step(read(s, e), times[s:e], s, frontier, e >= n,
                                        row_pitch_m, col_pitch_m, p)
        if len(part):
            parts.append(part)
        frontier = new_frontier
    return Contacts.concat(parts)


def unloaded_frame(read: Callable[[int, int], Frames], start: int, stop: int,
                   thr: float, step: int = 48) -> int | None:
    """First frame in [start, stop) with no finite sensor at or above ``thr`` (a flight
    phase or an empty belt): a safe place to cut a recording. None if there is none."""
    for a in range(int(start), int(stop), step):
        b = min(a + step, int(stop))
        x = read(a, b)
        if isinstance(x, SparseFrames):
            v = x.value.astype(np.float32)
            ok = (v >= thr) & np.isfinite(v)
            hit = np.bincount(x.frame_of_points()[ok], minlength=b - a) > 0
        else:
            x = np.asarray(x, dtype=np.float32).reshape(b - a, -1)
            hit = ((x >= thr) & np.isfinite(x)).any(axis=1)
        if not hit.all():
            return a + int(np.argmin(hit))
    return None
