"""Metrics the feature store scales on.

The Prometheus/prometheus-adapter pipeline, the metric table HPAs read, and metrics-server.
"""
