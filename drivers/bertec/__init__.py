"""Bertec instrumented treadmill: remote control over TCP (port 4000) -> LSL belt speed."""
