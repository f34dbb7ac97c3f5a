"""Validation of Strimzi objects against the Strimzi CRDs vendored in `components/vendored/crds/`.

What the API server would do with an object, as far as it can be done offline:

- the `openAPIV3Schema` of the CRD version the object names, with jsonschema;
- made strict: the API server silently *prunes* fields a structural schema does not declare
  (unless `x-kubernetes-preserve-unknown-fields`), so a misspelt field would pass plain
  jsonschema and then vanish. Here an undeclared field is an error;
- the CRDs' CEL rules (`x-kubernetes-validations`), which jsonschema ignores, hand-translated
  to Python below. A rule without a translation is an error, so a new CRD version with new
  rules fails the tests until someone translates them;
- metadata the schemas leave open: a DNS-subdomain name and a namespace.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from components.kafka.spec import STRIMZI_VERSION
from components.vendored import strimzi_crds_dir

CRD_DIR = strimzi_crds_dir(STRIMZI_VERSION)
PRESERVE = "x-kubernetes-preserve-unknown-fields"
VALIDATIONS = "x-kubernetes-validations"

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _has(value: dict[str, Any], key: str) -> bool:
    return key in value


# CEL rule -> the same predicate in Python. CEL's `||` short-circuits on true even if the other
# side fails, and reading a missing field fails: `.get(...)` with a default that fails the
# comparison stands for that.
CEL_RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    '(has(self.type) && self.type != "topology-label") || self.topologyKey != ""': lambda s: (
        (_has(s, "type") and s["type"] != "topology-label") or s.get("topologyKey", "") != ""
    ),
    'has(self.type) == false || self.type != "environment-variable" || self.envVarName != ""': (
        lambda s: (
            not _has(s, "type")
            or s["type"] != "environment-variable"
            or s.get("envVarName", "") != ""
        )
    ),
    "self.type != 'jmxPrometheusExporter' || has(self.valueFrom)": lambda s: (
        s["type"] != "jmxPrometheusExporter" or _has(s, "valueFrom")
    ),
    "self.type != 'strimziMetricsReporter'": lambda s: s["type"] != "strimziMetricsReporter",
    "self.type == 'tls' || (!has(self.validityDays) && !has(self.renewalDays))": lambda s: (
        s["type"] == "tls" or (not _has(s, "validityDays") and not _has(s, "renewalDays"))
    ),
    "self.type != 'tls' || (has(self.renewalDays) == has(self.validityDays))": lambda s: (
        s["type"] != "tls" or _has(s, "renewalDays") == _has(s, "validityDays")
    ),
    (
        "self.type != 'tls' || !has(self.renewalDays) || !has(self.validityDays) "
        "|| self.renewalDays < self.validityDays"
    ): lambda s: (
        s["type"] != "tls"
        or not _has(s, "renewalDays")
        or not _has(s, "validityDays")
        or s["renewalDays"] < s["validityDays"]
    ),
}


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """`(apiVersion, kind)` -> the `openAPIV3Schema` of every served version of every CRD."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(Path(CRD_DIR).glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group = crd["spec"]["group"]
            kind = crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schemas[(f"{group}/{version['name']}", kind)] = version["schema"][
                        "openAPIV3Schema"
                    ]
    return schemas


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every declared object closed, as pruning effectively closes it."""
    closed = copy.deepcopy(schema)

    def close(node: dict[str, Any]) -> None:
        if "properties" in node and "additionalProperties" not in node and not node.get(PRESERVE):
            node["additionalProperties"] = False
        children = [*node.get("properties", {}).values()]
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                children.append(node[key])
        for key in ("anyOf", "allOf", "oneOf"):
            children += node.get(key, [])
        for child in children:
            close(child)

    close(closed)
    return closed


@functools.cache
def _validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(strict(crd_schemas()[(api_version, kind)]))


def cel_rules(schema: Any) -> Iterator[str]:
    """Every CEL rule anywhere in a schema."""
    if isinstance(schema, list):
        for item in schema:
            yield from cel_rules(item)
    elif isinstance(schema, dict):
        for validation in schema.get(VALIDATIONS, []):
            yield validation["rule"]
        for value in schema.values():
            yield from cel_rules(value)


def _cel_errors(schema: dict[str, Any], value: Any, path: str) -> Iterator[str]:
    for validation in schema.get(VALIDATIONS, []):
        rule = validation["rule"]
        check = CEL_RULES.get(rule)
        if check is None:
            yield f"{path}: CEL rule without a Python translation: {rule}"
        elif not check(value):
            yield f"{path}: {validation.get('message', rule)}"
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                yield from _cel_errors(schema["properties"][key], item, f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                yield from _cel_errors(schema["additionalProperties"], item, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _cel_errors(schema["items"], item, f"{path}[{index}]")


def crd_errors(manifest: dict[str, Any]) -> list[str]:
    """Why the API server would reject (or prune) `manifest`; empty if it would take it whole."""
    key = (str(manifest.get("apiVersion")), str(manifest.get("kind")))
    if key not in crd_schemas():
        return [f"no CRD in {CRD_DIR.name} serves {key[1]} in {key[0]}"]
    errors = [
        f"{'.'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in _validator(*key).iter_errors(manifest)
    ]
    errors += list(_cel_errors(crd_schemas()[key], manifest, "(root)"))
    metadata = manifest.get("metadata") or {}
    name = str(metadata.get("name", ""))
    if not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
        errors.append(f"metadata.name: {name!r} is not a DNS subdomain")
    if not metadata.get("namespace"):
        errors.append("metadata.namespace: Strimzi resources are namespaced")
    return errors
