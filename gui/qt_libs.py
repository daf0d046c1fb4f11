"""Which system libraries Qt's xcb (X11) platform plugin needs but cannot find.

Qt aborts with a long, multi-line "could not load the Qt platform plugin" message when a
library of its xcb plugin is missing. This module finds those libraries *before* a
QApplication exists (PySide6's Qt modules are never imported here), so that ``gaitlab gui``
and ``gaitlab doctor`` can say in one line which Debian/Ubuntu packages to install.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from gaitlab.errors import GaitlabError

#: soname -> Debian/Ubuntu package (checked with ``dpkg -S`` / ``apt-get download`` on Debian 12)
SONAME_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

#: loaded by Qt >= 6.5's xcb plugin at start-up; required even where ldd does not list it
ALWAYS_NEEDED = ("libxcb-cursor.so.0",)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_RESOLVED = re.compile(r"^\s*(\S+)\s+=>\s+/", re.MULTILINE)


def qt_dir() -> Path | None:
    """PySide6's bundled Qt folder (…/PySide6/Qt), found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def xcb_plugin_files(qt: Path | None = None) -> list[Path]:
    """The xcb platform plugin and Qt's xcb library, where they exist."""
    qt = qt if qt is not None else qt_dir()
    if qt is None:
        return []
    files = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [f for f in files if f.is_file()]


def _ldd(files: Iterable[Path]) -> tuple[set[str], set[str]]:
    """(resolved, unresolved) sonames of ``files`` and their dependencies, per ldd."""
    ldd = shutil.which("ldd")
    found: set[str] = set()
    missing: set[str] = set()
    if ldd is None:
        return found, missing
    for f in files:
        try:
            out = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        missing.update(_NOT_FOUND.findall(out))
        found.update(_RESOLVED.findall(out))
    return found - missing, missing


def _dlopen_ok(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _system_missing() -> tuple[str, ...]:
    files = xcb_plugin_files()
    found, missing = _ldd(files)
    if not files or not (found or missing):  # no plugin, or no ldd: ask the dynamic loader
        missing = {s for s in SONAME_PACKAGES if not _dlopen_ok(s)}
    for soname in ALWAYS_NEEDED:
        if soname not in found and soname not in missing and not _dlopen_ok(soname):
            missing.add(soname)
    return tuple(sorted(missing))


def finder_in(dirs: Iterable[str | Path]) -> Callable[[str], bool]:
    """A library search that looks only in ``dirs`` (for tests and odd installs)."""
    roots = [Path(d) for d in dirs]
    return lambda soname: any((d / soname).exists() for d in roots)


def missing_xcb_libraries(find: Callable[[str], bool] | None = None) -> list[str]:
    """Sonames the xcb platform plugin needs and cannot load; [] when all are there.

    ``find(soname) -> bool`` replaces the system's library search (ldd on the plugin, then
    the dynamic loader) for the known libraries in :data:`SONAME_PACKAGES`.
    """
    if find is None:
        return list(_system_missing())
    return [s for s in SONAME_PACKAGES if not find(s)]


def packages_for(sonames: Iterable[str]) -> list[str]:
    """Debian/Ubuntu package names for ``sonames``, in order, without repeats."""
    out: list[str] = []
    for s in sonames:
        pkg = SONAME_PACKAGES.get(s, f"<the package providing {s}>")
        if pkg not in out:
            out.append(pkg)
    return out


def missing_message(sonames: list[str]) -> str:
    return ("Qt cannot open a window: missing system libraries " + ", ".join(sonames)
            + "; install them with: sudo apt install " + " ".join(packages_for(sonames)))


def uses_xcb(env: dict[str, str] | None = None) -> bool:
    """Whether Qt will pick its xcb (X11) platform here."""
    env = dict(os.environ) if env is None else env
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    if not sys.platform.startswith("linux"):
        return False
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return False  # Qt 6 prefers its wayland plugin in a Wayland session
    return bool(env.get("DISPLAY"))


class QtLibrariesMissing(GaitlabError):
    """Qt's platform plugin cannot load: system libraries are missing."""


def check_qt_platform(find: Callable[[str], bool] | None = None) -> None:
    """Raise :class:`QtLibrariesMissing` (one line, with the apt command) before Qt would abort."""
    if not uses_xcb():
        return
    missing = missing_xcb_libraries(find)
    if missing:
        raise QtLibrariesMissing(missing_message(missing))
