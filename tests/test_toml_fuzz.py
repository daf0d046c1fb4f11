"""Fuzzing the athlete-profile and protocol TOML parsers: random text, non-UTF-8 files, the
shipped files with any value replaced by any TOML value (huge, negative, NaN, wrong type)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaitlab.athlete import builtin_profile_path, load_profile, parse_profile
from gaitlab.errors import ProfileError
from gaitlab.protocols import builtin_protocol_path, load_protocol, parse_protocol
from tests.fuzzing import FUZZ, corrupted

PROFILE = builtin_profile_path("default").read_text(encoding="utf-8")
PROTOCOL = builtin_protocol_path("assessment").read_text(encoding="utf-8")
PARSERS = {"profile": (parse_profile, PROFILE), "protocol": (parse_protocol, PROTOCOL)}

toml_values = st.sampled_from([
    '"x"', '""', "0", "-1", "1e400", "-1e400", "nan", "inf", "-inf", "99999999999999999", "true",
    "[]", "[1, 2]", '["L"]', "{}", '{ L = "a", R = 2 }', "{ L = 1e400, R = 1 }", "1979-05-27", "0.5",
    "{ onset_ms = 1, offset_ms = 0, peak_pct_mvc = 1 }", '"L"', "3", "200",
])
ASSIGNMENT = re.compile(r"^(\s*[\w.\"-]+\s*=\s*)(.+)$", re.MULTILINE)


def parses_or_one_line(kind: str, text: str) -> None:
    parse = PARSERS[kind][0]
    try:
        parse(text)
    except ProfileError as exc:
        assert "\n" not in str(exc), str(exc)


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_shipped_files_parse(kind: str) -> None:
    parse, text = PARSERS[kind]
    parse(text)


@FUZZ
@given(st.sampled_from(sorted(PARSERS)), st.text(max_size=300))
def test_any_text(kind: str, text: str) -> None:
    parses_or_one_line(kind, text)


@FUZZ
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_any_value_in_any_field(kind: str, draw: st.DataObject) -> None:
    text = PARSERS[kind][1]
    spots = list(ASSIGNMENT.finditer(text))
    picks = st.lists(st.sampled_from(spots), min_size=1, max_size=3, unique_by=lambda m: m.start())
    for m in draw.draw(picks):
        new = m.group(1) + draw.draw(toml_values)
        text = text.replace(m.group(0), new, 1)
    parses_or_one_line(kind, text)


@FUZZ
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_corrupted_files(kind: str, draw: st.DataObject) -> None:
    raw = draw.draw(corrupted(PARSERS[kind][1].encode()))
    load = load_profile if kind == "profile" else load_protocol
    with tempfile.TemporaryDirectory() as d:
        path = Path(d, f"{kind}.toml")
        path.write_bytes(raw)
        try:
            load(path)
        except ProfileError as exc:
            assert "\n" not in str(exc)


@pytest.mark.parametrize(("field", "value"), [
    # Fail on the old code: a TypeError (str compared with a number) escaped, or inf was accepted.
    ("body_mass_kg", '"heavy"'), ("height_m", "[1.8]"), ("speed_mps", '"fast"'), ("cadence_spm", "inf"),
    ("snr_db", '"x"'), ("pressure_rows", "1.5"),
])
def test_wrong_types_are_one_line_errors(field: str, value: str) -> None:
    text = re.sub(rf"^{field}\s*=.*$", f"{field} = {value}", PROFILE, count=1, flags=re.MULTILINE)
    assert text != PROFILE
    with pytest.raises(ProfileError, match=field):
        parse_profile(text)
