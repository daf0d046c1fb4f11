"""Test helper run as a subprocess: publish LSL streams described as JSON on argv[1].

Each spec: name, type, source_id, channels, srate (0 = irregular), fmt ("float32" …
or "string"), optional labels, units, geometry {rows, cols, row_pitch_mm, col_pitch_mm},
desc_channels (number of desc/channel entries; default = channels), nan_every (channel 1
of every k-th sample is NaN), noise (channels 1… random), duration (s, default forever),
lag (s: each sample is pushed this long after its stamp, as by a device with latency).
Numeric sample i has every channel = i and stamp t0 + i / srate; string sample i is
"m <i>" stamped with local_clock(). Prints one JSON line {"t0": {name: t0}} when ready.
"""

import json
import sys
import time

import numpy as np
import pylsl


def make_outlet(spec: dict) -> pylsl.StreamOutlet:
    fmt = spec.get("fmt", "float32")
    n = spec["channels"]
    info = pylsl.StreamInfo(spec["name"], spec["type"], n, spec.get("srate", 0.0), fmt,
                            spec["source_id"])
    desc = info.desc()
    labels = spec.get("labels") or [f"c{i}" for i in range(n)]
    units = spec.get("units") or [""] * n
    chans = desc.append_child("channels")
    for i in range(spec.get("desc_channels", n)):
        ch = chans.append_child("channel")
        ch.append_child_value("label", labels[i % n])
        ch.append_child_value("unit", units[i % n])
    if "geometry" in spec:
        geo = desc.append_child("geometry")
        for k, v in spec["geometry"].items():
            geo.append_child_value(k, str(v))
    return pylsl.StreamOutlet(info, chunk_size=0, max_buffered=60)


def main() -> None:
    specs = json.loads(sys.argv[1])
    outlets = [make_outlet(s) for s in specs]
    time.sleep(0.3)
    t0 = pylsl.local_clock()
    print(json.dumps({"t0": {s["name"]: t0 for s in specs}}), flush=True)
    sent = [0] * len(specs)
    rng = np.random.default_rng(0)
    end = max(s.get("duration", 1e9) for s in specs)
    while True:
        now = pylsl.local_clock()
        if now - t0 > end:
            break
        for k, (s, o) in enumerate(zip(specs, outlets, strict=True)):
            srate = s.get("srate", 0.0)
            if s.get("fmt", "float32") == "string":
                rate = s.get("marker_rate", 10.0)
                due = int((now - t0) * rate)
                for i in range(sent[k], due):
                    o.push_sample([f"m {i}"] * s["channels"], pylsl.local_clock())
                sent[k] = max(sent[k], due)
                continue
            due = int((now - s.get("lag", 0.0) - t0) * srate)
            if due <= sent[k]:
                continue
            idx = np.arange(sent[k], due)
            x = np.repeat(idx[:, None].astype(np.float64), s["channels"], axis=1)
            if s.get("noise") and s["channels"] > 1:
                x[:, 1:] = rng.standard_normal((len(idx), s["channels"] - 1))
            if s.get("nan_every") and s["channels"] > 1:
                x[idx % s["nan_every"] == 0, 1] = np.nan
            o.push_chunk(x.astype(np.float32), list(t0 + idx / srate))
            sent[k] = due
        time.sleep(0.01)


if __name__ == "__main__":
    main()
