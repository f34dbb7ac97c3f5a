"""The identities the CI workflows assume in AWS, and the boundary of what the deploy creates."""
