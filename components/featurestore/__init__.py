"""A project's feature store on its cluster.

Namespace guard rails, RonDB with its post-renderer, Arrow Flight, HPAs and capacity.
"""
