"""The stack program: typed configuration and the composition of the components."""
