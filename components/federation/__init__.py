"""The federation of clusters.

Peering, the private zone, and the endpoints each project exposes to its peers.
"""
