"""What a real `pulumi up` does with each difference of two plans: the action, why, and the risk.

Each changed resource gets the engine's action from the facts of its type
(`fsctl.diff.facts`): `replace` or `delete-replace` when a replace-forcing input changes,
`reject` when the cloud, the API server or an operator refuses the change (including the
one-way transitions checked against the base), `no-op` when nothing in the cloud changes (the
path is under `ignoreChanges`, or a chart overrides the value from the live object on upgrade),
`blocked` when a protected resource would be deleted, else `update`. Replacements cascade: a
resource whose replace-forcing input takes a replaced resource's output (the plan's
`propertyDependencies`) is replaced too, transitively, and so is every resource of a replaced
provider; the offline mock's stable ids would hide this. Removals are `delete`, or `blocked`
for a protected resource and for what it depends on (the engine keeps what a surviving resource
needs), while its unprotected dependents are still deleted (recent engines go on past a
protected delete: pulumi/pulumi#18396); `no-op` for a resource kept on delete
(`retainOnDelete`: the engine forgets it, the cloud keeps it). A project's namespace is removed
only after the project was retired in the base (decommissioning step 1, `retired: true`), else
the removal is a `reject`.

Risks, in order: `safe`, `disruptive` (pods or nodes restart, a resource is briefly absent),
`fails` (the deploy stops with an error), `data-loss` (a delete or replacement of a type that
holds data, or a half torn-down protection of data that stays).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from components.featurestore.namespace import RETIRED_LABEL
from components.kafka.spec import KAFKA_METADATA_VERSIONS
from components.nodes.node_group_plan import NODE_POOL_LABEL, PROJECT_LABEL, RETIRING_TAINT_KEY
from components.shared.quantities import memory_mib
from fsctl.charts.lookups import TEMPLATE_LOOKUPS_FILE, read_lookups
from fsctl.diff.facts import (
    DELETE_IGNORES_PDBS,
    K8S_DELETE_FIRST,
    KAFKA_DOWNGRADE,
    LIVE_VALUES,
    MIN_ABOVE_DESIRED_REFUSED,
    NODE_GROUP_SCALING_SENT,
    ONE_WAY,
    REFRESH_UPDATES_INPUTS,
    SCALE_IN_IGNORES_PDBS,
    UPDATE_ROLLS_NODES,
    Rule,
    TypeFacts,
    facts_for,
)
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.types import (
    DAEMON_SET,
    DEPLOYMENT,
    HELM_RELEASE,
    KAFKA,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    STATEFUL_SET,
)
from fsctl.preflight.chart_data import chart_data_dir
from fsctl.preflight.deploy_workflow import deploy_job

ACTIONS = ("create", "delete", "update", "replace", "delete-replace", "no-op", "reject", "blocked")
RISKS = ("safe", "disruptive", "fails", "data-loss")
REPLACING = frozenset({"replace", "delete-replace"})
NAMESPACE = "kubernetes:core/v1:Namespace"

PULUMI_ENGINE = "pulumi/pulumi"
PROTECT_SOURCE = f"{PULUMI_ENGINE}: options.protect (a protected resource is never deleted)"
RETAIN_SOURCE = (
    f"{PULUMI_ENGINE}: options.retainOnDelete (a delete removes the resource from the state "
    "and leaves it in the cloud)"
)
ALIAS_SOURCE = f"{PULUMI_ENGINE}: options.aliases (a resource found under an alias is moved)"
DECOMMISSION_SOURCE = "docs/operations.md: Day-2: decommissioning, renames and Kafka"
CONTINUE_SOURCE = f"{PULUMI_ENGINE}#18396 (deletes go on past a protected delete)"
IGNORE_SOURCE = f"{PULUMI_ENGINE}: options.ignoreChanges (the engine keeps the old value)"
DELETE_FIRST_SOURCE = f"{PULUMI_ENGINE}: options.deleteBeforeReplace"
OPTIONS_SOURCE = f"{PULUMI_ENGINE}: resource options (protect, dependsOn, ...) live in the state"
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Reason:
    """Why an entry has its action: the path, in words, and the fact's source."""

    path: str
    why: str
    source: str

    def to_json(self) -> dict[str, str]:
        """The reason as `fsctl diff --format json` prints it."""
        return {"path": self.path, "why": self.why, "source": self.source}


@dataclass(frozen=True)
class Verdict:
    """The action the engine takes, why, and what it risks."""

    action: str
    reasons: tuple[Reason, ...] = ()
    risk: str = "safe"
    refused: str | None = None
    """For a `reject` of the project's own day-2 rules (not of AWS or an operator): the action
    the engine would take, whose impact on running workloads the diff still shows, as the
    reason the rule refuses it."""


def worst(risks: Iterable[str]) -> str:
    """The worst of some risks (`safe` for none)."""
    return max(risks, key=RISKS.index, default="safe")


def _facts(resource: PlannedResource) -> TypeFacts | None:
    return facts_for(resource.type, custom=resource.custom)


def _matches(rule_path: str, path: str) -> bool:
    return path == rule_path or path.startswith((rule_path + ".", rule_path + "["))


def _first(rules: Sequence[Rule], path: str) -> Rule | None:
    return next((rule for rule in rules if _matches(rule.path, path)), None)


def _reason(rule: Rule, path: str) -> Reason:
    return Reason(path, rule.why, rule.source.cite())


def unordered_list(resource: PlannedResource) -> Callable[[str], bool]:
    """Whether an input path of the resource is a list kept as a set (its order is no change).

    Patterns are input paths where `[*]` stands for any index and a leading `**.` for any
    prefix (`**.matchExpressions[*].values`).
    """
    facts = _facts(resource)
    patterns = [_pattern(path) for path in (facts.unordered if facts else ())]
    return lambda path: any(pattern.fullmatch(path) for pattern in patterns)


@lru_cache(maxsize=256)
def _pattern(path: str) -> re.Pattern[str]:
    prefix = ""
    if path.startswith("**."):
        prefix, path = r"(?:.+\.)?", path[3:]
    return re.compile(prefix + re.escape(path).replace(r"\[\*\]", r"\[\d+\]"))


def moved(previous_urn: str) -> Verdict:
    """The verdict on a resource that an alias moves from `previous_urn`, nothing else changed."""
    why = (
        f"renamed from {_name(previous_urn)}: an alias moves its state to the new URN, "
        "nothing in the cloud changes"
    )
    return Verdict("no-op", (Reason("urn", why, ALIAS_SOURCE),), "safe")


def classify_change(
    before: PlannedResource, after: PlannedResource, paths: Sequence[tuple[str, Any, Any]]
) -> Verdict:
    """The verdict on one resource whose input paths (`path, old, new`) changed."""
    facts = _facts(after)
    if facts is None or facts.component:
        return Verdict("update", (), "safe")
    if not paths:
        why = "only the engine's options change: nothing in the cloud does"
        return Verdict("no-op", (Reason("options", why, OPTIONS_SOURCE),), "safe")
    # An ignored path never reaches the provider; a chart overrides a live value itself.
    ignored = [path for path, _, _ in paths if _ignored(after, path)]
    live = [path for path, _, _ in paths if path not in ignored and _from_live_object(after, path)]
    effective = [p for p in paths if p[0] not in ignored and p[0] not in live]
    rejected = [
        *_one_way(after.type, effective),
        *_kafka_downgrade(before, after, effective),
        *_refused(facts, effective),
    ]
    if rejected:
        return Verdict("reject", tuple(rejected), "fails")
    reasons = [Reason(path, "under ignoreChanges", IGNORE_SOURCE) for path in ignored]
    reasons += [
        Reason(
            path,
            "the chart reuses the live object's value on upgrade: nothing changes in the "
            "cluster, while the state records the new value",
            _live_source(after, path),
        )
        for path in live
    ]
    if not effective:
        return Verdict("no-op", tuple(reasons), "safe")
    replacing = [
        _reason(rule, path)
        for path, _, _ in effective
        if (rule := _first(facts.replace, path)) is not None
    ]
    if replacing:
        return _replacement(before, after, facts, replacing)
    return _update(before, after, reasons, effective)


def _update(
    before: PlannedResource,
    after: PlannedResource,
    reasons: list[Reason],
    effective: Sequence[tuple[str, Any, Any]],
) -> Verdict:
    risk = _update_risk(after, effective)
    if after.type == NODE_GROUP and any(path.startswith(_SCALING) for path, _, _ in effective):
        return _scaling_verdict(before, after, reasons, risk)
    return Verdict("update", tuple(reasons), risk)


def _update_risk(resource: PlannedResource, paths: Sequence[tuple[str, Any, Any]]) -> str:
    """An update restarts pods when it changes a pod template or a node group's nodes."""
    restarts = {
        DEPLOYMENT: ("spec.template",),
        STATEFUL_SET: ("spec.template",),
        DAEMON_SET: ("spec.template",),
        NODE_GROUP: ("launchTemplate.version", "releaseVersion", "version"),
    }.get(resource.type, ())
    if any(_matches(prefix, path) for path, _, _ in paths for prefix in restarts):
        return "disruptive"
    return "safe"


def _replacement(
    before: PlannedResource, after: PlannedResource, facts: TypeFacts, reasons: list[Reason]
) -> Verdict:
    if after.type == NODE_GROUP:
        reasons.append(Reason(GENERATION_PATH, NODE_GROUP_REPLACED, DELETE_IGNORES_PDBS.cite()))
        return Verdict("reject", tuple(reasons), "fails", refused="replace")
    action = "replace"
    if after.delete_before_replace:
        action = "delete-replace"
        reasons.append(
            Reason(
                "options.deleteBeforeReplace",
                "deleted before its replacement is created",
                DELETE_FIRST_SOURCE,
            )
        )
    elif facts.named_delete_first and _same_name(before, after):
        action = "delete-replace"
        reasons.append(
            Reason(
                "metadata.name",
                "the object keeps its name, so pulumi-kubernetes "
                "deletes it before creating the replacement",
                K8S_DELETE_FIRST.cite(),
            )
        )
    if before.protect or after.protect:
        reasons.append(
            Reason(
                "options.protect",
                "a replacement deletes the old resource, and "
                "it is protected: the deploy stops here",
                PROTECT_SOURCE,
            )
        )
        return Verdict("blocked", tuple(reasons), "fails")
    return Verdict(action, tuple(reasons), "data-loss" if facts.data else "disruptive")


def _same_name(before: PlannedResource, after: PlannedResource) -> bool:
    old, new = before.inputs.get("metadata") or {}, after.inputs.get("metadata") or {}
    return bool(new.get("name")) and (old.get("name"), old.get("namespace")) == (
        new.get("name"),
        new.get("namespace"),
    )


def _ignored(resource: PlannedResource, path: str) -> bool:
    return any(_matches(ignored, path) for ignored in resource.ignore_changes)


def _refused(facts: TypeFacts, paths: Sequence[tuple[str, Any, Any]]) -> list[Reason]:
    return [
        _reason(rule, path)
        for path, _, _ in paths
        if (rule := _first(facts.refused, path)) is not None
    ]


def _one_way(type_token: str, paths: Sequence[tuple[str, Any, Any]]) -> list[Reason]:
    reasons = []
    for path, old, new in paths:
        for rule in ONE_WAY:
            if (
                rule.type == type_token
                and _INDEX.sub("[*]", path) == rule.path
                and old is not None
                and new is not None
                and not _forward(rule.order, old, new)
            ):
                reasons.append(Reason(path, f"{rule.rule}: {old} → {new}", rule.source.cite()))
    return reasons


def _kafka_downgrade(
    before: PlannedResource, after: PlannedResource, paths: Sequence[tuple[str, Any, Any]]
) -> list[Reason]:
    """A Kafka version whose metadata version is older than the one the base runs."""
    if after.type != KAFKA or not any(path == KAFKA_DOWNGRADE.path for path, _, _ in paths):
        return []
    running = ((before.inputs.get("spec") or {}).get("kafka") or {}).get("metadataVersion")
    target = ((after.inputs.get("spec") or {}).get("kafka") or {}).get("version")
    newest = KAFKA_METADATA_VERSIONS.get(str(target))
    if running is None or newest is None or _forward("metadata", running, newest):
        return []
    why = f"{KAFKA_DOWNGRADE.why}: Kafka {target} runs at most {newest}, the base {running}"
    return [Reason(KAFKA_DOWNGRADE.path, why, KAFKA_DOWNGRADE.source.cite())]


def _forward(order: str, old: Any, new: Any) -> bool:
    """Whether `old -> new` is a transition a one-way rule of this `order` allows.

    Values that do not parse are left to the config's own validation, which rejects them
    before a plan exists: no verdict here.
    """
    try:
        if order == "minor":
            (old_major, old_minor), (new_major, new_minor) = _minor(old), _minor(new)
            return old_major == new_major and 0 <= new_minor - old_minor <= 1
        if order == "metadata":
            return _metadata_version(new) >= _metadata_version(old)
        if order == "quantity":
            return _quantity(new) >= _quantity(old)
        return float(new) >= float(old)
    except ValueError:
        return True


def _minor(version: Any) -> tuple[int, int]:
    major, minor, *_ = str(version).split(".")
    return int(major), int(minor)


def _metadata_version(value: Any) -> tuple[int, ...]:
    """`4.1-IV0` as `(4, 1, 0)`: Kafka's metadata versions order by release, then IV."""
    release, _, iv = str(value).partition("-IV")
    return (*map(int, release.split(".")), int(iv or 0))


def _quantity(value: Any) -> float:
    return memory_mib(str(value))


def _from_live_object(resource: PlannedResource, path: str) -> bool:
    if resource.type != HELM_RELEASE:
        return False
    chart = str(resource.inputs.get("chart") or "").rsplit("/", 1)[-1]
    return (chart, path) in LIVE_VALUES


def _live_source(resource: PlannedResource, path: str) -> str:
    chart = str(resource.inputs.get("chart") or "").rsplit("/", 1)[-1]
    version = str(resource.inputs.get("version") or "")
    template = LIVE_VALUES[(chart, path)]
    return f"{chart}-{version} {template}:{_lookup_line(chart, version, template)} (lookup)"


@lru_cache(maxsize=8)
def _lookup_line(chart: str, version: str, template: str) -> str:
    """The line of the template's lookup that reads a claim's size, from the vendored record."""
    lookups = read_lookups(chart_data_dir() / f"{chart}-{version}" / TEMPLATE_LOOKUPS_FILE) or ()
    lines = [
        str(lookup.line)
        for lookup in lookups
        if lookup.file == template
        and any(read.path[-3:] == ("resources", "requests", "storage") for read in lookup.reads)
    ]
    return ",".join(lines) or "?"


# --- cascades -------------------------------------------------------------------------------


def cascade(
    head: Sequence[PlannedResource],
    verdicts: dict[str, Verdict],
    base_urns: frozenset[str],
    new_template_versions: frozenset[str] = frozenset(),
) -> dict[str, Verdict]:
    """Verdicts of resources replaced (or refused) because a resource they take is replaced.

    `verdicts` holds the direct verdicts by URN; the result adds the cascaded ones for
    resources in both plans, transitively, and the rolls of the node groups whose launch
    template gets a new version (`new_template_versions`, `template_versions`).
    """
    result = dict(verdicts)
    result.update(_template_rolls(head, result, base_urns, new_template_versions))
    changed = True
    while changed:
        changed = False
        replaced = {urn for urn, verdict in result.items() if verdict.action in REPLACING}
        for resource in head:
            if resource.urn not in base_urns:
                continue
            current = result.get(resource.urn)
            if current is not None and current.action in (*REPLACING, "reject", "blocked"):
                continue
            verdict = _cascaded(resource, replaced)
            if verdict is not None:
                result[resource.urn] = verdict
                changed = True
    return result


TEMPLATE_ROLLS_NODES = (
    "its launch template {names} changes, so the group takes the template's new version "
    "(the offline mock keeps a template's version fixed): EKS rolls every node of the group, "
    "draining each under its PodDisruptionBudgets, maxUnavailable at a time"
)


def template_versions(
    resources: Iterable[PlannedResource], changed_paths: Mapping[str, Iterable[str]]
) -> frozenset[str]:
    """The launch templates an update gives a new version: any input but their own tags."""
    return frozenset(
        resource.urn
        for resource in resources
        if resource.type == LAUNCH_TEMPLATE
        and any(
            path.split(".")[0].split("[")[0] not in ("tags", "tagsAll")
            for path in changed_paths.get(resource.urn, ())
        )
    )


def _template_rolls(
    head: Sequence[PlannedResource],
    verdicts: Mapping[str, Verdict],
    base_urns: frozenset[str],
    updated: frozenset[str],
) -> dict[str, Verdict]:
    """Node groups whose launch template gets a new version: a roll of every node."""
    rolled: dict[str, Verdict] = {}
    for resource in head:
        if resource.type != NODE_GROUP or resource.urn not in base_urns:
            continue
        templates = set(resource.property_dependencies.get("launchTemplate", ())) & updated
        current = verdicts.get(resource.urn)
        if not templates or (current is not None and current.action != "update"):
            continue
        reason = Reason(
            "launchTemplate.version",
            TEMPLATE_ROLLS_NODES.format(names=_names(templates)),
            UPDATE_ROLLS_NODES.cite(),
        )
        previous = current.reasons if current is not None else ()
        rolled[resource.urn] = Verdict("update", (*previous, reason), "disruptive")
    return rolled


def _cascaded(resource: PlannedResource, replaced: set[str]) -> Verdict | None:
    facts = _facts(resource)
    if facts is None or facts.component:
        return None
    # The plan records a provider by its URN; the engine's own references add `::id`.
    reference = resource.provider or ""
    provider_urn = next(
        (u for u in (reference, reference.rpartition("::")[0]) if u in replaced), ""
    )
    if provider_urn:
        reason = Reason(
            "provider",
            f"its provider {_name(provider_urn)} is replaced",
            f"{PULUMI_ENGINE}: a replaced provider replaces its resources",
        )
        return _replacement(resource, resource, facts, [reason])
    refused: list[Reason] = []
    replacing: list[Reason] = []
    for key, urns in sorted(resource.property_dependencies.items()):
        names = _names(set(urns) & replaced)
        if not names:
            continue
        for rules, found in ((facts.refused, refused), (facts.replace, replacing)):
            if rule := _first(rules, key):
                why = f"takes the output of {names}, which is replaced: {rule.why}"
                found.append(Reason(key, why, rule.source.cite()))
                break
    if refused:
        return Verdict("reject", tuple(refused), "fails")
    if replacing:
        return _replacement(resource, resource, facts, replacing)
    return None


def _name(urn: str) -> str:
    """`Type name` of a URN (`Key core-key`): names alone repeat across types."""
    qualified_type, _, name = urn.rpartition("::")
    return f"{qualified_type.rsplit('$', 1)[-1].rsplit(':', 1)[-1]} {name}"


def _names(urns: Iterable[str]) -> str:
    """The URNs' `_name`s, sorted and joined."""
    names = sorted({_name(urn) for urn in urns})
    return ", ".join(names)


# --- removals -------------------------------------------------------------------------------


def classify_removals(removed: Sequence[PlannedResource]) -> dict[str, Verdict]:
    """Verdicts of the removed resources: `blocked` by protection, or deleted (and at what risk)."""
    by_urn = {resource.urn: resource for resource in removed}
    needs = {urn: _needs(resource) & by_urn.keys() for urn, resource in by_urn.items()}
    dependents: dict[str, set[str]] = {urn: set() for urn in by_urn}
    for urn, needed in needs.items():
        for other in needed:
            dependents[other].add(urn)
    protected = sorted(urn for urn, resource in by_urn.items() if resource.protect)
    # Per protected resource: what it still needs (kept) and what depends on it (deleted).
    kept_by = {urn: _closure({urn}, needs.__getitem__) - {urn} for urn in protected}
    exposed_by = {urn: _closure({urn}, dependents.__getitem__) - {urn} for urn in protected}
    verdicts = {}
    for urn, resource in by_urn.items():
        holders = [p for p in protected if urn in kept_by[p]]
        exposers = [p for p in protected if urn in exposed_by[p]]
        if resource.protect:
            why = "protected: the engine refuses to delete it and the deploy fails; its data stays"
            verdicts[urn] = Verdict(
                "blocked", (Reason("options.protect", why, PROTECT_SOURCE),), "fails"
            )
        elif resource.retain_on_delete:
            why = "kept on delete: the engine drops it from the state without deleting it"
            verdicts[urn] = Verdict(
                "no-op", (Reason("options.retainOnDelete", why, RETAIN_SOURCE),), "safe"
            )
        elif (decommission := _project_namespace_removal(resource)) is not None:
            verdicts[urn] = decommission
        elif holders:
            why = f"kept: the protected {_names(holders)} still {_verb(holders, 'needs')} it"
            verdicts[urn] = Verdict(
                "blocked", (Reason("dependencies", why, PROTECT_SOURCE),), "fails"
            )
        elif exposers:
            why = (
                f"deleted while the protected {_names(exposers)} {_verb(exposers, 'stays')}: "
                "the teardown is left half done, the data without this"
            )
            verdicts[urn] = Verdict(
                "delete", (Reason("dependencies", why, CONTINUE_SOURCE),), "data-loss"
            )
        else:
            verdicts[urn] = Verdict("delete", (), delete_risk(_facts(resource)))
    return verdicts


def _project_namespace_removal(resource: PlannedResource) -> Verdict | None:
    """The removal of a project's namespace: refused unless the base retired the project.

    Deleting the namespace deletes the project's claims and everything that serves it; only
    once step 1 has taken the final backup and kept the buckets, the key and the topics (and
    the data class retains the volumes) is that a clean removal.
    """
    if resource.type != NAMESPACE:
        return None
    labels = (resource.inputs.get("metadata") or {}).get("labels") or {}
    if PROJECT_LABEL not in labels:
        return None
    if labels.get(RETIRED_LABEL) == "true":
        why = (
            "the project was retired in the base (final backup taken; buckets, key, topics and "
            "volumes kept): its namespace and what serves it go, the data stays"
        )
        return Verdict(
            "delete", (Reason("metadata.labels", why, DECOMMISSION_SOURCE),), "disruptive"
        )
    why = (
        f"project {labels[PROJECT_LABEL]!r} was not retired: removing it deletes its claims and "
        "leaves its protected data half torn down; set `retired: true` on the project, deploy "
        "that, then remove its entry"
    )
    return Verdict(
        "reject", (Reason("metadata.labels", why, DECOMMISSION_SOURCE),), "fails", refused="delete"
    )


def _verb(subjects: Sequence[str], singular: str) -> str:
    return singular if len(subjects) == 1 else singular.removesuffix("s")


def delete_risk(facts: TypeFacts | None) -> str:
    """The risk of deleting a resource of a type with these facts (`None`: unknown type)."""
    if facts is not None and facts.data:
        return "data-loss"
    return "safe" if facts is not None and facts.component else "disruptive"


def _needs(resource: PlannedResource) -> set[str]:
    return {
        *resource.dependencies,
        *(u for urns in resource.property_dependencies.values() for u in urns),
    }


def _closure(start: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    seen: set[str] = set(start)
    frontier = list(seen)
    while frontier:
        for nxt in step(frontier.pop()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def classify_additions(
    added: Sequence[PlannedResource], removed: Sequence[PlannedResource]
) -> dict[str, Verdict]:
    """Verdicts of the added resources: `create`, or `reject` where a removed one holds its key.

    The engine deletes removed resources after every create of the deploy, so an added
    resource whose unique key (a route's table and destination) a removed one still holds
    fails to be created: the issue's renamed cluster, whose new peering route collides.
    """
    holders: dict[tuple[str, str, tuple[Any, ...]], str] = {}
    for resource in removed:
        for rule, key in _unique_keys(resource):
            holders[(resource.type, rule.path, key)] = resource.urn
    verdicts = {}
    for resource in added:
        reasons = [
            Reason(
                rule.path,
                f"{rule.why}; the removed {_name(holder)} still holds "
                f"{', '.join(map(str, key))} when this is created",
                rule.source.cite(),
            )
            for rule, key in _unique_keys(resource)
            if (holder := holders.get((resource.type, rule.path, key)))
        ]
        verdicts[resource.urn] = (
            Verdict("reject", tuple(reasons), "fails") if reasons else Verdict("create")
        )
    return verdicts


def _unique_keys(resource: PlannedResource) -> list[tuple[Rule, tuple[Any, ...]]]:
    facts = _facts(resource)
    keys = []
    for rule in facts.unique if facts else ():
        values = tuple(resource.inputs.get(path) for path in rule.path.split("+"))
        if all(value is not None for value in values):
            keys.append((rule, values))
    return keys


def data_impact(resource: PlannedResource, verdict: Verdict) -> list[str]:
    """The data a delete or replacement of the resource loses, in words."""
    facts = _facts(resource)
    if facts is None or not facts.data or verdict.action not in ("delete", *REPLACING):
        return []
    return [f"data at risk: {facts.data}"]


GENERATION_PATH = "generation"
"""The reason path of the node-group generation rules (docs/operations.md, "Day-2")."""
NODE_GROUP_REPLACED = (
    "refused: replacing a node group creates a new one, then deletes the old one, and EKS "
    "drains its nodes for a few minutes only before terminating them whatever the "
    "PodDisruptionBudgets say, so the replicas on them can be down together; re-type a pool "
    "through a new generation instead (generation, retiring)"
)


def replacement_impact(resource: PlannedResource, verdict: Verdict) -> list[str]:
    """What a refused node-group replacement would have done to running workloads."""
    if resource.type == NODE_GROUP and any(r.path == GENERATION_PATH for r in verdict.reasons):
        return [
            "the pool's nodes would be terminated a few minutes into each delete, "
            "whatever their PodDisruptionBudgets"
        ]
    return []


# --- node-group sizes and generations ---------------------------------------------------------

_SCALING = "scalingConfig."
_DESIRED = "scalingConfig.desiredSize"


def _stack_of(resource: PlannedResource) -> str:
    """The stack named in a URN (`urn:pulumi:<stack>::<project>::...`)."""
    return resource.urn.split("::", 1)[0].rsplit(":", 1)[-1]


def _size(resource: PlannedResource, key: str) -> int | None:
    value = (resource.inputs.get("scalingConfig") or {}).get(key)
    return int(value) if isinstance(value, int | float) else None


def _scaling_verdict(
    before: PlannedResource, after: PlannedResource, reasons: list[Reason], risk: str
) -> Verdict:
    """A min or max change sends the desired size too: which one, and what EKS does with it.

    With `scalingConfig.desiredSize` under ignoreChanges the engine sends the state's value:
    the size at creation, or the live one when the deploy refreshes the state first.
    """
    refreshed = _desired_is_ignored(after) and _deploy_refreshes(after)
    base_min, base_max = _size(before, "minSize"), _size(before, "maxSize")
    new_min = _size(after, "minSize")
    stale = _size(before, "desiredSize")
    if refreshed:
        reasons.append(
            Reason(
                _DESIRED,
                "sent with the new sizes: the live desired size, which the deploy's refresh "
                "records before pulumi up (ignoreChanges keeps it)",
                REFRESH_UPDATES_INPUTS.cite(),
            )
        )
    else:
        reasons.append(
            Reason(
                _DESIRED,
                f"sent with the new sizes: the desired size the state recorded ({stale}), not "
                "the live one, since the deploy does not refresh before pulumi up; EKS scales in "
                "to it and terminates the nodes the autoscaler added after 15 minutes, "
                "whatever their PodDisruptionBudgets",
                f"{NODE_GROUP_SCALING_SENT.cite()}; {SCALE_IN_IGNORES_PDBS.cite()}",
            )
        )
        risk = worst((risk, "disruptive"))
    new_max = _size(after, "maxSize")
    if new_max is not None and base_max is not None and new_max < base_max:
        # The running size may be anything up to the base's maximum: a desired size above the
        # new maximum is refused like a minimum above it.
        why = (
            f"maxSize {new_max} is refused by EKS while the group runs more than {new_max} nodes "
            f"(it may run up to {base_max}): scale it in first, cordoning and draining under the "
            'PodDisruptionBudgets (docs/operations.md, "Day-2: node pools and upgrades")'
        )
        reasons.append(Reason("scalingConfig.maxSize", why, MIN_ABOVE_DESIRED_REFUSED.cite()))
        risk = worst((risk, "disruptive"))
    if new_min is None or base_min is None or new_min <= base_min:
        return Verdict("update", tuple(reasons), risk)
    # Only sizes the base guarantees are known: the running size is at least its minimum and
    # at most its maximum (or, without a refresh, the state's stale value is sent).
    ceiling = base_max if refreshed else stale
    if ceiling is not None and new_min > ceiling:
        why = (
            f"minSize {new_min} is above any desired size the update can send (at most "
            f"{ceiling}): EKS refuses it; raise the running size first (docs/operations.md, "
            '"Day-2: node pools and upgrades", raising a minimum)'
        )
        return Verdict(
            "reject",
            (Reason("scalingConfig.minSize", why, MIN_ABOVE_DESIRED_REFUSED.cite()),),
            "fails",
        )
    why = (
        f"minSize {new_min} is refused by EKS unless the group runs at least {new_min} nodes "
        f"(it is only known to run {base_min} or more): check or raise the running size "
        'before merging (docs/operations.md, "Day-2: node pools and upgrades")'
    )
    reasons.append(Reason("scalingConfig.minSize", why, MIN_ABOVE_DESIRED_REFUSED.cite()))
    return Verdict("update", tuple(reasons), worst((risk, "disruptive")))


def _desired_is_ignored(resource: PlannedResource) -> bool:
    return _ignored(resource, _DESIRED)


def _deploy_refreshes(resource: PlannedResource) -> bool:
    job = deploy_job(_stack_of(resource))
    return job is not None and job.refreshes_before_up


def _taint_keys(resource: PlannedResource) -> set[str]:
    return {str(taint.get("key")) for taint in resource.inputs.get("taints") or ()}


def _pool(resource: PlannedResource) -> tuple[str, str]:
    labels = resource.inputs.get("labels") or {}
    return str(resource.inputs.get("clusterName")), str(labels.get(NODE_POOL_LABEL))


def classify_generation_removals(
    removed: Sequence[PlannedResource], head: Sequence[PlannedResource]
) -> dict[str, Verdict]:
    """Verdicts of node groups removed from a pool that stays: a generation going.

    Only a generation the base already marked retiring (tainted, its nodes drained under the
    PDBs since) may go: EKS's delete waits a few minutes per node, then terminates it.
    """
    staying = {_pool(group) for group in head if group.type == NODE_GROUP}
    verdicts = {}
    for group in removed:
        if group.type != NODE_GROUP or _pool(group) not in staying:
            continue
        if RETIRING_TAINT_KEY in _taint_keys(group):
            why = (
                "the retiring generation goes: its nodes were drained under the "
                "PodDisruptionBudgets since it was marked retiring; whatever still runs there "
                "is terminated a few minutes into the delete"
            )
            verdicts[group.urn] = Verdict(
                "delete", (Reason(GENERATION_PATH, why, DELETE_IGNORES_PDBS.cite()),), "disruptive"
            )
        else:
            why = (
                "refused: a generation that was not retiring in the base is deleted, and EKS "
                "terminates its nodes a few minutes into the delete whatever the "
                "PodDisruptionBudgets; mark it retiring first, drain it, then remove it"
            )
            verdicts[group.urn] = Verdict(
                "reject",
                (Reason(GENERATION_PATH, why, DELETE_IGNORES_PDBS.cite()),),
                "fails",
                refused="delete",
            )
    return verdicts


def action_counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """How many entries have each action (every action listed, zero included)."""
    counts = dict.fromkeys(ACTIONS, 0)
    for verdict in verdicts:
        counts[verdict.action] += 1
    return counts


def inputs_paths(changes: Iterable[Any]) -> list[tuple[str, Any, Any]]:
    """`(path, old, new)` of the input changes of a diff entry."""
    return [(c.path, c.old, c.new) for c in changes if c.kind == "input"]
