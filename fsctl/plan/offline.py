"""Offline plans: run a Pulumi program under the mock cloud and write what it would create."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import runpy
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockEngine
from pulumi.runtime.stack import run_in_stack

from fsctl.plan.mock_account import in_this_account
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.monitor import PlannedResource, RecordingMonitor
from fsctl.plan.process import batch_collections
from fsctl.plan.types import HELM_RELEASE
from fsctl.plan.types import STACK as STACK_TYPE

try:
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # a PyYAML built without libyaml: same documents, written more slowly
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]

CLUSTER_COMPONENT_TYPE = "featurestore:index:FeatureStoreCluster"
FEDERATION_COMPONENT_TYPE = "featurestore:federation:Federation"
# Resources outside every cluster component (the stack itself, federation-wide resources).
SHARED_GROUP = "(shared)"


@dataclass
class Plan:
    """What a program registered, in registration order."""

    stack: str
    project: str
    resources: list[PlannedResource]

    def to_json(self) -> dict[str, Any]:
        """The plan in the `resources.json` format."""
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [resource.to_json() for resource in self.resources],
        }

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        """Every resource of one type."""
        return [resource for resource in self.resources if resource.type == resource_type]

    def named(self, resource_type: str, name: str) -> PlannedResource:
        """The one resource of a type with a logical name."""
        matches = [resource for resource in self.of_type(resource_type) if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {resource_type} named {name!r}")
        return matches[0]

    @cached_property
    def _by_urn(self) -> dict[str, PlannedResource]:
        return {planned.urn: planned for planned in self.resources}

    def cluster_of(self, resource: PlannedResource) -> str:
        """The cluster a resource belongs to: the cluster component among its ancestors.

        The federation's shared resources belong to the federation (its component's name).
        """
        by_urn = self._by_urn
        current: PlannedResource | None = resource
        while current is not None:
            if current.type in (CLUSTER_COMPONENT_TYPE, FEDERATION_COMPONENT_TYPE):
                return current.name
            current = by_urn.get(current.parent) if current.parent else None
        return SHARED_GROUP

    def stack_outputs(self) -> dict[str, Any]:
        """The program's exports."""
        stacks = self.of_type(STACK_TYPE)
        return stacks[0].outputs if stacks else {}


def run_program(
    program: Callable[[], None],
    *,
    stack: str,
    project: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    cloud: MockCloud | None = None,
    batch_gc: bool = True,
    stand_in_account: bool = True,
) -> Plan:
    """Run `program` as the Pulumi engine would, against the mock cloud, and return its plan.

    Each run gets fresh runtime settings, config and event loop in a context of its own, so
    runs in one process (tests, benchmarks) never see each other's state. With `batch_gc`
    (the default) the run makes no full garbage collection (`batch_collections`); off, it runs
    under the interpreter's default settings, as the benchmark's floor does. With
    `stand_in_account` (the default) the mock account stands in for the one the config's roles
    are in (`in_this_account`); off, the program sees the roles as `pulumi up` would, and
    refuses the stack files' examples and other accounts' roles.
    """
    cloud = cloud or MockCloud(default_region=config.get("aws:region", "us-east-1"))
    monitor = RecordingMonitor(cloud)

    def execute() -> None:
        settings = runtime_settings.Settings(
            project=project,
            stack=stack,
            monitor=monitor,
            engine=MockEngine(logging.getLogger("fsctl.plan.offline")),
            dry_run=False,
            organization="organization",
        )
        settings.monitor_features = set(monitor.supported_features())
        runtime_settings.configure(settings)
        runtime_settings.ROOT.set(None)
        set_all_config(
            in_this_account(config) if stand_in_account else dict(config), list(secret_keys)
        )
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run_in_stack(program))
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()

    with batch_collections() if batch_gc else contextlib.nullcontext():
        contextvars.copy_context().run(execute)
        resources = monitor.registration_order()
    return Plan(stack=stack, project=project, resources=resources)


@dataclass(frozen=True)
class PulumiProject:
    """The parts of `Pulumi.yaml` a plan needs."""

    root: Path
    name: str
    main: Path

    @classmethod
    def find(cls, start: Path) -> PulumiProject:
        """The project whose `Pulumi.yaml` is in `start` or its nearest parent."""
        for directory in (start, *start.parents):
            project_file = directory / "Pulumi.yaml"
            if project_file.is_file():
                document = yaml.safe_load(project_file.read_text()) or {}
                main = directory / str(document.get("main", "."))
                return cls(root=directory, name=str(document["name"]), main=main)
        raise FileNotFoundError(f"no Pulumi.yaml in {start} or any parent directory")

    def stack_config_file(self, stack: str) -> Path:
        """Where `pulumi` reads a stack's config."""
        return self.root / f"Pulumi.{stack}.yaml"

    def run_main(self) -> None:
        """Run the program's entry point as the Python language host does."""
        runpy.run_path(str(self.main), run_name="__main__")


@dataclass(frozen=True)
class StackConfigFile:
    """A stack config file, turned into what the engine hands a program."""

    values: dict[str, str]
    secret_keys: list[str]

    @classmethod
    def read(cls, path: Path) -> StackConfigFile:
        """Read `Pulumi.<stack>.yaml`.

        Values become strings as the CLI passes them: objects and lists as JSON. Encrypted
        (`secure:`) values cannot be decrypted offline; they become the mask `[secret]`.
        """
        return cls.parse(path.read_text(), path)

    @classmethod
    def parse(cls, text: str, path: Path) -> StackConfigFile:
        """`read` of the text a stack config file at `path` holds (or would hold once written)."""
        document = yaml.safe_load(text) or {}
        if not isinstance(document, dict):
            raise ValueError(f"{path} is not a map of settings")
        raw_config = document.get("config") or {}
        if not isinstance(raw_config, dict):
            raise ValueError(f"{path}: 'config' is not a map of keys to values")
        values: dict[str, str] = {}
        secret_keys: list[str] = []
        for key, value in raw_config.items():
            if isinstance(value, dict) and set(value) == {"secure"}:
                values[str(key)] = "[secret]"
                secret_keys.append(str(key))
            else:
                values[str(key)] = engine_config_value(value)
        return cls(values=values, secret_keys=secret_keys)


def engine_config_value(value: Any) -> str:
    """A config value as the CLI passes it to a program."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def kubernetes_manifests(plan: Plan) -> dict[Path, dict[str, Any]]:
    """Every Kubernetes object of the plan: `<cluster>/<kind>-<namespace>-<name>.yaml` -> object.

    Helm releases are written as their release object, which carries the chart and its values.
    """
    manifests: dict[Path, dict[str, Any]] = {}
    for resource in plan.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:"):
            continue
        if resource.type.startswith("pulumi:providers:"):
            continue
        document = _manifest_document(resource)
        metadata = document.get("metadata") or {}
        kind = str(document.get("kind") or resource.type.rsplit(":", 1)[-1])
        namespace = str(metadata.get("namespace") or "_cluster")
        name = str(metadata.get("name") or resource.name)
        path = Path(plan.cluster_of(resource)) / f"{kind}-{namespace}-{name}.yaml"
        manifests[path] = document
    return manifests


def _manifest_document(resource: PlannedResource) -> dict[str, Any]:
    if resource.type == HELM_RELEASE:
        return {
            "apiVersion": "helm.sh/v3",
            "kind": "Release",
            "metadata": {
                "name": resource.inputs.get("name", resource.name),
                "namespace": resource.inputs.get("namespace"),
            },
            "spec": {key: value for key, value in resource.inputs.items() if key != "name"},
        }
    return dict(resource.inputs)


def _reading_order(document: dict[str, Any]) -> dict[str, Any]:
    """`apiVersion`, `kind`, `metadata` first, everything else sorted: stable, easy to diff."""
    head = [key for key in ("apiVersion", "kind", "metadata") if key in document]
    return {key: _sorted(document[key]) for key in [*head, *sorted(set(document) - set(head))]}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def write_plan(plan: Plan, out_dir: Path) -> None:
    """Write `resources.json` and the manifests, replacing the plan `out_dir` held.

    The plan is written beside `out_dir` first and moved into place, so a failure never leaves
    a half-written plan behind. An existing `out_dir` is replaced only if it is empty or holds
    a plan: `--out .` must never delete a project.
    """
    if out_dir.exists() and not _is_replaceable(out_dir):
        raise FileExistsError(
            f"{out_dir} exists and is not a plan directory; choose an empty directory or a "
            "previous plan's"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    staging.chmod(0o755)
    try:
        (staging / "resources.json").write_text(json.dumps(plan.to_json(), indent=2) + "\n")
        manifests_dir = staging / "manifests"
        manifests_dir.mkdir()
        for relative, document in kubernetes_manifests(plan).items():
            target = manifests_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                yaml.dump(_reading_order(document), Dumper=_ManifestDumper, sort_keys=False)
            )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


class _ManifestDumper(_BaseDumper):
    """Writes manifests as a reviewer reads them, with libyaml (8x PyYAML's own emitter here).

    Multi-line text (a ConfigMap's file, a chart's embedded config) is a literal block, line
    for line, not a folded quoted string; text a literal block cannot hold exactly (a line
    ending in a space, a tab, a carriage return) stays double-quoted. Both emitters, libyaml
    and PyYAML's fallback, write the same bytes for the plans here
    (tests/plan/test_plan_command.py).
    """


def _represent_text(dumper: yaml.representer.SafeRepresenter, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(str, _represent_text)


def _is_replaceable(directory: Path) -> bool:
    if not directory.is_dir():
        return False
    return {entry.name for entry in directory.iterdir()} <= {"resources.json", "manifests"}


def summarize(plan: Plan) -> dict[str, Any]:
    """Resource counts per type and per cluster, as the plan command prints them."""
    resources = [resource for resource in plan.resources if resource.type != STACK_TYPE]
    per_type = Counter(resource.type for resource in resources)
    per_cluster = Counter(plan.cluster_of(resource) for resource in resources)
    return {
        "stack": plan.stack,
        "project": plan.project,
        "total": len(resources),
        "perType": dict(sorted(per_type.items())),
        "perCluster": dict(sorted(per_cluster.items())),
    }
