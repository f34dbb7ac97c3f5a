"""Vector search: one Amazon OpenSearch Service domain per cluster, each project on its indexes."""
