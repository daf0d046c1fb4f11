"""Pelvic obliquity and contralateral pelvic drop from pelvis markers or a sacral IMU
(issue #12). Pure signal functions; see docs/metrics.md ("Pelvis") for the definitions."""

from gaitlab.analysis.pelvis.angles import PelvisAngles, cardan_rot_obl_tilt, lab_axes
from gaitlab.analysis.pelvis.footevents import foot_contacts
from gaitlab.analysis.pelvis.imu import ImuPelvis, find_still, imu_pelvis
from gaitlab.analysis.pelvis.markers import (
    canonical_label,
    cluster_frame,
    find_pelvis_markers,
    landmark_frame,
    marker_angles,
)
from gaitlab.analysis.pelvis.stance import SideDrop, drop_signal, empty_pelvis_metrics, pelvis_metrics

__all__ = [
    "ImuPelvis", "PelvisAngles", "SideDrop", "canonical_label", "cardan_rot_obl_tilt", "cluster_frame",
    "drop_signal", "empty_pelvis_metrics", "find_pelvis_markers", "find_still", "foot_contacts",
    "imu_pelvis", "lab_axes", "landmark_frame", "marker_angles", "pelvis_metrics",
]
