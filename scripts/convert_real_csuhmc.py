"""Build the real-recording fixture ``data/real/csuhmc_vgrf_walk.*`` from GaitAnalysisToolKit 0.2.0.

Source: the ``GaitAnalysisToolKit`` 0.2.0 sdist on PyPI (Cleveland State University Human
Motion and Control Lab, Apache-2.0), file ``gaitanalysis/tests/data/example_vertical_grf.csv``:
one foot's vertical ground reaction force on the lab's instrumented treadmill during
walking, ~100 Hz, two columns (D-Flow time s, force N).

Reference events come from the *package authors'* own landmark function
``gaitanalysis.gait.gait_landmarks_from_grf`` (heel strike = first sample whose |force| is
at least the threshold after one below it, toe-off = first sample below it after one at
or above it). The package's module imports Octave bridges at import time, so this script
compiles just that function from the sdist's source (it needs only numpy when no filter is
asked for) and runs it unmodified on the recording. Nothing from the sdist is copied into
gaitlab except the CSV itself.

Runnable only with the sdist at hand (no network needed once it is downloaded)::

    pip download --no-deps --no-binary :all: -d /tmp/gatk GaitAnalysisToolKit==0.2.0
    python3 scripts/convert_real_csuhmc.py /tmp/gatk/GaitAnalysisToolKit-0.2.0.tar.gz

Writes ``data/real/csuhmc_vgrf_walk.csv`` (the CSV byte for byte) and
``data/real/csuhmc_vgrf_walk.json`` (provenance + reference events).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "real"
STEM = "csuhmc_vgrf_walk"
MEMBER_CSV = "gaitanalysis/tests/data/example_vertical_grf.csv"
MEMBER_SRC = "gaitanalysis/gait.py"
FUNC = "gait_landmarks_from_grf"
THRESHOLD_N = 50.0  # same contact threshold as gaitlab's default ForceParams.threshold_N


def _member(tf: tarfile.TarFile, suffix: str) -> bytes:
    for m in tf.getmembers():
        if m.name.endswith(suffix):
            f = tf.extractfile(m)
            if f is not None:
                return f.read()
    raise SystemExit(f"{suffix} not found in the sdist")


def authors_function(source: str) -> Any:
    """The authors' landmark function, compiled from the sdist's gait.py alone."""
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == FUNC), None)
    if node is None:
        raise SystemExit(f"{FUNC} not found in {MEMBER_SRC}")
    ns: dict[str, Any] = {"np": np}
    exec(compile(ast.Module(body=[node], type_ignores=[]), MEMBER_SRC, "exec"), ns)
    return ns[FUNC]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sdist", type=Path, help="GaitAnalysisToolKit-0.2.0.tar.gz")
    a = ap.parse_args()
    with tarfile.open(a.sdist) as tf:
        raw = _member(tf, MEMBER_CSV)
        src = _member(tf, MEMBER_SRC).decode()
    arr = np.loadtxt(io.BytesIO(raw), delimiter=",")
    t, f = arr[:, 0], arr[:, 1]
    landmarks = authors_function(src)
    # one foot only: pass it as "right" and a zero signal as "left"
    hs, _, to, _ = landmarks(t, f, np.zeros_like(f), threshold=THRESHOLD_N)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{STEM}.csv").write_bytes(raw)
    meta = {
        "source": "GaitAnalysisToolKit 0.2.0 (PyPI sdist), " + MEMBER_CSV,
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "recorded_by": "Cleveland State University Human Motion and Control Lab",
        "package_license": "Apache-2.0",
        "columns": ["time_s (D-Flow clock)", "vertical_grf_N (one foot)"],
        "n_samples": int(t.size),
        "median_dt_s": float(np.median(np.diff(t))),
        "reference": {
            "method": f"gaitanalysis.gait.{FUNC} (GaitAnalysisToolKit 0.2.0, run unmodified)",
            "threshold_N": THRESHOLD_N,
            "heel_strike_s": [float(v) for v in hs],
            "toe_off_s": [float(v) for v in to],
        },
    }
    (OUT / f"{STEM}.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{t.size} samples, {hs.size} heel strikes, {to.size} toe-offs -> {OUT}/{STEM}.*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
