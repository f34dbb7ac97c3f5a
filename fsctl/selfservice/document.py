"""`Pulumi.<stack>.yaml` as a round-trip document: what is not edited is written back as it was.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow style; a comment is
attached to the key after it or to the value before it, so an entry deleted or renamed takes its
own comments along and leaves its neighbours' in place.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from fsctl.errors import UserError
from infra.config import NAMESPACE

CLUSTERS_KEY = f"{NAMESPACE}:clusters"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Long flow lines (a vectorSearch of five keys) stay on one line, as they were written.
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass
class StackDocument:
    """A stack file's text and its round-trip document, edited in place by the operations."""

    path: Path
    original: str
    data: CommentedMap

    @classmethod
    def read(cls, path: Path) -> StackDocument:
        """Read a stack config file; `UserError` if it is missing or not a YAML map."""
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise UserError(f"{path}: no such stack config file") from None
        except OSError as error:
            raise UserError(f"{path}: {error}") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, path: Path) -> StackDocument:
        """The document of `text`, read from (or to be written to) `path`."""
        try:
            data = _yaml().load(text)
        except YAMLError as error:
            raise UserError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
        if data is None:
            data = CommentedMap()
        if not isinstance(data, CommentedMap) or not isinstance(
            data.setdefault("config", CommentedMap()), CommentedMap
        ):
            raise UserError(f"{path}: not a map with a `config:` map of settings")
        return cls(path=path, original=text, data=data)

    def text(self) -> str:
        """The document as it would be written now."""
        out = io.StringIO()
        _yaml().dump(self.data, out)
        return out.getvalue()

    @property
    def config(self) -> CommentedMap:
        """The `config:` map."""
        config: CommentedMap = self.data["config"]
        return config

    def clusters(self) -> CommentedMap:
        """`featurestore:clusters`, created empty (flow-free) when the file has none."""
        return child_map(self.config, CLUSTERS_KEY, flow=False)

    def cluster(self, name: str) -> CommentedMap:
        """One cluster's settings; `UserError` naming the key and the clusters there are."""
        return existing_map(self.clusters(), name, f"{CLUSTERS_KEY}.{name}", "cluster")

    def projects(self, cluster: str) -> CommentedMap:
        """A cluster's `projects`, created when it has none."""
        return child_map(self.cluster(cluster), "projects", flow=False)

    def project(self, cluster: str, name: str) -> CommentedMap:
        """One project's settings; `UserError` naming the key and the projects there are."""
        path = f"{CLUSTERS_KEY}.{cluster}.projects.{name}"
        return existing_map(self.projects(cluster), name, path, "project")

    def plain(self) -> dict[str, Any]:
        """The `config:` map as plain data (what a loader sees, comments and styles aside)."""
        plain: dict[str, Any] = json.loads(json.dumps(self.config, default=str))
        return plain


def existing_map(parent: CommentedMap, name: str, path: str, kind: str) -> CommentedMap:
    """`parent[name]`, a map; `UserError` naming the key path and the names there are."""
    value = parent.get(name)
    if isinstance(value, CommentedMap):
        return value
    there = ", ".join(str(key) for key in parent) or "none"
    raise UserError(f"{path}: no such {kind}; the {kind}s there are: {there}")


def child_map(parent: CommentedMap, key: str, *, flow: bool) -> CommentedMap:
    """`parent[key]`, a map, added at the end (in flow style with `flow`) when missing."""
    value = parent.get(key)
    if value is None:
        value = CommentedMap()
        if flow:
            value.fa.set_flow_style()
        insert_key(parent, len(parent), key, value)
    if not isinstance(value, CommentedMap):
        raise UserError(f"{key}: holds {value!r}, not a map of settings")
    return value


def styled(value: Any, *, flow: bool) -> Any:
    """Plain data as round-trip nodes, styled as the stack files write them.

    Lists (and, with `flow`, maps) are in flow style, `[a, b]`.
    """
    if isinstance(value, Mapping):
        node = CommentedMap((key, styled(item, flow=True)) for key, item in value.items())
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        sequence = CommentedSeq(styled(item, flow=True) for item in value)
        sequence.fa.set_flow_style()
        return sequence
    if isinstance(value, str) and parse_scalar(value) != value:
        # Text YAML would read as another type (`"1"`, `"1.33"`) is double-quoted, as the
        # stack files quote it.
        return DoubleQuotedScalarString(value)
    return value


def rename_key(mapping: CommentedMap, old: str, new: str) -> None:
    """Rename a key where it stands, with the comments attached to it."""
    position = list(mapping).index(old)
    comments = mapping.ca.items.pop(old, None)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
    if comments is not None:
        mapping.ca.items[new] = comments


def insert_key(mapping: CommentedMap, position: int, key: str, value: Any) -> None:
    """Insert a new entry at `position`, below the comment lines that ended the entry before.

    Those lines introduce what followed them, which now follows the new entry (see
    `delete_key`).
    """
    keys = list(mapping)
    following = _detach_trailing_lines(mapping, keys[position - 1]) if position > 0 else ""
    mapping.insert(position, key, value)
    if following:
        _append_trailing_lines(mapping, key, following)


def delete_key(mapping: CommentedMap, key: str) -> None:
    """Delete an entry with its own comments (above it and on its lines), keeping those below.

    ruamel.yaml attaches the comment lines after an entry's last line to that line, though they
    introduce what comes next (`# An isolated cluster …` above the next cluster): they move to
    the end of the entry before it, or stay in place when there is none.
    """
    keys = list(mapping)
    position = keys.index(key)
    if position > 0:
        # The comment lines above the entry are its own: they go with it.
        _detach_trailing_lines(mapping, keys[position - 1])
    following = _detach_trailing_lines(mapping, key)
    del mapping[key]
    if following:
        if position > 0:
            _append_trailing_lines(mapping, keys[position - 1], following)
        else:
            mapping.yaml_set_start_comment(following)


def _last_line(mapping: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    """The map and key of an entry's last line (a flow collection is one line)."""
    value = mapping[key]
    while isinstance(value, CommentedMap) and value and not value.fa.flow_style():
        if mapping.ca.items.get(key, [None] * 4)[2] is not None:
            break
        mapping, key = value, list(value)[-1]
        value = mapping[key]
    return mapping, key


def _detach_trailing_lines(mapping: CommentedMap, key: str) -> str:
    owner, last = _last_line(mapping, key)
    slots = owner.ca.items.get(last)
    token = slots[2] if slots and len(slots) > 2 else None
    if token is None:
        return ""
    own_line, _, following = str(token.value).partition("\n")
    if own_line.strip():
        token.value = own_line + "\n"
    else:
        slots[2] = None
    return following


def _append_trailing_lines(mapping: CommentedMap, key: str, lines: str) -> None:
    owner, last = _last_line(mapping, key)
    slots = owner.ca.items.setdefault(last, [None, None, None, None])
    if slots[2] is None:
        slots[2] = CommentToken("\n" + lines, CommentMark(0), None)
    else:
        slots[2].value = str(slots[2].value) + lines


def parse_scalar(text: str) -> Any:
    """A command-line value as YAML reads it: `4`, `true`, `"1.33"`, `[r6i.large, r6a.large]`."""
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise UserError(f"{text!r} is not a YAML value: {str(error).splitlines()[0]}") from None
    return value
