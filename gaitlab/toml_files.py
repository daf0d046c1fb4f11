"""Reading TOML files of athletes and protocols: by path or built-in name, table by table."""

from __future__ import annotations

import math
import types
import typing
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
    hints = typing.get_type_hints(cls)
    for key, value in table.items():
        problem = _type_problem(value, hints.get(key, Any))
        if problem:
            raise ProfileError(f"{what} [{where}]: {key} {problem}")
    try:
        return cls(**table)
    except TypeError as exc:
        raise ProfileError(f"{what} [{where}]: {exc}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_problem(value: Any, hint: Any) -> str:
    """Why a TOML value does not fit a dataclass field's type ("" if it does).

    TOML has its own types, so a profile saying ``body_mass_kg = "heavy"`` or ``= inf`` is
    stopped here with one line instead of failing later in a comparison or the model.
    Numbers must be finite; an int is accepted for a float; nested dataclasses are left to
    their own :func:`build_table`.
    """
    origin = typing.get_origin(hint)
    if hint is Any or (isinstance(hint, type) and hasattr(hint, "__dataclass_fields__")):
        return ""
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return ""
        problems = [_type_problem(value, h) for h in options if h is not type(None)]
        return "" if "" in problems else problems[0]
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, not {_shown(value)}"
        return "" if math.isfinite(value) else f"must be a finite number, not {_shown(value)}"
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return ""
        return f"must be a whole number, not {_shown(value)}"
    if hint is str:
        return "" if isinstance(value, str) else f"must be a string in quotes, not {_shown(value)}"
    if hint is bool:
        return "" if isinstance(value, bool) else f"must be true or false, not {_shown(value)}"
    if origin is dict:
        if not isinstance(value, dict):
            return f"must be a table, not {_shown(value)}"
        vt = typing.get_args(hint)[1] if typing.get_args(hint) else Any
        for k, v in value.items():
            problem = _type_problem(v, vt)
            if problem:
                return f"entry {k!r} {problem}"
        return ""
    if origin in (list, tuple):
        if not isinstance(value, list):
            return f"must be a list, not {_shown(value)}"
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        for v in value:
            problem = _type_problem(v, args[0] if args else Any)
            if problem:
                return f"item {problem}"
        return ""
    return ""
