"""Opening session files at a bounded cost (the one place that opens them for reading).

A truncated copy of a session file (an interrupted copy keeps only its first part) used
to hang h5py for minutes: a file left by a recorder opens only in SWMR read mode, HDF5
skips its own end-of-file check in that mode (a writer may be ahead of the reader), and
every metadata read that fails its checksum is retried up to 100 times with a doubling
sleep. :func:`check_file` therefore reads the HDF5 superblock itself first and compares
its end-of-file address with the file's size: a file shorter than that is truncated (a
live recorder's file never is: its superblock is rewritten at each flush, after the rows
it covers, so it lags the size; a short file flagged "open by an SWMR writer" is looked at
again for ``RECHECK_S`` in case its writer is mid-flush). :func:`open_h5` then opens with
``H5Pset_metadata_read_attempts`` bounded (called through ctypes on the HDF5 library h5py
loaded, which h5py does not wrap), so a corrupt file fails in milliseconds too.
"""

from __future__ import annotations

import ctypes
import glob
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
from h5py import h5f, h5p

from gaitlab.errors import SessionFileError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: metadata read attempts in SWMR mode (HDF5's default is 100, with a sleep doubling from
#: 1 ns each time: hours in total; 12 attempts sleep ~4 µs in all, enough for a torn read
#: of a live file)
SWMR_READ_ATTEMPTS = 12
RECHECK_S = 0.5
_FLAG_SWMR_WRITE = 0x04  # superblock v3 file-consistency flag


@dataclass(frozen=True)
class Superblock:
    offset: int  # where the signature is (0, 512, 1024, ...)
    version: int
    base: int
    eof: int  # end-of-file address (relative to base)
    flags: int

    @property
    def expected_size(self) -> int:
        return self.base + self.eof

    @property
    def swmr_writer(self) -> bool:
        return self.version >= 3 and bool(self.flags & _FLAG_SWMR_WRITE)


def _foreign_kind(head: bytes) -> str:
    """A guess at what a non-HDF5 file is, for the error message."""
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head.startswith(b"XDF:"):
        return "an XDF recording (LabRecorder); convert it or record with 'gaitlab record'"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "not an HDF5 file"
    if "," in text.split("\n", 1)[0] or "\t" in text.split("\n", 1)[0]:
        return "a text/CSV table"
    return "a text file"


def read_superblock(path: Path, size: int) -> Superblock | None:
    """The superblock's fields, or None when no HDF5 signature is where HDF5 looks for it."""
    with open(path, "rb") as fh:
        off = 0
        while off + 8 <= size:
            fh.seek(off)
            if fh.read(8) == SIGNATURE:
                break
            off = 512 if off == 0 else off * 2
        else:
            return None
        fh.seek(off)
        h = fh.read(96)
    if len(h) < 12:
        return Superblock(off, -1, 0, 1 << 62, 0)  # signature only: truncated
    version = h[8]
    if version in (0, 1):
        if len(h) < 24:
            return Superblock(off, version, 0, 1 << 62, 0)
        so, base_at, flags = h[13], 24 + (4 if version == 1 else 0), struct.unpack_from("<I", h, 20)[0]
    elif version in (2, 3):
        so, base_at, flags = h[9], 12, h[11]
    else:
        raise SessionFileError(f"{path}: HDF5 superblock version {version} is unknown; the file is "
                               "damaged or from a newer HDF5")
    fmt = {2: "<H", 4: "<I", 8: "<Q"}.get(so)
    if fmt is None:
        raise SessionFileError(f"{path}: HDF5 superblock is damaged (offset size {so}); run "
                               f"'gaitlab repair {path}' to recover what it holds")
    if len(h) < base_at + 3 * so:
        return Superblock(off, version, 0, 1 << 62, flags)
    base = struct.unpack_from(fmt, h, base_at)[0]
    eof = struct.unpack_from(fmt, h, base_at + 2 * so)[0]
    return Superblock(off, version, base, eof, flags)


def check_file(path: str | Path, allow_truncated: bool = False) -> Superblock:
    """Raise a one-line :class:`SessionFileError` unless ``path`` is a readable, whole HDF5
    file (a live recording counts as whole). Costs a few small reads (at most ``RECHECK_S``
    more for a short file flagged as being written)."""
    p = Path(path)
    if not p.exists():
        raise SessionFileError(f"{p}: no such file; give the path of a session .h5 file")
    if p.is_dir():
        raise SessionFileError(f"{p}: is a folder; give the path of a session .h5 file")
    if not os.access(p, os.R_OK):
        raise SessionFileError(f"{p}: no permission to read it; check the file's permissions")
    size = p.stat().st_size
    if size == 0:
        raise SessionFileError(f"{p}: the file is empty (0 bytes); give a session file made by "
                               "'gaitlab record'")
    try:
        sb = read_superblock(p, size)
        if sb is None:
            with open(p, "rb") as fh:
                head = fh.read(64)
    except OSError as exc:
        raise SessionFileError(f"{p}: cannot read ({exc.strerror or exc}); check the file") from None
    if sb is None:
        kind = _foreign_kind(head)
        what = kind if kind.startswith("not") else f"not an HDF5 file ({kind})"
        raise SessionFileError(f"{p}: {what}; give a session file made by 'gaitlab record'")
    deadline = time.monotonic() + RECHECK_S
    while not allow_truncated and size < sb.expected_size:
        if not sb.swmr_writer or time.monotonic() > deadline:
            raise SessionFileError(
                f"{p}: truncated ({size} of {sb.expected_size} bytes, an interrupted copy?); "
                f"run 'gaitlab repair {p}' to recover what it holds")
        time.sleep(0.05)  # a writer may be between its superblock write and the file's growth
        size = p.stat().st_size
        sb = read_superblock(p, size) or sb
    return sb


def _find_libhdf5() -> ctypes.CDLL | None:
    """The HDF5 library h5py uses (already loaded: dlopen returns the same instance)."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as fh:
            paths = [ln.split()[-1] for ln in fh if "libhdf5" in ln and "libhdf5_hl" not in ln]
    except OSError:
        pass
    if not paths:
        root = os.path.dirname(h5py.__file__)
        for pat in ("../h5py.libs/libhdf5-*", ".dylibs/libhdf5.*", "../h5py.libs/hdf5*.dll",
                    "libhdf5*", "hdf5*.dll"):
            paths += [q for q in glob.glob(os.path.join(root, pat)) if "_hl" not in q]
    for q in paths:
        try:
            lib = ctypes.CDLL(q)
            fn = lib.H5Pset_metadata_read_attempts
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int64, ctypes.c_uint]
        fn.restype = ctypes.c_int
        return lib
    return None


_LIB: list[ctypes.CDLL | None] = []


def _fapl(attempts: int, latest: bool = False) -> h5p.PropFAID:
    fapl = h5p.create(h5p.FILE_ACCESS)
    # h5py's default bounds, or libver="latest" (what the writer uses) to add objects
    fapl.set_libver_bounds(h5f.LIBVER_LATEST if latest else h5f.LIBVER_EARLIEST, h5f.LIBVER_LATEST)
    if not _LIB:
        _LIB.append(_find_libhdf5())
    lib = _LIB[0]
    if lib is not None:
        lib.H5Pset_metadata_read_attempts(fapl.id, attempts)
    return fapl


def metadata_attempts_bounded() -> bool:
    """True when the SWMR metadata read attempts can be bounded on this platform."""
    _fapl(1)
    return _LIB[0] is not None


def open_h5(path: str | Path, mode: str = "r", attempts: int = SWMR_READ_ATTEMPTS) -> h5py.File:
    """``h5py.File(path, mode)`` with bounded metadata read attempts; "r" falls back to SWMR
    read for a file that carries the "open for write" flag (an interrupted or live
    recording). Raises OSError as h5py does; call :func:`check_file` first."""
    name = os.fsencode(str(path))
    if mode == "r":
        try:
            return h5py.File(h5f.open(name, h5f.ACC_RDONLY, fapl=_fapl(1)))
        except OSError:
            return h5py.File(h5f.open(name, h5f.ACC_RDONLY | h5f.ACC_SWMR_READ, fapl=_fapl(attempts)))
    if mode == "r+":
        return h5py.File(h5f.open(name, h5f.ACC_RDWR, fapl=_fapl(1, latest=True)))
    raise ValueError(f"open_h5: mode {mode!r} is not 'r' or 'r+'")
