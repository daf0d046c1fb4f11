"""Shared fixtures of the virtual-athlete tests."""

from __future__ import annotations

import pytest

from gaitlab.athlete import Profile, load_profile
from gaitlab.protocols import Protocol, load_protocol


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("default")


@pytest.fixture(scope="session")
def assessment() -> Protocol:
    return load_protocol("demo")


@pytest.fixture(scope="session")
def run_only() -> Protocol:
    return load_protocol("run")
