"""`fsctl preflight`: what AWS and Kubernetes would refuse or not do, found on a plan alone."""
