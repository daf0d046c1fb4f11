"""Incremental (streaming) forms of the analysis for the live views and biofeedback.

Pure classes fed numpy chunks with their time stamps (no Qt, no LSL): they reuse the
offline functions so that per-step values equal the offline analysis of the same data.
"""

from gaitlab.analysis.online.emg import CycleResult, LiveEmgChannel, LiveEmgParams
from gaitlab.analysis.online.gait import LiveGaitParams, LivePressureGait, StepResult
from gaitlab.analysis.online.pelvis import DropResult, LivePelvis, LivePelvisParams, PelvisCalibration

__all__ = ["CycleResult", "DropResult", "LiveEmgChannel", "LiveEmgParams", "LiveGaitParams",
           "LivePelvis", "LivePelvisParams", "LivePressureGait", "PelvisCalibration", "StepResult"]
