"""Persistent storage: the EBS CSI storage classes, encrypted with the cluster's key."""
