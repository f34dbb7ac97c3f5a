"""The k-NN index template each project gets, shipped as a ConfigMap in its namespace.

OpenSearch's k-NN plugin with the FAISS engine and HNSW graphs (nmslib is deprecated by
OpenSearch; FAISS is Hopsworks' default from 5.1). The domain has no identity of its own in the
cluster, so the program cannot PUT the template itself; the project's loader applies it with its
own role (`PUT _index_template/<project>-vectors`, docs/operations.md), which the domain admits
for `<project>-*` only.
"""

from __future__ import annotations

import json
from typing import Any

from components.vector.spec import ZONE_COUNT

TEMPLATE_CONFIG_MAP = "vector-index-template"
KNN_METHOD = {
    "name": "hnsw",
    "engine": "faiss",
    "space_type": "l2",
    "parameters": {"m": 16, "ef_construction": 128},
}
"""The `method` of every `knn_vector` field: a client adds its field's own `dimension`."""
# Slow-log thresholds: the domain publishes the slow logs, but OpenSearch writes an entry only
# past a threshold set on the index.
_SLOW_LOG_SETTINGS = {
    "index.search.slowlog.threshold.query.warn": "2s",
    "index.search.slowlog.threshold.query.info": "500ms",
    "index.indexing.slowlog.threshold.index.warn": "5s",
    "index.indexing.slowlog.threshold.index.info": "1s",
}


def index_template(project: str, standby: bool) -> dict[str, Any]:
    """The composable template of a project's indexes, `<project>-*`.

    With standby AWS requires the copies of each shard to be a multiple of three
    (managedomains-multiaz.md:9), one per zone: two replicas. Without it, one replica survives
    the loss of one zone's nodes.
    """
    return {
        "index_patterns": [f"{project}-*"],
        "template": {
            "settings": {
                "index.knn": True,
                "index.number_of_shards": ZONE_COUNT,
                "index.number_of_replicas": ZONE_COUNT - 1 if standby else 1,
                **_SLOW_LOG_SETTINGS,
            }
        },
        "_meta": {"knn_method": KNN_METHOD},
    }


def template_config_map(project: str, standby: bool) -> dict[str, Any]:
    """The template and the k-NN method, for the project's loaders to apply."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": TEMPLATE_CONFIG_MAP, "namespace": project},
        "data": {
            "index-template.json": json.dumps(index_template(project, standby), indent=2),
            "knn-method.json": json.dumps(KNN_METHOD, indent=2),
        },
    }
