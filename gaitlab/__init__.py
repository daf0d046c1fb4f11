"""gaitlab: instrumented gait-lab pipeline for runners with IT band syndrome.

Core package (no Qt): stream conventions, LSL recording to HDF5 session files and
the signal-processing core. Device bridges live in ``gaitlab.drivers`` and the Qt
desktop app in ``gaitlab.gui``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gaitlab")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
