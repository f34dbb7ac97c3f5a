"""A project's feature store on its cluster.

Namespace guard rails, RonDB with its post-renderer and S3 backups, Arrow Flight, HPAs and
capacity.
"""
