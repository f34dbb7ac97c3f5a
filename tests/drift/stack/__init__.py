"""A small feature-store stack created in moto with boto3, and its state as Pulumi exports it.

`deploy.deploy` creates it through one builder module per AWS area; `state` holds the state
writer, the stack's constants and the resource type tokens; `aws` the boto3 clients and the
request documents the builders share. Import from the module that defines a name: this package
re-exports nothing.
"""
