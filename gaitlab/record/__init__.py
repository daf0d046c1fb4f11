"""LSL recorder: every matching stream into one crash-safe HDF5 session file (docs/recorder.md)."""

from gaitlab.record.filters import StreamFilter
from gaitlab.record.recorder import Recorder, RecordingSummary, StatusEvent, StreamStats

__all__ = ["Recorder", "RecordingSummary", "StatusEvent", "StreamFilter", "StreamStats"]
