"""Facts derived from the pinned Helm charts' templates, written beside their vendored data."""
