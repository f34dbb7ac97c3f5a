"""Self-service operations on a stack: each one a reviewed edit of `Pulumi.<stack>.yaml`.

An operation (`operations`) edits the stack file's round-trip document (`document`) in memory;
`change` then validates the edited text with the loader and models `fsctl plan` uses, writes it,
and reviews it (`review`: the plan's resource diff against the unchanged config, policy and
preflight); `pull_request` commits it on a branch and proposes it. The commands
(`fsctl cluster|project|peer …`) are thin argument parsers over these.
"""
