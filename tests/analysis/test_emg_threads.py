"""EMG channels analysed in a thread pool give exactly the serial result."""

from __future__ import annotations

import json

import numpy as np

from gaitlab.analysis import pipeline
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import load_protocol


def test_threaded_emg_equals_serial(tmp_path, monkeypatch):
    model = build_session(load_profile("default"), load_protocol("run"), seed=3, run_duration_s=12)
    path = write_offline_session(model, tmp_path / "run.h5", devices=("emg", "pressure", "markers"))
    monkeypatch.setattr(pipeline, "_emg_workers", lambda n: 1)
    serial = pipeline.analyze_session(path)
    monkeypatch.setattr(pipeline, "_emg_workers", lambda n: 4)
    threaded = pipeline.analyze_session(path)
    assert serial.metrics["emg"] and any(m["n_cycles"] > 5 for m in serial.metrics["emg"].values())
    assert json.dumps(threaded.metrics) == json.dumps(serial.metrics)
    assert list(threaded.notes.items()) == list(serial.notes.items())
    assert list(threaded.ensembles) == list(serial.ensembles)
    for name, e in serial.ensembles.items():
        np.testing.assert_array_equal(threaded.ensembles[name].mean, e.mean)
        np.testing.assert_array_equal(threaded.emg_cycles[name]["onset_ms"],
                                      serial.emg_cycles[name]["onset_ms"])
