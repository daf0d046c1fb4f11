"""Athlete registry: an embedded SQLite index of athletes, program enrolments, visits and
their session files. The HDF5 session files stay the source of truth for signals; the
registry only stores their path and SHA-256 content hash."""

from gaitlab.registry.db import (
    VISIT_KINDS,
    AthleteRow,
    Registry,
    SessionRow,
    VisitRow,
    default_db_path,
    file_sha256,
    open_registry,
)

__all__ = ["VISIT_KINDS", "AthleteRow", "Registry", "SessionRow", "VisitRow", "default_db_path",
           "file_sha256", "open_registry"]
