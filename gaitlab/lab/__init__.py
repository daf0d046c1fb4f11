"""The lab: which devices belong to it (profile, choice of one device per role) and what
is on the network now. :mod:`gaitlab.lab.profile` is pure; :mod:`gaitlab.lab.network`
looks at LSL; :mod:`gaitlab.lab.cli` is ``gaitlab lab``."""

from gaitlab.lab.profile import (
    ROLES,
    Device,
    DeviceChooser,
    DeviceRule,
    Ignored,
    LabProfile,
    choose_panel,
    device_from_xml,
    lab_toml,
    load_lab,
    parse_lab,
    rivals,
    rivals_error,
)

__all__ = ["ROLES", "Device", "DeviceChooser", "DeviceRule", "Ignored", "LabProfile", "choose_panel",
           "device_from_xml", "lab_toml", "load_lab", "parse_lab", "rivals", "rivals_error"]
