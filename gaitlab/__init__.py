"""gaitlab: instrumented gait-lab pipeline for runners with IT band syndrome.

Core package (no Qt): stream conventions, LSL recording to HDF5 session files and
the signal-processing core. Device bridges live in ``gaitlab.drivers`` and the Qt
desktop app in ``gaitlab.gui``.
"""

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# liblsl reads its configuration when it is first loaded. Unless the user configured
# liblsl themselves, point it at ours: log level -3 (fatal only), as gaitlab reports lost
# streams itself. (liblsl's parser takes no comments in that file.)
os.environ.setdefault("LSLAPICFG", str(Path(__file__).with_name("lsl_api.cfg")))

try:
    __version__ = version("gaitlab")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
