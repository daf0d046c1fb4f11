"""Qt-free live data core of the desktop app: LSL streams into ring buffers, stream
health, live trackers (step width, cadence, GMED onset and pelvic drop per step), display
helpers."""

from gaitlab.live.buffers import RingBuffer, decimate_minmax
from gaitlab.live.health import StreamHealth
from gaitlab.live.monitor import EmgView, ForceView, GaitView, LabMonitor, PressureView
from gaitlab.live.pelvis import PelvisView

__all__ = ["EmgView", "ForceView", "GaitView", "LabMonitor", "PelvisView", "PressureView",
           "RingBuffer", "StreamHealth", "decimate_minmax"]
