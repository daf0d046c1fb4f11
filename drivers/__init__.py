"""Device bridges: each publishes one device's data as LSL streams following the
gaitlab stream conventions (docs/streams.md). Installed as ``gaitlab.drivers``."""
