"""fsctl, the operator command line: plan, diff, policy, preflight, drift."""
