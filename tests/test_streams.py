"""Stream conventions: info XML from real pylsl StreamInfo objects → roles, units, geometry."""

import pylsl
import pytest

from gaitlab.errors import GaitlabError, StreamFormatError
from gaitlab.streams import check_montage, parse_emg_label, parse_info_xml, to_si


def _info(name, stype, labels, units, fmt="float32", srate=100.0, geometry=None, desc_unit=None):
    info = pylsl.StreamInfo(name, stype, len(labels), srate, fmt, f"test-{name}")
    desc = info.desc()
    if labels and labels[0] is not None:
        chans = desc.append_child("channels")
        for label, unit in zip(labels, units, strict=True):
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", unit)
    if geometry:
        g = desc.append_child("geometry")
        for k, v in geometry.items():
            g.append_child_value(k, str(v))
    if desc_unit:
        desc.append_child_value("unit", desc_unit)
    return info.as_xml()


def test_emg_stream_roles_units_and_muscles():
    xml = _info("emg", "EMG", ["GMED_L", "GMED_R", "TFL_R", "EMG4"], ["uV", "mV", "V", "V"], srate=2000)
    spec = parse_info_xml(xml)
    assert spec.role == "emg"
    assert spec.nominal_srate == 2000
    assert spec.si_scale() == [1e-6, 1e-3, 1.0, 1.0]
    assert spec.emg_muscles() == {0: ("GMED", "L"), 1: ("GMED", "R"), 2: ("TFL", "R")}
    # a montage maps foreign labels to muscles
    assert spec.emg_muscles({"EMG4": "GMAX_L"})[3] == ("GMAX", "L")
    assert spec.key == "test-emg"


def test_force_streams_split_into_dynamometer_and_treadmill():
    dyn = parse_info_xml(_info("dyn", "Force", ["force"], ["lbf"]))
    assert dyn.role == "dynamometer"
    assert dyn.si_scale() == [pytest.approx(4.4482216152605)]
    tm = parse_info_xml(_info("tm", "Force", ["Fz", "COPx", "COPy"], ["N", "m", "m"]))
    assert tm.role == "force_treadmill"
    split = parse_info_xml(
        _info("sb", "Force", ["Fz_L", "COPx_L", "COPy_L", "Fz_R", "COPx_R", "COPy_R"], ["N", "m", "m"] * 2)
    )
    assert split.role == "force_treadmill"


def test_pressure_geometry_and_kpa():
    info = pylsl.StreamInfo("p", "Pressure", 6, 120, "float32", "p1")
    g = info.desc().append_child("geometry")
    for k, v in {"rows": 3, "cols": 2, "row_pitch_mm": 10, "col_pitch_mm": 12.5}.items():
        g.append_child_value(k, str(v))
    info.desc().append_child_value("unit", "kPa")
    info.desc().append_child_value("belt_speed_mps", "3.5")
    spec = parse_info_xml(info.as_xml())
    assert spec.role == "pressure"
    assert spec.geometry.rows == 3 and spec.geometry.cols == 2
    assert spec.geometry.col_pitch_m == pytest.approx(0.0125)
    assert spec.geometry.belt_speed_mps == 3.5
    assert spec.si_scale() == [0.1] * 6  # kPa -> N/cm^2


def test_markers_role():
    info = pylsl.StreamInfo("m", "Markers", 1, 0, "string", "m1")
    assert parse_info_xml(info.as_xml()).role == "markers"


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<info><name>x", "not valid XML"),
        (pylsl.StreamInfo("p", "Pressure", 6, 120, "float32", "p").as_xml(), "desc/geometry"),
    ],
)
def test_bad_metadata_is_one_line_error(xml, fragment):
    with pytest.raises(StreamFormatError) as exc:
        parse_info_xml(xml)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_geometry_must_match_channel_count():
    xml = _info("p", "Pressure", [None], [None], geometry={"rows": 4, "cols": 4, "row_pitch_mm": 10,
                                                           "col_pitch_mm": 10})
    with pytest.raises(StreamFormatError, match="4x4"):
        parse_info_xml(xml)


def test_desc_channel_count_mismatch():
    info = pylsl.StreamInfo("e", "EMG", 3, 2000, "float32", "e")
    ch = info.desc().append_child("channels").append_child("channel")
    ch.append_child_value("label", "GMED_L")
    with pytest.raises(StreamFormatError, match="1 channels but channel_count is 3"):
        parse_info_xml(info.as_xml())


def test_label_and_unit_helpers():
    assert parse_emg_label("gmed_R") == ("GMED", "R")
    assert parse_emg_label("GMED-L") is None
    assert to_si("µV") == ("V", 1e-6)
    assert to_si("kgf") == ("N", 9.80665)
    assert to_si("furlongs") == ("furlongs", 1.0)


def test_belt_speed_role():
    xml = _info("belt", "BeltSpeed", ["speed_L", "speed_R"], ["m/s", "m/s"])
    assert parse_info_xml(xml).role == "belt_speed"


def test_one_sided_device_declares_its_side():
    info = pylsl.StreamInfo("dyn", "Force", 1, 100.0, "float32", "dyn-l")
    info.desc().append_child_value("side", "l")
    assert parse_info_xml(info.as_xml()).side == "L"
    assert parse_info_xml(pylsl.StreamInfo("d2", "Force", 1, 100.0, "float32", "d").as_xml()).side == ""
    bad = pylsl.StreamInfo("dyn", "Force", 1, 100.0, "float32", "dyn-x")
    bad.desc().append_child_value("side", "left leg")
    with pytest.raises(StreamFormatError, match="desc/side"):
        parse_info_xml(bad.as_xml())


def test_montage_is_checked_against_the_channels():
    labels = ["EMG1", "EMG2", "EMG3", "GMED_R"]
    # empty entries leave a channel unmapped; sides and muscles are normalised
    assert check_montage(labels, {"EMG1": " gmed_L ", "EMG2": "", "EMG3": "TFL_R"}) == {
        "EMG1": "GMED_L", "EMG3": "TFL_R"}
    for bad, words in (({"EMG9": "GMED_L"}, "no channel 'EMG9'"),
                       ({"EMG1": "GMED"}, "MUSCLE_SIDE"),
                       ({"EMG1": "GMED_X"}, "MUSCLE_SIDE"),
                       ({"EMG1": "TFL_L", "EMG3": "TFL_L"}, "two channels"),
                       ({"EMG1": "GMED_R"}, "two channels")):  # GMED_R is channel 4's own label
        with pytest.raises(GaitlabError) as err:
            check_montage(labels, bad)
        msg = str(err.value)
        assert words in msg and "\n" not in msg, msg
