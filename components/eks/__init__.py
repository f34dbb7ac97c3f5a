"""The EKS control plane with its Kubernetes provider.

Also the managed add-ons, and their versions pinned per Kubernetes version.
"""
