"""``gaitlab doctor``: is this machine ready for a lab session?

Each check is a plain function returning :class:`Check` records (ok, problem, fix), so the
checks are testable without the CLI. Nothing here changes the machine: the write test
removes its own file, the registry opens read-only, and no process is stopped.
"""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import click

#: below this much free space in the session folder, doctor warns
LOW_DISK_BYTES = 2 * 1024**3
LSL_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    """One finding: ``ok`` with an optional ``info`` note, or a ``problem`` and its ``fix``."""

    name: str
    ok: bool
    problem: str = ""
    fix: str = ""
    info: str = ""

    def line(self) -> str:
        if self.ok:
            return f"{self.name}: {self.info}" if self.info else f"{self.name}: ok"
        return f"{self.name}: {self.problem}; fix: {self.fix}"


# ---- Qt ----------------------------------------------------------------------------------

def check_qt_libraries() -> Check:
    from gaitlab.gui.qt_libs import missing_message, missing_xcb_libraries, packages_for

    if not sys.platform.startswith("linux"):
        return Check("qt-xcb", True, info="not Linux: Qt uses the system's own window platform")
    missing = missing_xcb_libraries()
    if missing:
        return Check("qt-xcb", False, missing_message(missing).split("; install")[0],
                     "sudo apt install " + " ".join(packages_for(missing)))
    return Check("qt-xcb", True)


_OFFSCREEN_PROBE = ("import sys; from PySide6 import QtWidgets; "
                    "app = QtWidgets.QApplication(['gaitlab-doctor', '-platform', 'offscreen']); "
                    "print(app.platformName())")


def start_offscreen_probe() -> subprocess.Popen[str]:
    """Start a QApplication on the offscreen platform in a child (runs while LSL is checked)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-c", _OFFSCREEN_PROBE], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def check_offscreen(probe: subprocess.Popen[str], timeout_s: float = 20.0) -> Check:
    try:
        out, err = probe.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.communicate()
        return Check("qt-offscreen", False, f"Qt did not start within {timeout_s:.0f} s",
                     "reinstall PySide6 (pip install --force-reinstall 'PySide6-Essentials<6.12')")
    if probe.returncode != 0 or out.strip() != "offscreen":
        last = (err.strip().splitlines() or ["no output"])[-1]
        return Check("qt-offscreen", False, f"Qt cannot start even off screen ({last})",
                     "reinstall PySide6 (pip install --force-reinstall 'PySide6-Essentials<6.12')")
    return Check("qt-offscreen", True)


def check_display(env: dict[str, str] | None = None) -> Check:
    env = dict(os.environ) if env is None else env
    if not sys.platform.startswith("linux"):
        return Check("display", True)
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return Check("display", True, info=f"display {env.get('WAYLAND_DISPLAY') or env.get('DISPLAY')}")
    return Check("display", True, info="no display (DISPLAY/WAYLAND_DISPLAY unset): the desktop app "
                 "cannot open here; 'gaitlab demo' and the CLI work headless")


# ---- LSL ---------------------------------------------------------------------------------

def check_lsl_loopback(timeout_s: float = LSL_TIMEOUT_S) -> Check:
    """Publish a stream with a unique source_id, resolve it back, pull one sample."""
    import pylsl

    fix = ("allow UDP/TCP on loopback (ports 16571-16604) in the firewall, and check "
           "LSLAPICFG / lsl_api.cfg")
    sid = f"gaitlab-doctor-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    info = pylsl.StreamInfo("gaitlab-doctor", "Doctor", 1, 0.0, pylsl.cf_float32, sid)
    outlet = pylsl.StreamOutlet(info)
    try:
        found = pylsl.resolve_bypred(f"source_id='{sid}'", 1, timeout_s)
        if not found:
            return Check("lsl-loopback", False, f"a stream published here was not found within "
                         f"{timeout_s:.0f} s", fix)
        inlet = pylsl.StreamInlet(found[0])
        try:
            inlet.open_stream(timeout=timeout_s)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                outlet.push_sample([1.0])
                sample, _ = inlet.pull_sample(timeout=0.1)
                if sample is not None:
                    return Check("lsl-loopback", True)
        finally:
            inlet.close_stream()
        return Check("lsl-loopback", False, "a stream was found but no sample arrived", fix)
    except (TimeoutError, RuntimeError):  # pylsl's TimeoutError/LostError are RuntimeErrors
        return Check("lsl-loopback", False, "the stream found did not open", fix)
    finally:
        del outlet


def network_interfaces() -> list[str]:
    """Names of the non-loopback interfaces that are up (Linux: /sys/class/net)."""
    up = []
    for _, name in socket.if_nameindex():
        if name == "lo":
            continue
        state = Path("/sys/class/net", name, "operstate")
        try:
            st = state.read_text().strip()
        except OSError:
            st = "unknown"
        flags = Path("/sys/class/net", name, "flags")
        try:
            is_up = bool(int(flags.read_text().strip(), 16) & 0x1)
        except (OSError, ValueError):
            is_up = st == "up"
        if is_up and st != "down":
            up.append(name)
    return up


def lsl_config() -> tuple[str, dict[str, str]]:
    """The liblsl config file in force and its multicast/lab settings (lower-case keys)."""
    path = os.environ.get("LSLAPICFG", "")
    cfg = configparser.ConfigParser(strict=False)
    try:
        cfg.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return path, {}
    vals = {k.lower(): v.strip() for sec in ("multicast", "lab", "ports") if cfg.has_section(sec)
            for k, v in cfg.items(sec)}
    return path, vals


def check_lsl_lan() -> Check:
    path, vals = lsl_config()
    ifaces = network_interfaces()
    scope = vals.get("resolvescope", "site")
    notes = []
    if scope.lower() == "machine":
        notes.append(f"{path or 'lsl_api.cfg'} sets ResolveScope = machine")
    if not ifaces:
        notes.append("no network interface is up")
    if notes:
        return Check("lsl-lan", True, info="only loopback: other PCs can't see this lab ("
                     + "; ".join(notes) + ")")
    peers = vals.get("knownpeers", "")
    extra = f", KnownPeers {peers}" if peers else ""
    return Check("lsl-lan", True, info=f"LSL resolves on {', '.join(ifaces)} (scope {scope}{extra}): "
                 "other lab PCs on this network see these streams and this PC sees theirs")


# ---- disk, output folder -----------------------------------------------------------------

def full_lab_bytes_per_s() -> float:
    """Uncompressed data rate of the full simulated lab (float32 samples + float64 stamps)."""
    from gaitlab.athlete import load_profile

    profile = load_profile("default")
    d = profile.devices
    n_emg = len(profile.emg.muscles)  # one EMG channel per muscle (drivers/virtual/outlets.py)
    rates = [(d.emg_rate_hz, n_emg), (d.pressure_rate_hz, d.pressure_rows * d.pressure_cols),
             (d.dynamometer_rate_hz, 1)]
    return float(sum(r * (4 * n + 8) for r, n in rates))


def _existing(folder: Path) -> Path:
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_disk(folder: Path, low: int = LOW_DISK_BYTES) -> Check:
    base = _existing(folder)
    try:
        free = shutil.disk_usage(base).free
    except OSError as exc:
        return Check("disk", False, f"{base}: cannot read free space ({exc.strerror})",
                     "give an existing --out-dir")
    rate = full_lab_bytes_per_s()
    hours = free / rate / 3600
    txt = f"{free / 1e9:.1f} GB free in {base}: ~{hours:.1f} h of full-lab recording at {rate / 1e6:.1f} MB/s"
    if free < low:
        return Check("disk", False, txt + f" (under {low / 1e9:.1f} GB)",
                     "free space or give --out-dir on a larger disk")
    return Check("disk", True, info=txt)


def check_write(folder: Path) -> Check:
    target = folder if folder.is_dir() else _existing(folder)
    if not target.is_dir():
        return Check("write", False, f"{folder}: not a folder", "give a folder as --out-dir")
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".gaitlab-doctor-") as f:
            f.write(b"gaitlab")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        return Check("write", False, f"{target}: cannot write session files there ({exc.strerror})",
                     "give a folder you can write to (--out-dir) or fix its permissions")
    return Check("write", True, info=f"{target}: writable")


# ---- registry ----------------------------------------------------------------------------

def check_registry(path: Path | None = None) -> Check:
    from gaitlab.registry.db import SCHEMA_VERSION, SQLITE_MAGIC, default_db_path

    p = Path(path) if path else default_db_path()
    fix_other = f"move {p} aside and re-import the session files (gaitlab athletes import), or give --db"
    if not p.exists():
        return Check("registry", True, info=f"{p}: none yet (created on the first athlete)")
    if p.is_dir():
        return Check("registry", False, f"{p}: is a folder, not a registry file", fix_other)
    try:
        with open(p, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        return Check("registry", False, f"{p}: cannot read it ({exc.strerror})",
                     f"fix the permissions of {p}")
    if p.stat().st_size and head != SQLITE_MAGIC:
        return Check("registry", False, f"{p}: not an SQLite database", fix_other)
    try:
        con = sqlite3.connect(f"{p.absolute().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            ver = con.execute("PRAGMA user_version").fetchone()[0]
            result = [r[0] for r in con.execute("PRAGMA quick_check")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return Check("registry", False, f"{p}: damaged ({exc})", fix_other)
    if result != ["ok"]:
        return Check("registry", False, f"{p}: damaged ({result[0]})", fix_other)
    if ver > SCHEMA_VERSION:
        return Check("registry", False, f"{p}: schema {ver} is newer than this gaitlab's "
                     f"({SCHEMA_VERSION})", "upgrade gaitlab")
    return Check("registry", True, info=f"{p}: schema {ver}, intact")


# ---- leftover processes ------------------------------------------------------------------

_PUBLISHERS = ("sim", "driver", "gui", "demo")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def _ancestors() -> set[int]:
    out = {os.getpid()}
    pid = os.getpid()
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        out.add(pid)
    return out


def _maps_lsl(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            return any("liblsl" in line for line in f)
    except OSError:
        return False


def gaitlab_publishers() -> list[tuple[int, str]]:
    """(pid, command line) of other processes on this machine that publish gaitlab streams.

    A ``gaitlab sim|driver|gui|demo`` process, or a device process it spawned (a
    multiprocessing child with liblsl loaded whose parent is one, or is gone).
    """
    if not Path("/proc").is_dir():
        return []
    mine = _ancestors()
    procs: dict[int, list[str]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) not in mine:
            args = _cmdline(int(d.name))
            if args:
                procs[int(d.name)] = args
    found: list[tuple[int, str]] = []
    for pid, args in procs.items():
        line = " ".join(args)
        words = [Path(a).name for a in args]
        is_cli = any(w in ("gaitlab", "gaitlab.drivers.cli") and i + 1 < len(words)
                     and words[i + 1] in _PUBLISHERS for i, w in enumerate(words))
        is_child = "multiprocessing" in line and "spawn_main" in line and _maps_lsl(pid)
        if is_cli or is_child:
            found.append((pid, line[:120]))
    return sorted(found)


def check_leftovers() -> Check:
    found = gaitlab_publishers()
    if not found:
        return Check("processes", True, info="no other gaitlab device processes on this machine")
    listed = ", ".join(f"pid {pid} ({cmd})" for pid, cmd in found)
    pids = " ".join(str(pid) for pid, _ in found)
    return Check("processes", False, f"{len(found)} other gaitlab process(es) may publish streams "
                 f"into a session: {listed}", f"stop them if they are not yours: kill {pids}")


# ---- all ---------------------------------------------------------------------------------

def run_checks(out_dir: Path, db: Path | None = None) -> list[Check]:
    probe = start_offscreen_probe()
    try:
        checks = [check_qt_libraries(), check_display()]
        checks += [check_lsl_loopback(), check_lsl_lan()]
        checks += [check_disk(out_dir), check_write(out_dir), check_registry(db), check_leftovers()]
        checks.insert(1, check_offscreen(probe))
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.communicate()
    return checks


@click.command(help="Check this machine for a lab session: Qt platform plugin, LSL on loopback and "
               "on the network, free disk and write access in the session folder, the athlete "
               "registry, leftover gaitlab processes. One line per problem with its fix; exit 1 "
               "if any.")
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Folder for session files.")
@click.option("--db", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="Registry file (default: $GAITLAB_HOME/registry.sqlite or ~/.local/share/gaitlab/).")
@click.option("-v", "--verbose", is_flag=True, help="Also print the checks that passed.")
def doctor(out_dir: Path, db: Path | None, verbose: bool) -> None:
    checks = run_checks(out_dir, db)
    problems = [c for c in checks if not c.ok]
    for c in checks:
        if not c.ok or verbose or c.info.startswith(("only loopback", "no display")):
            click.echo(c.line(), err=not c.ok)
    if problems:
        raise SystemExit(1)
    click.echo(f"all {len(checks)} checks passed")
