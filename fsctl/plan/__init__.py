"""Offline plans: the mock cloud, the recording monitor, wire-value conversion, and `fsctl plan`."""
