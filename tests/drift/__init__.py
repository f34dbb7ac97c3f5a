"""`fsctl drift` tests against moto's server (a real HTTP endpoint in the test process)."""
