"""Mark-10 force gauge and generic line-based serial load cells -> LSL dynamometer stream."""
