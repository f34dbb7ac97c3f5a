"""The network of a cluster: the VPC and its subnet plan, and the deployer's way into it."""
