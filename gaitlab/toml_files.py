"""Reading TOML files of athletes and protocols: by path or built-in name, table by table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gaitlab.errors import ProfileError


def read_toml_text(path_or_name: str | Path, builtin_path: Callable[[str], Path], *,
                   missing_hint: str, what: str) -> tuple[Path, str]:
    """Resolve a TOML path or a built-in name and return (path, text).

    A name that is not an existing file, has no ``.toml`` suffix and names an existing
    built-in (``builtin_path(name)``) resolves to that built-in. Raises ProfileError
    "<path>: no such <missing_hint>" if nothing exists, "<path>: cannot read <what> (...)"
    if the file cannot be read as UTF-8.
    """
    p = Path(path_or_name)
    if not p.exists() and p.suffix != ".toml" and builtin_path(str(path_or_name)).exists():
        p = builtin_path(str(path_or_name))
    if not p.exists():
        raise ProfileError(f"{p}: no such {missing_hint}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: cannot read {what} ({exc})") from None
    return p, text


def build_table(cls: type, table: Any, where: str, what: str) -> Any:
    """A dataclass from one TOML table, with one-line ProfileErrors naming the table:
    not a table, unknown keys (listing the known ones), or wrong/missing fields."""
    if not isinstance(table, dict):
        raise ProfileError(f"{what} [{where}] must be a table")
    known = set(cls.__dataclass_fields__)
    unknown = set(table) - known
    if unknown:
        raise ProfileError(f"{what} [{where}]: unknown key(s) {', '.join(sorted(unknown))}; "
                           f"known keys are {', '.join(sorted(known))}")
    try:
        return cls(**table)
    except TypeError as exc:
        raise ProfileError(f"{what} [{where}]: {exc}") from None
