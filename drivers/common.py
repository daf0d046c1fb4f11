"""Helpers shared by the device bridges."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from gaitlab.errors import GaitlabError

T = TypeVar("T")


def retry_with_backoff(attempt: Callable[[], T], should_stop: Callable[[], bool],
                       max_wait_s: float) -> T | None:
    """Call ``attempt`` until it stops raising GaitlabError; None if ``should_stop`` first.

    Waits 0.2 s after the first failure, doubling up to ``max_wait_s``.
    """
    wait = 0.2
    while not should_stop():
        try:
            return attempt()
        except GaitlabError:
            time.sleep(wait)
            wait = min(2 * wait, max_wait_s)
    return None


def append_mocap_channels(desc: Any, sensors: list[str], kinds: tuple[tuple[str, str], ...]) -> None:
    """The XDF MoCap meta-data of inertial sensors under an LSL ``desc`` element: per sensor and
    kind (e.g. ("Acceleration", "g")) three channels ``<sensor>_<kind>X/Y/Z`` with ``label``,
    ``marker``, ``type`` and ``unit``, then ``setup/markers`` listing the sensors."""
    chans = desc.append_child("channels")
    for label in sensors:
        for kind, unit in kinds:
            for axis in "XYZ":
                ch = chans.append_child("channel")
                ch.append_child_value("label", f"{label}_{kind}{axis}")
                ch.append_child_value("marker", label)
                ch.append_child_value("type", f"{kind}{axis}")
                ch.append_child_value("unit", unit)
    markers = desc.append_child("setup").append_child("markers")
    for label in sensors:
        markers.append_child("marker").append_child_value("label", label)
