"""LabMonitor: every LSL stream in the lab, pulled into ring buffers for the live views.

Threads (none of them Qt):

* the recorder's :class:`~gaitlab.record.connector.Connector` resolves streams
  continuously, opens one inlet per stream and measures clock offsets every ~5 s, off the
  pulling path; a lost stream is reopened when its source_id comes back;
* the *pull* thread drains every inlet in numpy chunks (``pull_chunk(dest_obj=...)``, up to
  ``max_rows`` rows per call, looped until empty) into :class:`RingBuffer` objects, in SI
  units, with the sources' raw stamps (the clock offset is kept beside them: on one
  machine it is ~0; ``latest_time`` adds it);
* the *processing* thread reads what is new in the rings and feeds the live trackers
  (:class:`~gaitlab.analysis.online.LivePressureGait`, one
  :class:`~gaitlab.analysis.online.LiveEmgChannel` per GMED channel, and
  :class:`~gaitlab.analysis.online.LivePelvis` for a sacral IMU through
  :class:`~gaitlab.live.pelvis.PelvisFeed`), the pressure COP trace and the EMG display
  envelope.

The widgets call the snapshot accessors (``emg_view``, ``force_view``, ``pressure_view``,
``gait_view``, ``pelvis_view``, ``health`` …), which return copies and never block on LSL.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pylsl
from pylsl.util import LostError

from gaitlab.analysis import emg as E
from gaitlab.analysis.online import CycleResult, LiveEmgChannel, LiveEmgParams, LivePressureGait, StepResult
from gaitlab.analysis.params import EmgParams, PressureParams
from gaitlab.errors import GaitlabError
from gaitlab.live.buffers import RingBuffer
from gaitlab.live.health import StreamHealth, count_drops, measured_rate, status_of
from gaitlab.live.pelvis import PelvisFeed, PelvisView, pelvis_sensor
from gaitlab.live.processing import cop_of_frames, emg_display_envelope, running_peak
from gaitlab.record.connector import Connector, ConnectorWarning, Offset, Opened
from gaitlab.record.filters import StreamFilter
from gaitlab.streams import PressureGeometry, StreamSpec, check_montage, parse_info_xml

ROLES = ("emg", "pressure", "force_treadmill", "dynamometer", "markers", "imu", "belt_speed",
         "other")
ENVELOPE_HOP_S = 0.1  # display envelope recomputed this often
ENV_TAIL_S = 2.0  # display envelope: filtered over this newest span at each hop ...
ENV_SETTLE_S = 0.9  # ... and spliced onto the previous one this far before the newest sample
MAINS_PROBE_S = 2.0  # EMG used to detect mains lines before the GMED trackers start


@dataclass
class EmgView:
    key: str
    labels: list[str]  # MUSCLE_SIDE per column (montage applied), or the raw label
    fs: float
    t: np.ndarray  # (n,) local LSL s
    raw: np.ndarray  # (n, k) V
    env_t: np.ndarray
    env: np.ndarray  # (m, k) V


@dataclass
class ForceView:
    key: str
    t: np.ndarray
    force: np.ndarray  # N
    peak: float  # since the last reset_peak()
    current: float


@dataclass
class PressureView:
    key: str
    geometry: PressureGeometry
    frame: np.ndarray  # (rows, cols) newest frame, N/cm^2
    frame_t: float
    cop_t: np.ndarray  # the gait line: recent COP (m, x from the left edge, y from the back)
    cop_x: np.ndarray
    cop_y: np.ndarray


@dataclass
class GaitView:
    steps: list[StepResult]  # latest result per contact, oldest first
    cadence_spm: float  # running cadence of the newest valid step (NaN before)
    session_cadence_spm: float
    gmed: dict[str, list[CycleResult]] = field(default_factory=dict)  # "L"/"R" -> cycles


class _Stream:
    """State of one stream identity (survives the source going away and coming back)."""

    def __init__(self, identity: str, xml: str, buffer_s: float, max_rows: int):
        self.identity = identity
        self.xml = xml
        self.error = ""
        try:
            self.spec: StreamSpec | None = parse_info_xml(xml)
        except GaitlabError as exc:
            self.spec, self.error = None, str(exc)
        self.name = self.spec.name if self.spec else identity
        self.type = self.spec.type if self.spec else ""
        self.channels = self.spec.channel_count if self.spec else 1
        self.srate = self.spec.nominal_srate if self.spec else 0.0
        self.role = self.spec.role if self.spec else "other"
        self.montage: dict[str, str] = {}
        self.is_string = bool(self.spec and self.spec.is_string) or self.spec is None
        self.scale = np.asarray(self.spec.si_scale() if self.spec else [1.0], np.float32)
        self.inlet: pylsl.StreamInlet | None = None
        self.handle = -1
        self.connected = False
        self.samples = self.gaps = self.dropped = self.reconnects = 0
        self.last_ts: float | None = None
        self.last_arrival = pylsl.local_clock()
        self.offset = float("nan")
        self.latency: list[float] = []  # arrival - stamp of the newest sample per chunk
        if self.is_string:
            self.markers: list[tuple[float, str]] = []
            self.ring = None
            self.scratch = None
        else:
            rows = max(16, min(max_rows, int(self.srate) * 2 or 1024))
            # pressure frames are big: keep ~4 s; other streams buffer_s
            keep_s = 4.0 if self.channels > 256 else buffer_s
            cap = int(max(self.srate, 10) * keep_s)
            self.ring = RingBuffer(cap, self.channels, np.float32)
            self.scratch = np.empty((rows, self.channels), np.float32)

    @property
    def key(self) -> str:
        return self.identity


class LabMonitor:
    """Watch every LSL stream (or those matching ``filters``) for the live views.

    ``start()`` / ``stop()`` (or use it as a context manager). All accessors are
    thread-safe and return copies.
    """

    def __init__(self, filters: StreamFilter | None = None, *, buffer_s: float = 12.0,
                 pull_period_s: float = 0.004, max_rows: int = 8192,
                 offset_interval_s: float = 5.0, gait_line_s: float = 3.0,
                 emg_params: EmgParams | None = None, live_emg: LiveEmgParams | None = None):
        self.filters = filters or StreamFilter()
        self.buffer_s = buffer_s
        self.pull_period_s = pull_period_s
        self.max_rows = max_rows
        self.gait_line_s = gait_line_s
        self.emg_params = emg_params or EmgParams()
        self.live_emg = live_emg or LiveEmgParams()
        self._outbox: queue.Queue = queue.Queue()
        self._connector = Connector(self.filters, self._outbox, offset_interval_s=offset_interval_s,
                                    max_buflen_s=max(2, int(buffer_s)))
        self._streams: dict[str, _Stream] = {}
        self._by_handle: dict[int, _Stream] = {}
        self._lock = threading.RLock()
        self._quit = threading.Event()
        self._pull_thread = threading.Thread(target=self._pull_loop, name="gaitlab-live-pull",
                                             daemon=True)
        self._proc_thread = threading.Thread(target=self._proc_loop, name="gaitlab-live-proc",
                                             daemon=True)
        self.warnings: list[str] = []
        # processing state (processing thread writes, accessors copy under the lock)
        self._read_pos: dict[str, int] = {}
        self._env: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._env_due: dict[str, float] = {}
        self._cop: dict[str, RingBuffer] = {}
        self._gait: dict[str, LivePressureGait] = {}
        self._steps: dict[int, StepResult] = {}
        self._ic_sent: set[tuple[int, int]] = set()
        self._emg_chan: dict[tuple[str, int], tuple[str, LiveEmgChannel]] = {}
        self._emg_ready: set[str] = set()
        self._gmed: dict[str, list[CycleResult]] = {"L": [], "R": []}
        self._peak: dict[str, float] = {}
        self._gait_key = ""
        self._pelvis: PelvisFeed | None = None
        self._pelvis_skip: set[str] = set()  # IMU streams with no pelvis sensor
        self.proc_errors: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LabMonitor:
        self._connector.start()
        self._pull_thread.start()
        self._proc_thread.start()
        return self

    def stop(self) -> None:
        self._quit.set()
        self._connector.stop()
        for th in (self._pull_thread, self._proc_thread, self._connector):
            if th.is_alive():
                th.join(timeout=5.0)

    def __enter__(self) -> LabMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ configuration
    def set_role(self, key: str, role: str) -> None:
        """Correct a stream's role (e.g. a force stream misread as treadmill)."""
        if role not in ROLES:
            raise GaitlabError(f"unknown role '{role}'; choose from {', '.join(ROLES)}")
        with self._lock:
            st = self._get(key)
            if st.is_string and role != "markers":
                raise GaitlabError(f"stream '{st.name}' carries strings; it can only be markers")
            st.role = role
            self._reset_processing(key)

    def set_montage(self, key: str, montage: dict[str, str]) -> dict[str, str]:
        """Map an EMG stream's channel labels to MUSCLE_SIDE names ({"EMG1": "GMED_L"}); checked
        with :func:`gaitlab.streams.check_montage` (one-line error). Returns the montage as
        applied (names upper-cased, empty entries dropped)."""
        with self._lock:
            st = self._get(key)
            if st.spec is None or st.role != "emg":
                raise GaitlabError(f"stream '{st.name}' is not an EMG stream; a montage maps EMG "
                                   "channels (correct its role first if it is one)")
            clean = check_montage(st.spec.labels, montage)
            st.montage = clean
            self._reset_processing(key)
        return clean

    def montage(self, key: str) -> dict[str, str]:
        """The montage set with :meth:`set_montage` ({} when none)."""
        with self._lock:
            return dict(self._get(key).montage)

    def reset_peak(self, key: str | None = None) -> None:
        with self._lock:
            for k in [key] if key else list(self._peak):
                self._peak[k] = float("nan")

    # ------------------------------------------------------------------ accessors
    def keys(self, role: str | None = None) -> list[str]:
        with self._lock:
            return [k for k, s in self._streams.items() if role is None or s.role == role]

    def spec(self, key: str) -> StreamSpec | None:
        with self._lock:
            return self._get(key).spec

    def health(self) -> list[StreamHealth]:
        now = pylsl.local_clock()
        out = []
        with self._lock:
            streams = list(self._streams.values())
        for s in streams:
            rate = measured_rate(s.ring.times(seconds=2.5)) if s.ring is not None else 0.0
            since = now - s.last_arrival
            out.append(StreamHealth(s.key, s.name, s.type, s.role, s.channels, s.srate, rate,
                                    s.samples, s.gaps, s.dropped, s.offset, since,
                                    status_of(s.connected, since, s.srate), s.reconnects, s.error))
        return out

    def latest_time(self, key: str) -> float:
        """Local LSL time of the newest sample received from a stream (NaN before any)."""
        with self._lock:
            st = self._streams.get(key)
        if st is None:
            return float("nan")
        off = st.offset if np.isfinite(st.offset) else 0.0
        if st.ring is not None:
            return st.ring.latest_time() + off
        return st.markers[-1][0] + off if st.markers else float("nan")

    def clock_offset(self, key: str) -> float:
        """Clock offset (s) to add to a stream's raw stamps (0 before the first measurement)."""
        with self._lock:
            st = self._streams.get(key)
            return float(st.offset) if st is not None and np.isfinite(st.offset) else 0.0

    def arrival_latency(self, key: str) -> np.ndarray:
        """Stamp-to-pull latency (s) of the newest sample of each chunk (recent chunks)."""
        with self._lock:
            return np.asarray(self._get(key).latency, np.float64)

    def emg_labels(self, key: str) -> list[str]:
        with self._lock:
            st = self._get(key)
            if st.spec is None:
                return [f"ch{i + 1}" for i in range(st.channels)]
            m = st.spec.emg_muscles(st.montage)
            return [f"{m[i][0]}_{m[i][1]}" if i in m else c.label
                    for i, c in enumerate(st.spec.channels)]

    def emg_view(self, seconds: float = 5.0, key: str | None = None) -> EmgView | None:
        key = key or next(iter(self.keys("emg")), None)
        if key is None:
            return None
        st = self._get(key)
        assert st.ring is not None
        t, raw = st.ring.snapshot(seconds=seconds)
        with self._lock:
            env_t, env = self._env.get(key, (np.empty(0), np.empty((0, st.channels))))
            lo = int(np.searchsorted(env_t, t[0])) if len(t) else 0
            env_t, env = env_t[lo:].copy(), env[lo:].copy()
        return EmgView(key, self.emg_labels(key), st.srate, t, raw, env_t, env)

    def force_view(self, seconds: float = 10.0, key: str | None = None) -> ForceView | None:
        key = key or next(iter(self.keys("dynamometer")), None)
        if key is None:
            return None
        st = self._get(key)
        assert st.ring is not None
        t, f = st.ring.snapshot(seconds=seconds)
        with self._lock:
            peak = self._peak.get(key, float("nan"))
        cur = float(f[-1, 0]) if len(f) else float("nan")
        return ForceView(key, t, f[:, 0].astype(np.float64), peak, cur)

    def pressure_view(self, key: str | None = None, hold_s: float = 0.0) -> PressureView | None:
        """Newest pressure frame, or with ``hold_s`` > 0 the per-sensor maximum over that span
        (a display hold: a running foot is in the air ~30 % of the time)."""
        key = key or next(iter(self.keys("pressure")), None)
        if key is None:
            return None
        st = self._get(key)
        if st.spec is None or st.spec.geometry is None or st.ring is None:
            return None
        geo = st.spec.geometry
        t, f = st.ring.snapshot(seconds=hold_s) if hold_s > 0 else st.ring.snapshot(max_rows=1)
        frame = f.max(axis=0).reshape(geo.rows, geo.cols) if len(f) else np.zeros(
            (geo.rows, geo.cols), np.float32)
        with self._lock:
            cop = self._cop.get(key)
        if cop is not None:
            ct, cxy = cop.snapshot(seconds=self.gait_line_s)
        else:
            ct, cxy = np.empty(0), np.empty((0, 2))
        return PressureView(key, geo, frame, float(t[-1]) if len(t) else float("nan"), ct,
                            cxy[:, 0].astype(np.float64), cxy[:, 1].astype(np.float64))

    def gait_view(self) -> GaitView:
        with self._lock:
            steps = [self._steps[i] for i in sorted(self._steps)]
            gait = self._gait.get(self._gait_key)
            sess = gait.session_cadence_spm if gait is not None else float("nan")
            gmed = {k: list(v) for k, v in self._gmed.items()}
        cad = next((s.cadence_spm for s in reversed(steps) if np.isfinite(s.cadence_spm)),
                   float("nan"))
        return GaitView(steps, cad, sess, gmed)

    def pelvis_view(self, seconds: float = 10.0) -> PelvisView | None:
        """The sacral IMU's obliquity trace and per-stance pelvic drop; None without one."""
        with self._lock:
            feed = self._pelvis
        return feed.view(seconds) if feed is not None else None

    def markers(self, since: float = -np.inf) -> list[tuple[float, str]]:
        out: list[tuple[float, str]] = []
        with self._lock:
            for s in self._streams.values():
                if s.is_string and s.role == "markers":
                    out += [m for m in s.markers if m[0] >= since]
        return sorted(out)

    # ------------------------------------------------------------------ internals
    def _get(self, key: str) -> _Stream:
        with self._lock:
            st = self._streams.get(key)
        if st is None:
            raise GaitlabError(f"no stream '{key}' in the lab; pick one from the stream panel")
        return st

    def _reset_processing(self, key: str) -> None:
        self._env.pop(key, None)
        self._emg_ready.discard(key)
        for k in [k for k in self._emg_chan if k[0] == key]:
            del self._emg_chan[k]
        if key in self._gait:
            del self._gait[key]
            self._steps.clear()
            self._ic_sent.clear()
        self._cop.pop(key, None)
        if self._pelvis is not None and self._pelvis.key == key:
            self._pelvis = None

    def _warn(self, text: str) -> None:
        with self._lock:
            self.warnings.append(text)

    # --- pull thread ------------------------------------------------------------------
    def _pull_loop(self) -> None:
        while not self._quit.is_set():
            self._drain_connector()
            with self._lock:
                streams = [s for s in self._streams.values() if s.inlet is not None]
            for s in streams:
                try:
                    self._pull(s)
                except LostError:
                    self._lost(s)
                except Exception as exc:  # a broken source must not stop the others
                    self._warn(f"stream '{s.name}': {type(exc).__name__}: {exc}")
                    self._lost(s)
            self._quit.wait(self.pull_period_s)

    def _drain_connector(self) -> None:
        while True:
            try:
                msg = self._outbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(msg, Opened):
                self._adopt(msg)
            elif isinstance(msg, Offset):
                with self._lock:
                    st = self._by_handle.get(msg.handle)
                    if st is not None:
                        st.offset = msg.offset
            elif isinstance(msg, ConnectorWarning):
                self._warn(msg.text)

    def _adopt(self, msg: Opened) -> None:
        with self._lock:
            st = self._streams.get(msg.identity)
            if st is not None and st.xml != msg.info_xml:
                new = _Stream(msg.identity, msg.info_xml, self.buffer_s, self.max_rows)
                if (new.channels, new.is_string) != (st.channels, st.is_string):
                    self._reset_processing(msg.identity)
                    new.reconnects = st.reconnects + 1
                    st = self._streams[msg.identity] = new
            if st is None:
                st = _Stream(msg.identity, msg.info_xml, self.buffer_s, self.max_rows)
                self._streams[msg.identity] = st
            else:  # the same source (source_id) came back
                st.reconnects += 1
            st.inlet, st.handle, st.connected = msg.inlet, msg.handle, True
            st.last_arrival = pylsl.local_clock()
            self._by_handle[msg.handle] = st

    def _lost(self, s: _Stream) -> None:
        with self._lock:
            s.inlet, s.connected = None, False
            self._by_handle.pop(s.handle, None)
        self._connector.report_lost(s.handle)

    def _pull(self, s: _Stream) -> None:
        inlet = s.inlet
        assert inlet is not None
        while True:
            if s.is_string:
                samples, ts = inlet.pull_chunk(timeout=0.0, max_samples=self.max_rows)
                k = len(ts)
                if k:
                    now = pylsl.local_clock()
                    with self._lock:
                        s.markers += [(float(t), str(v[0]) if v else "")
                                      for t, v in zip(ts, samples, strict=True)]
                        del s.markers[:-1000]
                    self._account(s, np.asarray(ts, np.float64), now)
                if k < self.max_rows:
                    return
                continue
            buf = s.scratch
            assert buf is not None and s.ring is not None
            _, ts = inlet.pull_chunk(timeout=0.0, max_samples=len(buf), dest_obj=buf)
            k = len(ts)
            if k == 0:
                return
            now = pylsl.local_clock()
            t = np.asarray(ts, np.float64)
            x = buf[:k]
            if not np.all(s.scale == 1.0):
                x = x * s.scale
            s.ring.extend(t, x)
            self._account(s, t, now)
            if k < len(buf):
                return

    def _account(self, s: _Stream, t: np.ndarray, now: float) -> None:
        gaps, missing = count_drops(t, s.last_ts, s.srate)
        off = 0.0 if not np.isfinite(s.offset) else s.offset
        with self._lock:
            s.gaps += gaps
            s.dropped += missing
            s.samples += len(t)
            s.last_ts = float(t[-1])
            s.last_arrival = now
            s.latency.append(now - (float(t[-1]) + off))
            del s.latency[:-2000]

    # --- processing thread ------------------------------------------------------------
    def _proc_loop(self) -> None:
        while not self._quit.is_set():
            with self._lock:
                streams = [s for s in self._streams.values() if s.ring is not None]
            for s in streams:
                try:
                    self._process(s)
                except GaitlabError as exc:
                    with self._lock:
                        self.proc_errors.append(f"{s.name}: {exc}")
                        del self.proc_errors[:-50]
                    self._reset_processing(s.key)
            self._quit.wait(0.02)

    def _new_rows(self, s: _Stream) -> tuple[np.ndarray, np.ndarray]:
        assert s.ring is not None
        pos = self._read_pos.get(s.key, s.ring.total - len(s.ring))
        t, x, self._read_pos[s.key] = s.ring.since(pos)
        return t, x

    def _process(self, s: _Stream) -> None:
        role = s.role
        t, x = self._new_rows(s)
        if role == "dynamometer" and len(t):
            with self._lock:
                self._peak[s.key] = running_peak(self._peak.get(s.key, float("nan")), x[:, 0])
        elif role == "pressure" and s.spec is not None and s.spec.geometry is not None:
            self._process_pressure(s, t, x)
        elif role == "emg":
            self._process_emg(s, t, x)
        elif role == "imu" and s.spec is not None and s.key not in self._pelvis_skip:
            self._process_imu(s, t, x)

    def _process_imu(self, s: _Stream, t: np.ndarray, x: np.ndarray) -> None:
        assert s.spec is not None
        feed = self._pelvis
        if feed is None:
            sensor, why = pelvis_sensor(s.spec)
            if sensor is None or not s.srate > 0:
                self._pelvis_skip.add(s.key)
                self._warn(f"stream '{s.name}': no live pelvic drop ({why or 'no nominal rate'})")
                return
            feed = PelvisFeed(s.key, s.spec, sensor, s.scale)
            with self._lock:
                self._pelvis = feed
        elif feed.key != s.key:
            return  # one pelvis sensor per session: the first one found
        if feed.tracker.calibration is None:
            self._pelvis_static(feed)
            self._pelvis_stances(feed)
        if len(t):
            feed.feed(t, x)
            self._pelvis_stances(feed)

    def _pelvis_static(self, feed: PelvisFeed) -> None:
        """The console's guided stand-still step (static_start/static_end markers)."""
        marks = self.markers()
        start = [t for t, m in marks if m.strip().lower() == "static_start"]
        if start:
            end = [t for t, m in marks if m.strip().lower() == "static_end" and t > start[-1]]
            if end:
                off = self.clock_offset(feed.key)
                with self._lock:
                    m_off = next((st.offset for st in self._streams.values()
                                  if st.is_string and st.role == "markers" and np.isfinite(st.offset)), 0.0)
                feed.mark_static(start[-1] + m_off - off, end[0] + m_off - off)

    def _pelvis_stances(self, feed: PelvisFeed) -> None:
        """Every confirmed running contact not yet given, on the IMU's clock."""
        with self._lock:
            new = [r for i, r in sorted(self._steps.items())
                   if not r.provisional and r.bout >= 0 and r.side in (0, 1) and not feed.given(i)]
        if not new:
            return
        shift = self.clock_offset(self._gait_key) - self.clock_offset(feed.key)
        for r in new:
            feed.add_stance(r.index, r.side_name, r.ic + shift, r.to + shift)

    def _process_pressure(self, s: _Stream, t: np.ndarray, x: np.ndarray) -> None:
        geo = s.spec.geometry  # type: ignore[union-attr]
        assert geo is not None
        if not len(t):
            return
        cx, cy, _ = cop_of_frames(x, geo)
        with self._lock:
            if s.key not in self._cop:
                self._cop[s.key] = RingBuffer(int(max(s.srate, 60) * 10), 2, np.float64)
                # the offline analysis labels contacts in the belt's frame when the
                # stream declares its belt speed: the live tracker does the same
                pp = PressureParams(belt_speed_mps=geo.belt_speed_mps or None)
                self._gait[s.key] = LivePressureGait(geo.rows, geo.cols, geo.row_pitch_m,
                                                     geo.col_pitch_m, pressure=pp)
                self._gait_key = s.key
            cop, gait = self._cop[s.key], self._gait[s.key]
        cop.extend(t, np.column_stack([cx, cy]))
        results = gait.feed(x, t)
        if not results:
            return
        with self._lock:
            for r in results:
                self._steps[r.index] = r
            if len(self._steps) > 400:
                for i in sorted(self._steps)[:-400]:
                    del self._steps[i]
            chans = list(self._emg_chan.values())
        for r in results:
            if r.provisional or r.side not in (0, 1) or (r.index, r.side) in self._ic_sent:
                continue
            self._ic_sent.add((r.index, r.side))
            side = r.side_name
            for sd, ch in chans:
                if sd == side:
                    ch.add_ic(r.ic)

    def _process_emg(self, s: _Stream, t: np.ndarray, x: np.ndarray) -> None:
        assert s.ring is not None
        now = time.monotonic()
        if now >= self._env_due.get(s.key, 0.0):
            self._env_due[s.key] = now + ENVELOPE_HOP_S
            # only the newest ENV_TAIL_S are filtered (16 channels × 7 s every hop took more
            # than the hop); values older than ENV_SETTLE_S before the tail's end are kept
            wt, wx = s.ring.snapshot(seconds=ENV_TAIL_S)
            env = emg_display_envelope(wx, s.srate, None, self.emg_params)
            with self._lock:
                ot, oe = self._env.get(s.key, (wt[:0], env[:0]))
            if len(wt) and len(ot):
                cut = wt[-1] - ENV_SETTLE_S
                keep = (ot < cut) & (ot >= wt[-1] - (self.buffer_s / 2 + 1.0))
                new_rows = wt >= cut
                if ot[keep].size and ot[keep][-1] >= wt[0]:  # contiguous: splice
                    wt = np.concatenate([ot[keep], wt[new_rows]])
                    env = np.concatenate([oe[keep], env[new_rows]])
            with self._lock:
                self._env[s.key] = (wt, env)
        if s.key not in self._emg_ready:
            wt, wx = s.ring.snapshot()
            if len(wt) < MAINS_PROBE_S * s.srate:
                return  # the trackers start after the probe; their calibration needs no more
            _, notches = E.detect_mains(wx, s.srate, self.emg_params.mains_min_ratio)
            muscles = s.spec.emg_muscles(s.montage) if s.spec else {}
            with self._lock:
                for i, (muscle, side) in muscles.items():
                    if muscle == "GMED":
                        self._emg_chan[(s.key, i)] = (side, LiveEmgChannel(
                            s.srate, self.emg_params, notches, live=self.live_emg))
                self._emg_ready.add(s.key)
                ics = [(r.ic, r.side_name) for (idx, _sd) in self._ic_sent
                       if (r := self._steps.get(idx)) is not None]
            for (k, _i), (side, ch) in list(self._emg_chan.items()):
                if k == s.key:
                    ch.add_ic(np.array([ic for ic, sd in ics if sd == side]))
            t, x = wt, wx
        if not len(t):
            return
        with self._lock:
            chans = [(i, side, ch) for (k, i), (side, ch) in self._emg_chan.items() if k == s.key]
        for i, side, ch in chans:
            res = ch.feed(x[:, i], t)
            if res:
                with self._lock:
                    cycles = self._gmed[side]
                    revised = {c.ic for c in res if c.revised}
                    if revised:  # a revision replaces the first result for its IC
                        cycles[:] = [c for c in cycles if c.ic not in revised]
                    cycles += res
                    del cycles[:-400]
