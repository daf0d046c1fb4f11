"""Reference events for the real single-belt running trial RBDS0041 runT25 (2.5 m/s).

Reads the shared copies of the Fukuchi RBDS0041 files (``../shared/data/real``, see its
README: markers 150 Hz in mm, +X = progression, +Z = the runner's right; forces 300 Hz,
``Time`` = sample number), writes

* ``data/real/rbds0041_runT252_forces.txt.gz`` — the force file byte for byte, gzipped;
* ``data/real/rbds0041_runT252_reference.json`` — reference events computed here, by code
  that shares nothing with gaitlab's analysis:
  - per foot, heel strikes and toe-offs from the markers by the coordinate method of
    Zeni, Richards & Higginson 2008 (Gait Posture 27:710): heel strike at each maximum of
    the heel's anterior position relative to the sacrum, toe-off at each minimum of the
    toe's (here the midpoint of the MT1 and MT5 markers; sacrum = midpoint of the PSIS);
  - the times of the vertical-force peaks above 800 N at least 200 ms apart (one per
    foot contact on the one belt, :func:`scipy.signal.find_peaks`).

    python3 scripts/convert_real_rbds.py [SHARED_REAL_DIR]
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "real"
FORCES = "RBDS0041runT252forces.txt"
MARKERS = "RBDS0041runT252.txt.gz"
MARKER_HZ, FORCE_HZ = 150.0, 300.0
MIN_EVENT_SPACING_S = 0.4  # one event of a kind per foot per stride (~0.76 s at 2.5 m/s)


def zeni_events(m: np.ndarray, side: str) -> dict[str, list[float]]:
    """Heel strikes and toe-offs (s, frame / 150 Hz) of one foot by Zeni et al. 2008."""
    sacrum = (m["RPSISX"] + m["LPSISX"]) / 2
    heel = m[f"{side}HeelTopX"] - sacrum
    toe = (m[f"{side}MT1X"] + m[f"{side}MT5X"]) / 2 - sacrum
    d = int(MIN_EVENT_SPACING_S * MARKER_HZ)
    hs, _ = find_peaks(heel, distance=d)
    to, _ = find_peaks(-toe, distance=d)
    return {"heel_strike_s": [round(i / MARKER_HZ, 4) for i in hs],
            "toe_off_s": [round(i / MARKER_HZ, 4) for i in to]}


def main(src: Path) -> None:
    raw = (src / FORCES).read_bytes()
    with open(OUT / "rbds0041_runT252_forces.txt.gz", "wb") as out, \
            gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    with gzip.open(src / MARKERS, "rt") as fh:
        m = np.genfromtxt(fh, delimiter="\t", names=True)
    f = np.genfromtxt(src / FORCES, delimiter="\t", names=True)
    peaks, _ = find_peaks(f["Fy"], height=800.0, distance=int(0.2 * FORCE_HZ))
    ref = {
        "source": f"{FORCES} and {MARKERS} (Fukuchi, github.com/regifukuchi/BMC-RIC-running-"
                  "biomechanics, CC BY 4.0; see data/real/README.md)",
        "forces_sha256": hashlib.sha256(raw).hexdigest(),
        "n_force_samples": int(f.size), "force_hz": FORCE_HZ, "marker_hz": MARKER_HZ,
        "method": "Zeni et al. 2008 coordinate method on heel / MT1-MT5 midpoint vs PSIS "
                  "midpoint along +X; force peaks > 800 N >= 200 ms apart",
        "force_peak_s": [round(i / FORCE_HZ, 4) for i in peaks],
        "L": zeni_events(m, "L"), "R": zeni_events(m, "R"),
    }
    (OUT / "rbds0041_runT252_reference.json").write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "real")
