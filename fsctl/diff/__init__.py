"""`fsctl diff`: resource-level comparison of two offline plans, rendered for pull requests."""
