"""Where an output file (session, report, export) can be written: one-line answers, no side effects.

Kept free of heavy imports so that a command checks its output path before it loads the analysis
or plotting stack: a mistyped path fails at once."""

from __future__ import annotations

import os
from pathlib import Path

from gaitlab.errors import GaitlabError


def check_writable(path: str | Path, option: str, example: str, overwrite: bool = True,
                   error: type[GaitlabError] = GaitlabError) -> Path:
    """``path`` if a file can be written there, else ``error`` in one line saying what to do.

    Refused: a folder given instead of a file; a parent that is a file; a folder that does not
    exist (it is not created: a mistyped path should not make folders); an existing file unless
    ``overwrite``; no permission. ``option`` names the command-line option in the advice and
    ``example`` a file name for it (``session.h5``)."""
    path = Path(path)
    hint = f"choose another {option} path"
    if path.is_dir():
        raise error(f"{path}: is a folder; give a file name, e.g. {path / example}")
    parent = path.parent if str(path.parent) else Path(".")
    anc = parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise error(f"{path}: {anc} is a file, not a folder; {hint}")
    if anc != parent:
        raise error(f"{path}: folder {parent} does not exist; create it or {hint}")
    if path.exists() and not overwrite:
        raise error(f"{path}: file exists; {hint} or pass --overwrite")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise error(f"{path}: cannot write in {parent} (permission denied); {hint}")
    return path
