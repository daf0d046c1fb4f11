"""The virtual athlete: one gait/session model rendered by every simulated device."""
