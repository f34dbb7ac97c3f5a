"""Entry point of the bootstrap program (`main: __main__.py` in bootstrap/Pulumi.yaml)."""

from infra.bootstrap import main

main()
