"""What every component uses.

Tags, resource options, manifests, IAM documents, the cluster's KMS key and pod identity.
"""
