"""Readers of live AWS resources for `fsctl drift`, one module per AWS service area."""
