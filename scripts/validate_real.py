"""Real recording end to end: a public overground-walking trial through ``analyze_session``.

Source: Fukuchi, Fukuchi & Duarte (2018), "A public dataset of overground and treadmill
walking kinematics and kinetics in healthy individuals", PeerJ 6:e4640 (data CC-BY 4.0;
gaitkit cites doi 10.7717/peerj.5960, the paper's own is 10.7717/peerj.4640), as excerpted in the
``gaitkit`` 1.5.0 package on PyPI (MIT; ``gaitkit/data/example_healthy.json``): 374 frames at
150 Hz, expert-annotated heel strikes / toe-offs and the heel marker trajectories, with a reference cadence.

The excerpt (``data/real/fukuchi2018_walk_events.json``) is turned into a gaitlab session
file (schema ``gaitlab.session/1``, plain h5py): one Markers stream with "IC L" / "TO L" /
"IC R" / "TO R" events stamped frame / fps. gaitlab then computes cadence and contact
times from the events; they are compared with the reference cadence and with contact
times derived independently here (IC → next same-side TO).

    python3 scripts/validate_real.py [--out session.h5]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pylsl

from gaitlab import __version__

ROOT = Path(__file__).resolve().parents[1]
EXCERPT = ROOT / "data" / "real" / "fukuchi2018_walk_events.json"
T0 = 5000.0  # LSL time of frame 0
CADENCE_TOL_SPM = 1.0  # documented tolerance vs the dataset's reference cadence
# gaitlab's defaults are for running; this trial is walking (longer contacts, 6 steps)
WALKING = {"pressure": {"max_contact_ms": 1000.0}, "sides": {"min_bout_steps": 3}}
STR = h5py.string_dtype("utf-8")


def load_excerpt(path: Path = EXCERPT) -> dict:
    return json.loads(Path(path).read_text())


def events(ex: dict) -> list[tuple[float, str]]:
    fps = float(ex["fps"])
    out = [(T0 + f / fps, f"{kind} {side[0].upper()}")
           for kind, key in (("IC", "hs_frames"), ("TO", "to_frames"))
           for side, frames in ex[key].items() for f in frames]
    return sorted(out)


def write_session(ex: dict, path: Path) -> Path:
    """Session file with the annotated events as a Markers stream (docs/hdf5-schema.md)."""
    ev = events(ex)
    dur = float(ex["n_frames"]) / float(ex["fps"])
    info = pylsl.StreamInfo("Fukuchi2018-events", "Markers", 1, 0, "string", "fukuchi2018-ex")
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs.update({"schema": "gaitlab.session/1", "software": f"gaitlab {__version__} "
                        "(scripts/validate_real.py)", "created_utc": "1970-01-01T00:00:00+00:00",
                        "recorder_host": socket.gethostname(),
                        "lsl_library_version": pylsl.library_version(), "complete": 1,
                        "start_lsl_time": T0, "stop_lsl_time": T0 + dur})
        f.create_group("athlete").attrs["name"] = "Fukuchi 2018 participant (gaitkit excerpt)"
        g = f.create_group("streams").create_group("Fukuchi2018-events")
        g.attrs.update({"name": info.name(), "type": "Markers", "source_id": info.source_id(),
                        "hostname": socket.gethostname(), "channel_count": 1,
                        "nominal_srate": 0.0, "channel_format": "string", "role": "markers",
                        "info_xml": info.as_xml(), "first_seen_lsl_time": T0})
        g.create_dataset("channel_labels", data=np.array(["marker"], dtype=object), dtype=STR)
        g.create_dataset("channel_units", data=np.array([""], dtype=object), dtype=STR)
        g.create_dataset("clock_offsets", data=np.array([[T0, 0.0]]), maxshape=(None, 2))
        g.create_dataset("gaps", shape=(0, 2), dtype=np.float64, maxshape=(None, 2))
        g.create_dataset("time_stamps", data=np.array([t for t, _ in ev]), maxshape=(None,))
        d = g.create_dataset("data", (len(ev), 1), dtype=STR, maxshape=(None, 1))
        d[:, 0] = [s for _, s in ev]
    return path


def reference(ex: dict) -> dict[str, float]:
    """Reference values: the dataset's cadence, and contact times IC → next same-side TO
    (before the next same-side IC) from the annotated frames."""
    fps = float(ex["fps"])
    ct: list[float] = []
    for side in ("left", "right"):
        ic, to = np.sort(ex["hs_frames"][side]), np.sort(ex["to_frames"][side])
        for i, f in enumerate(ic):
            nxt = ic[i + 1] if i + 1 < ic.size else np.inf
            after = to[(to > f) & (to < nxt)]
            if after.size:
                ct.append((after[0] - f) / fps * 1000)
    return {"cadence_spm": float(ex["reference_cadence_spm"]),
            "contact_time_ms_mean": float(np.mean(ct)) if ct else float("nan")}


def compare(session: Path, ex: dict) -> dict[str, dict[str, float | None]]:
    from gaitlab.analysis.pipeline import analyze_session

    res = analyze_session(session, WALKING)
    gm = res.metrics.get("gait") or {}
    ref = reference(ex)
    ct = gm.get("contact_time_ms") or {}
    vals = [v for v in (ct.get("L"), ct.get("R")) if isinstance(v, int | float)]
    return {
        "cadence_spm": {"gaitlab": gm.get("cadence_spm"), "reference": ref["cadence_spm"]},
        "contact_time_ms_mean": {"gaitlab": float(np.mean(vals)) if vals else None,
                                 "reference": ref["contact_time_ms_mean"]},
        "n_steps": {"gaitlab": gm.get("n_steps"), "reference": None},
        "_notes": {"notes": res.notes.get("gait"), "warnings": "; ".join(res.warnings)},  # type: ignore[dict-item]
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="keep the session file here")
    a = ap.parse_args()
    ex = load_excerpt()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_session(ex, a.out or Path(tmp) / "fukuchi2018.h5")
        cmp_ = compare(path, ex)
    print(f"Source: {ex['source']} (doi {ex['doi']}), {ex['n_frames']} frames at {ex['fps']} Hz\n")
    print("| metric | gaitlab | reference |\n|---|---|---|")
    for k, v in cmp_.items():
        if not k.startswith("_"):
            print(f"| {k} | {v['gaitlab']} | {v['reference']} |")
    print(f"\nnotes: {cmp_['_notes']}")
    c = cmp_["cadence_spm"]
    ok = c["gaitlab"] is not None and abs(c["gaitlab"] - c["reference"]) <= CADENCE_TOL_SPM
    print(f"cadence within ±{CADENCE_TOL_SPM} spm: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
