"""Fault suite item 5: every CLI command that takes a file, fed random, truncated, empty and
foreign files: a non-zero exit, at most 3 lines on stderr, no traceback, the input unchanged.
Plus a property test over session-file bytes (open_session fails only with a one-line
SessionFileError, never hangs).

To extend (a new command that reads a file): add it to ``COMMANDS`` below. Not covered:
``gaitlab gui --compare`` (a GUI; tests/gui cover its error dialogs) and ``gaitlab doctor`` (takes no file).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaitlab.cli import cli

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo" / "demo-001" / "visit-1-baseline.h5"

#: command -> its arguments with the bad file ``f`` (``t``: a scratch folder)
COMMANDS: dict[str, Callable[[str, Path], list[str]]] = {
    "analyze": lambda f, t: ["analyze", f],
    "analyze --json": lambda f, t: ["analyze", "--json", "--no-store", f],
    "compare": lambda f, t: ["compare", str(DEMO), f],
    "report": lambda f, t: ["report", "--pdf", str(t / "r.pdf"), str(DEMO), f],
    "repair": lambda f, t: ["repair", f, "--out", str(t / "out.h5")],
    "athletes import": lambda f, t: ["athletes", "--db", str(t / "reg.sqlite"), "import",
                                     "--athlete", "x", f],
    "record --athlete": lambda f, t: ["record", "--out", str(t / "o.h5"), "--duration", "1",
                                      "--athlete", f],
    "record --protocol": lambda f, t: ["record", "--out", str(t / "o.h5"), "--duration", "1",
                                       "--protocol", f],
    "demo --athlete": lambda f, t: ["demo", "--out", str(t / "d.h5"), "--athlete", f],
    "record --lab": lambda f, t: ["record", "--out", str(t / "o.h5"), "--duration", "1", "--lab", f],
    "lab check": lambda f, t: ["lab", "check", "--wait", "0.2", f],
}
TOML_COMMANDS = {"record --athlete", "record --protocol", "demo --athlete", "record --lab", "lab check"}


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _xdf() -> bytes:
    return b"XDF:" + (6).to_bytes(4, "little") + b"\x01\x00<info><version>1.0</version></info>"


def _random_hdf5(path: Path) -> None:
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.arange(100.0))
        f.attrs["what"] = "not a gaitlab session"


BAD: dict[str, Callable[[Path], None]] = {
    "random": lambda p: p.write_bytes(np.random.default_rng(7).bytes(5000)),
    "truncated": lambda p: p.write_bytes(DEMO.read_bytes()[: DEMO.stat().st_size // 3]),
    "empty": lambda p: p.write_bytes(b""),
    "png": lambda p: p.write_bytes(_png()),
    "csv": lambda p: p.write_text("time,force\n0.0,1.5\n0.1,2.5\n"),
    "xdf": lambda p: p.write_bytes(_xdf()),
    "hdf5 not a session": _random_hdf5,
    "toml of the wrong kind": lambda p: p.write_text('[trial]\nname = "not an athlete"\nx = 1\n'),
    "non-utf8 toml": lambda p: p.write_bytes(b'[athlete]\nname = "J\xf6rg"\n\xff\xfe'),
}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    out = {}
    for kind, make in BAD.items():
        p = d / f"{kind.replace(' ', '_')}.h5"
        make(p)
        out[kind] = p
    return out


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_file_gives_one_short_error(command: str, kind: str, bad_files: dict[str, Path],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path))
    p = bad_files[kind]
    before = _sha(p)
    r = CliRunner().invoke(cli, COMMANDS[command](str(p), tmp_path))
    assert _sha(p) == before, "the input file was changed"
    text = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert "Traceback" not in text and not isinstance(r.exception, AssertionError)
    if command == "repair" and kind == "truncated":  # repair recovers what a truncated file holds
        assert r.exit_code == 0 and "recovered" in r.output, r.output
        return
    assert r.exit_code != 0, (command, kind, r.output)
    assert isinstance(r.exception, SystemExit), repr(r.exception)  # not an unhandled exception
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert 1 <= len(err) <= 3, r.stderr


@pytest.mark.parametrize("command, kind", [("analyze", "truncated"), ("compare", "random"),
                                           ("athletes import", "truncated"),
                                           ("record --athlete", "non-utf8 toml")])
def test_real_process_exits_without_traceback(command: str, kind: str, bad_files: dict[str, Path],
                                              tmp_path: Path) -> None:
    """A real subprocess (catches tracebacks printed outside click and hangs: the truncated
    file hung the old code in h5py's attribute read)."""
    p = bad_files[kind]
    before = _sha(p)
    env = {**os.environ, "GAITLAB_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "gaitlab", *COMMANDS[command](str(p), tmp_path)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr + r.stdout
    assert 1 <= len(r.stderr.strip().splitlines()) <= 3, r.stderr
    assert _sha(p) == before


SMALL = DEMO.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(SMALL)),
       flips=st.lists(st.tuples(st.integers(0, len(SMALL) - 1), st.integers(0, 255)), max_size=8))
def test_open_session_on_mutated_bytes_fails_cleanly(cut: int, flips: list[tuple[int, int]],
                                                     tmp_path_factory: pytest.TempPathFactory
                                                     ) -> None:
    from gaitlab.errors import GaitlabError
    from gaitlab.io.session import open_session

    b = bytearray(SMALL[:cut] if cut < len(SMALL) else SMALL)
    for i, v in flips:
        if i < len(b):
            b[i] = v
    p = tmp_path_factory.mktemp("fz") / "m.h5"
    p.write_bytes(bytes(b))
    try:
        s = open_session(p)  # reads every stream's metadata: only a one-line error may come
    except GaitlabError as exc:
        assert "\n" not in str(exc)
        return
    with s:
        for stream in s.streams.values():
            try:
                stream.time_stamps  # noqa: B018 - a damaged chunk: the CLIs make it one line
            except (GaitlabError, OSError, RuntimeError, KeyError, ValueError):
                pass
