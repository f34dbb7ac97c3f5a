"""Reusable Pulumi components of the feature store, one folder per concern."""
