"""`fsctl drift`: a stack's state compared with live AWS.

State reading, the live readers per AWS service, `.driftignore` rules and the reports.
"""
