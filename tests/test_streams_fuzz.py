"""Fuzzing the LSL stream-info XML parsers (gaitlab.streams.parse_info_xml and the writer's
header_from_xml): random text, mutated real info XML, huge/negative/non-finite numbers."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaitlab.errors import StreamFormatError
from gaitlab.io.writer import header_from_xml
from gaitlab.streams import MAX_CHANNELS, parse_info_xml
from tests.fuzzing import FUZZ, corrupted

NUMBERS = ["0", "-1", "1", "2.5", "nan", "inf", "-inf", "1e400", "9" * 30, "", "x", "0x10", "1_0",
           str(MAX_CHANNELS + 1), "5376", "128", "42"]


def info_xml(stype: str, n: str, srate: str, rows: str, cols: str, pitch: str, nch: int,
             side: str = "") -> str:
    unit = "N/cm^2" if stype == "Pressure" else "uV"
    chans = "".join(f"<channel><label>GMED_L</label><unit>{unit}</unit><type>{stype}</type></channel>"
                    for _ in range(nch))
    return (f'<?xml version="1.0"?><info><name>s</name><type>{stype}</type><channel_count>{n}'
            f"</channel_count><channel_format>float32</channel_format><source_id>id</source_id>"
            f"<nominal_srate>{srate}</nominal_srate><hostname>h</hostname><desc>"
            f"<channels>{chans}</channels><geometry><rows>{rows}</rows><cols>{cols}</cols>"
            f"<row_pitch_mm>{pitch}</row_pitch_mm><col_pitch_mm>10</col_pitch_mm></geometry>"
            f"<side>{side}</side></desc></info>")


def check_spec_or_error(xml: str) -> None:
    try:
        spec = parse_info_xml(xml)
    except StreamFormatError as exc:
        assert "\n" not in str(exc)
    else:
        assert 1 <= spec.channel_count <= MAX_CHANNELS and len(spec.channels) == spec.channel_count
        assert math.isfinite(spec.nominal_srate) and spec.nominal_srate >= 0
    header, error = header_from_xml(xml, 0.0)
    assert header.channel_count >= 1 and len(header.labels) == len(header.units) <= MAX_CHANNELS
    assert "\n" not in error


@FUZZ
@given(st.text(max_size=400))
def test_any_text(xml: str) -> None:
    check_spec_or_error(xml)


@FUZZ
@given(st.sampled_from(["EMG", "Pressure", "Force", "Markers", ""]), st.sampled_from(NUMBERS),
       st.sampled_from(NUMBERS), st.sampled_from(NUMBERS), st.sampled_from(NUMBERS),
       st.sampled_from(NUMBERS), st.integers(0, 3), st.sampled_from(["", "L", "x", "\n"]))
def test_numbers_in_every_field(stype: str, n: str, srate: str, rows: str, cols: str, pitch: str,
                                nch: int, side: str) -> None:
    check_spec_or_error(info_xml(stype, n, srate, rows, cols, pitch, nch, side))


@FUZZ
@given(st.data())
def test_mutated_real_info(draw: st.DataObject) -> None:
    good = info_xml("Pressure", "4", "120", "2", "2", "11.7", 4)
    assert parse_info_xml(good).geometry is not None  # the seed is valid
    bad = draw.draw(corrupted(good.encode()))
    check_spec_or_error(bad.decode("utf-8", "replace"))
    check_spec_or_error(bad.decode("latin-1"))


@pytest.mark.parametrize(("field", "xml"), [
    # Fail on the old code: a ValueError / OverflowError escaped, a NaN rate was accepted,
    # or a huge channel count built a billion-entry label list (a hang).
    ("rows", info_xml("Pressure", "4", "120", "nan", "2", "10", 0)),
    ("rows", info_xml("Pressure", "4", "120", "inf", "2", "10", 0)),
    ("nominal_srate", info_xml("EMG", "1", "nan", "0", "0", "10", 0)),
    ("nominal_srate", info_xml("EMG", "1", "-5", "0", "0", "10", 0)),
    ("channel_count", info_xml("EMG", "1000000000", "100", "0", "0", "10", 0)),
])
def test_bad_numbers_are_one_line_errors(field: str, xml: str) -> None:
    with pytest.raises(StreamFormatError, match=re.escape(field)):
        parse_info_xml(xml)
    header, error = header_from_xml(xml, 0.0)
    assert field in error and len(header.labels) <= MAX_CHANNELS
