"""Delsys Trigno EMG base station (SDK server over TCP) -> LSL EMG + MoCap AUX streams."""
