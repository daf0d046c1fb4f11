"""Helpers shared by the device bridges."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from gaitlab.errors import GaitlabError

T = TypeVar("T")


def retry_with_backoff(attempt: Callable[[], T], should_stop: Callable[[], bool],
                       max_wait_s: float) -> T | None:
    """Call ``attempt`` until it stops raising GaitlabError; None if ``should_stop`` first.

    Waits 0.2 s after the first failure, doubling up to ``max_wait_s``.
    """
    wait = 0.2
    while not should_stop():
        try:
            return attempt()
        except GaitlabError:
            time.sleep(wait)
            wait = min(2 * wait, max_wait_s)
    return None
