"""fsctl, the operator command line: plan, diff, policy, drift."""
