"""What is on the LSL network now: every stream's :class:`~gaitlab.lab.profile.Device`,
read from its full info (the data connection is never opened)."""

from __future__ import annotations

import pylsl

from gaitlab.lab.profile import Device, device_from_xml
from gaitlab.record.filters import StreamFilter, identity_of


def scan(wait_s: float = 2.0, filters: StreamFilter | None = None,
         info_timeout_s: float = 1.0) -> tuple[list[Device], list[str]]:
    """Resolve for ``wait_s`` and describe every stream matching ``filters``. Returns the
    devices (sorted by role, host, name) and one-line notes on streams that did not answer."""
    filters = filters or StreamFilter()
    found: list[Device] = []
    notes: list[str] = []
    for info in pylsl.resolve_streams(wait_time=wait_s):
        if not filters.matches_info(info):
            continue
        try:
            inlet = pylsl.StreamInlet(info, max_buflen=1, recover=False)
            xml = inlet.info(timeout=info_timeout_s).as_xml()
            del inlet
        except Exception as exc:
            notes.append(f"stream '{info.name()}' on {info.hostname()} did not answer "
                         f"({type(exc).__name__})")
            continue
        found.append(device_from_xml(identity_of(info), xml))
    found.sort(key=lambda d: (d.role, d.host, d.name, d.source_id))
    return found, notes
