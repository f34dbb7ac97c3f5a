"""Kafka on Strimzi: its pure plan and manifests, the Pulumi component, and client credentials."""
