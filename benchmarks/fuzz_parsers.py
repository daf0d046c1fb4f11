"""Coverage-guided fuzzing of every bytes-in parser with atheris (libFuzzer for Python).

    python benchmarks/fuzz_parsers.py [--runs N] [--only NAME ...]

Each parser runs in its own child process for N inputs, starting from a seed corpus of valid
inputs (a real reply, frame, info XML or TOML file). An exception the parser documents
(GaitlabError and its subclasses) is an answer; anything else is an unhandled exception and
is counted, with its first input saved under benchmarks/fuzz-crashes/. Prints, per parser,
the inputs run, the unhandled exceptions, and the time taken. Needs ``pip install -e .[fuzz]``.
The hypothesis tests (tests/**/test_fuzz_*.py, tests/test_*_fuzz.py) are the quick version
that runs in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRASH_DIR = Path(__file__).with_name("fuzz-crashes")
MAX_CHUNKS = 32  # pieces per input (a TCP/serial read delivers many bytes at once)


def _seeds(name: str) -> list[bytes]:
    """Valid inputs of each parser (the fuzzer mutates these first)."""
    if name in ("trigno_reply",):
        return [b"Delsys Trigno System Digital Protocol Version 3.6.0\r\n\r\n", b"OK\r\n\r\nYES\r\n\r\n"]
    if name == "trigno_frames":
        import numpy as np
        return [np.arange(32, dtype="<f4").tobytes()]
    if name in ("mark10", "generic"):
        return [b"4.285 N\r\n-18.78 lbF\r\n*10\r\nM5-100\r\n", b"12,345,6\r\nF=1.5\r\n"]
    if name == "bertec_command":
        from gaitlab.drivers.bertec.protocol import build_command
        return [build_command(1.2, 1.3, 0.5, 2.0)]
    if name == "bertec_feedback":
        import numpy as np

        from gaitlab.drivers.bertec.protocol import build_feedback
        return [build_feedback(np.arange(1000, 1400, 20), 1200, 150)]
    if name == "info_xml":
        import pylsl
        info = pylsl.StreamInfo("p", "Pressure", 4, 120, "float32", "src")
        geo = info.desc().append_child("geometry")
        for k, v in (("rows", "2"), ("cols", "2"), ("row_pitch_mm", "11.7"), ("col_pitch_mm", "11.9")):
            geo.append_child_value(k, v)
        emg = pylsl.StreamInfo("e", "EMG", 2, 2000, "float32", "src2")
        chans = emg.desc().append_child("channels")
        for label in ("GMED_L", "TFL_R"):
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", "uV")
        return [info.as_xml().encode(), emg.as_xml().encode()]
    if name == "profile_toml":
        from gaitlab.athlete import builtin_profile_path
        return [builtin_profile_path("default").read_bytes()]
    if name == "protocol_toml":
        from gaitlab.protocols import builtin_protocol_path
        return [builtin_protocol_path(n).read_bytes() for n in ("assessment", "run", "demo")]
    raise KeyError(name)


TARGETS = ("trigno_reply", "trigno_frames", "mark10", "generic", "bertec_command", "bertec_feedback",
           "info_xml", "profile_toml", "protocol_toml")


def _chunks(fdp: object, data: bytes) -> list[bytes]:
    """``data`` cut at fuzzer-chosen places (the stream parsers see every split)."""
    out, i = [], 0
    while i < len(data):
        left = len(data) - i
        n = left if len(out) == MAX_CHUNKS - 1 else fdp.ConsumeIntInRange(1, left)  # type: ignore[attr-defined]
        out.append(data[i:i + n])
        i += n
    return out


def _target(name: str):  # a closure per parser
    import atheris

    with atheris.instrument_imports(include=["gaitlab"]):
        from gaitlab.athlete import parse_profile
        from gaitlab.drivers.bertec import protocol as bertec
        from gaitlab.drivers.mark10 import generic
        from gaitlab.drivers.mark10 import protocol as mark10
        from gaitlab.drivers.trigno import protocol as trigno
        from gaitlab.io.writer import header_from_xml
        from gaitlab.protocols import parse_protocol
        from gaitlab.streams import parse_info_xml

    formats = [generic.LineFormat(), generic.LineFormat(csv_column=1),
               generic.LineFormat(regex=r"F=(\S+)", unit="kgf", scale=1e300),
               generic.LineFormat(regex=r"(?P<force>-?\d+)", offset=-5.0)]

    def run(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        if name == "trigno_reply":
            p = trigno.ReplyParser()
            for c in _chunks(fdp, fdp.ConsumeBytes(fdp.remaining_bytes())):
                for r in p.feed(c):
                    trigno.parse_number(r)
                    trigno.parse_yes_no(r)
        elif name == "trigno_frames":
            p = trigno.FrameParser(fdp.PickValueInList([1, 16, 144]))
            for c in _chunks(fdp, fdp.ConsumeBytes(fdp.remaining_bytes())):
                p.feed(c)
        elif name == "mark10":
            p = mark10.Mark10Parser(fdp.PickValueInList([None, "N", "lbF"]))
            for c in _chunks(fdp, fdp.ConsumeBytes(fdp.remaining_bytes())):
                p.feed(c)
        elif name == "generic":
            p = generic.GenericLineParser(fdp.PickValueInList(formats))
            for c in _chunks(fdp, fdp.ConsumeBytes(fdp.remaining_bytes())):
                for v in p.feed(c):
                    assert v == v and abs(v) != float("inf"), v
        elif name == "bertec_command":
            if fdp.ConsumeBool():
                bertec.build_command(fdp.ConsumeFloat(), fdp.ConsumeFloat(), fdp.ConsumeFloat(),
                                     fdp.ConsumeFloat())
            else:
                bertec.parse_command(fdp.ConsumeBytes(fdp.remaining_bytes()))
        elif name == "bertec_feedback":
            p = bertec.FeedbackParser()
            for c in _chunks(fdp, fdp.ConsumeBytes(fdp.remaining_bytes())):
                p.feed(c)
        elif name == "info_xml":
            text = fdp.ConsumeBytes(fdp.remaining_bytes()).decode("utf-8", "replace")
            header_from_xml(text, 0.0)
            parse_info_xml(text)
        elif name == "profile_toml":
            parse_profile(fdp.ConsumeBytes(fdp.remaining_bytes()).decode("utf-8", "replace"))
        elif name == "protocol_toml":
            parse_protocol(fdp.ConsumeBytes(fdp.remaining_bytes()).decode("utf-8", "replace"))

    return run


def child(name: str, runs: int, stats_path: Path, corpus: Path) -> None:
    """Fuzz one parser (runs in its own process: libFuzzer exits the process at the end)."""
    import atheris

    from gaitlab.errors import GaitlabError

    run = _target(name)
    stats = {"name": name, "inputs": 0, "unhandled": 0, "kinds": {}}

    def save() -> None:
        stats_path.write_text(json.dumps(stats))

    def one(data: bytes) -> None:
        stats["inputs"] += 1
        try:
            run(data)
        except GaitlabError:
            pass
        except Exception as exc:  # an unhandled exception: the bug this script looks for
            kind = f"{type(exc).__name__}: {str(exc)[:80]}"
            stats["unhandled"] += 1
            if kind not in stats["kinds"]:
                stats["kinds"][kind] = 0
                CRASH_DIR.mkdir(exist_ok=True)
                (CRASH_DIR / f"{name}-{len(stats['kinds'])}.bin").write_bytes(data)
            stats["kinds"][kind] += 1
        if stats["inputs"] % 2000 == 0 or stats["inputs"] >= runs:
            save()

    save()
    atheris.Setup([sys.argv[0], f"-runs={runs}", "-max_len=4096", "-rss_limit_mb=4096",
                   "-print_final_stats=0", str(corpus)], one)
    atheris.Fuzz()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20_000, help="inputs per parser")
    ap.add_argument("--only", nargs="*", choices=TARGETS, default=list(TARGETS))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--stats", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.runs, Path(args.stats), Path(args.corpus))
        return
    total_inputs = total_bad = 0
    print(f"{'parser':<16} {'inputs':>9} {'unhandled':>9} {'seconds':>8}")
    for name in args.only:
        with tempfile.TemporaryDirectory() as d:
            corpus = Path(d, "corpus")
            corpus.mkdir()
            for i, seed in enumerate(_seeds(name)):
                (corpus / f"seed{i}").write_bytes(seed)
            stats = Path(d, "stats.json")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--child", name, "--runs", str(args.runs),
                            "--stats", str(stats), "--corpus", str(corpus)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
            dt = time.perf_counter() - t0
            empty = {"inputs": 0, "unhandled": 0, "kinds": {}}
            s = json.loads(stats.read_text()) if stats.exists() else empty
        total_inputs += s["inputs"]
        total_bad += s["unhandled"]
        print(f"{name:<16} {s['inputs']:>9} {s['unhandled']:>9} {dt:>8.1f}")
        for kind, n in s["kinds"].items():
            print(f"    {n} x {kind}")
    print(f"{'total':<16} {total_inputs:>9} {total_bad:>9}")
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
