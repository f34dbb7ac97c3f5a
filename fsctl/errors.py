"""Exit codes and the error a command raises for a problem the user can fix."""

EXIT_OK = 0
EXIT_FINDINGS = 1
"""A finding: a mandatory policy violation, drift."""
EXIT_ERROR = 2
"""A usage or input error, reported as one line per problem on stderr."""
EXIT_BUSY = 3
"""`fsctl deploy` only: another update still held the stack after every retry; nothing changed."""


class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""
