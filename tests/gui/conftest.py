"""GUI tests run offscreen against the virtual athlete over real LSL."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
