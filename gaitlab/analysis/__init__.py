"""Analysis: session file → metrics contract (``gaitlab.metrics/2``, docs/metrics.md).

Pure signal-processing modules (:mod:`~gaitlab.analysis.pressure`, :mod:`~gaitlab.analysis.gait`,
:mod:`~gaitlab.analysis.emg`, :mod:`~gaitlab.analysis.strength`, :mod:`~gaitlab.analysis.pelvis`)
work on arrays and sampling rates; :mod:`~gaitlab.analysis.pipeline` reads the session file and assembles
the contract.
"""

from gaitlab.analysis.params import AnalysisParams
from gaitlab.analysis.pipeline import METRICS_SCHEMA, AnalysisResult, analyze_session, store

__all__ = ["METRICS_SCHEMA", "AnalysisParams", "AnalysisResult", "analyze_session", "store"]
