"""Before/after comparison of session files (Qt-free)."""

from gaitlab.compare.core import (
    Comparison,
    Visit,
    compare_visits,
    flatten,
    judge,
    load_visit,
    order_by_date,
    trend,
)
from gaitlab.compare.metrics import MDC, MetricDef, metric_defs

__all__ = ["MDC", "Comparison", "MetricDef", "Visit", "compare_visits", "flatten", "judge",
           "load_visit", "metric_defs", "order_by_date", "trend"]
