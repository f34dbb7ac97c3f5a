"""Reusable Pulumi components of the feature store, one concern per module."""
