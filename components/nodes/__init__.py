"""Compute: the managed node groups and the Cluster Autoscaler that sizes them.

Also the pure node-group plan by pool and zone, and the node labels and taints.
"""
