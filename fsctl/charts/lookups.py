"""The live objects a chart's templates read with Helm's `lookup`, and what they read of them.

`lookup "<apiVersion>" "<kind>" <namespace> <name>` returns the object as the API server holds
it, or an empty map when there is none (and always under `helm template` or a dry run). What a
template then reads of the result is an assumption about an object the chart may not own: Helm
renders with `missingkey=zero`, so Go's text/template fails the whole release on `index` of a
missing map ("index of untyped nil"), on a field below a missing one ("nil pointer evaluating
interface {}.x") and on `get` of a missing map ("wrong type for value").

`derive_lookups` reads a chart's `templates/` directory and records every call: where it is,
what it looks up (the arguments as written, and what a variable argument was assigned), the
variable holding the result, every field path the templates read from it (through variables
derived from it, `index`, `get` and `range` too, with Go's variable scoping), and whether the
same file renders the object it looks up (the get-or-create pattern) and whether that render
sits under a condition on the result. It evaluates nothing: preflight resolves the arguments
from a release's values. `lookups_json` writes the facts as `template_lookups.json` beside the
chart's vendored data, an empty list when the chart has no lookup; `read_lookups` reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

TEMPLATE_LOOKUPS_FILE = "template_lookups.json"

ReadFunction = Literal["field", "index", "get"]


@dataclass(frozen=True)
class Read:
    """One read of a looked-up object: `$x.a.b` (field), `index $x.a "k"`, `get $x.a "k"`."""

    line: int
    path: tuple[str, ...]
    """Field path on the object; `*` for every element a `range` visits, `0` for an index."""
    function: ReadFunction
    keys: tuple[str, ...] = ()
    """The `index`/`get` arguments after the path, as written (`"tls.crt"`, `0`, `$user`)."""

    def to_json(self) -> dict[str, Any]:
        """The read as `template_lookups.json` records it."""
        return {
            "line": self.line,
            "path": ".".join(self.path),
            "function": self.function,
            "keys": list(self.keys),
        }


@dataclass(frozen=True)
class Lookup:
    """One `lookup` call of a chart's templates and what the templates read of its result."""

    file: str
    """Chart-relative path (`templates/priority_class.yaml`)."""
    line: int
    api_version: str
    kind: str
    namespace: str
    """The namespace argument as written (`""` for a cluster-scoped object)."""
    name: str
    variable: str | None
    """The variable the result is assigned to; None when it is used in place (`and (lookup ..)`)."""
    definitions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Every expression a variable among the namespace and name arguments was assigned before
    the call, in order: which one it holds depends on the branches taken."""
    reads: tuple[Read, ...] = ()
    renders_looked_up_object: bool = False
    """The same file renders a manifest of this kind whose name is the lookup's name argument."""
    render_guarded_by_result: bool = False
    """That manifest sits under an `if` whose condition depends on the lookup's result."""

    def to_json(self) -> dict[str, Any]:
        """The lookup as `template_lookups.json` records it."""
        return {
            "file": self.file,
            "line": self.line,
            "api_version": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "variable": self.variable,
            "definitions": {
                name: list(values) for name, values in sorted(self.definitions.items())
            },
            "reads": [read.to_json() for read in self.reads],
            "renders_looked_up_object": self.renders_looked_up_object,
            "render_guarded_by_result": self.render_guarded_by_result,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Lookup:
        """A lookup from its `template_lookups.json` entry."""
        return cls(
            file=str(document["file"]),
            line=int(document["line"]),
            api_version=str(document["api_version"]),
            kind=str(document["kind"]),
            namespace=str(document["namespace"]),
            name=str(document["name"]),
            variable=document.get("variable"),
            definitions={
                str(name): tuple(str(value) for value in values)
                for name, values in (document.get("definitions") or {}).items()
            },
            reads=tuple(
                Read(
                    line=int(read["line"]),
                    path=tuple(str(read["path"]).split(".")) if read["path"] else (),
                    function=read["function"],
                    keys=tuple(str(key) for key in read.get("keys") or ()),
                )
                for read in document.get("reads") or ()
            ),
            renders_looked_up_object=bool(document.get("renders_looked_up_object")),
            render_guarded_by_result=bool(document.get("render_guarded_by_result")),
        )


def derive_lookups(templates_dir: Path) -> list[Lookup]:
    """Every `lookup` call in a chart's templates directory, ordered by file and line."""
    found: list[Lookup] = []
    for path in sorted(p for p in templates_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(templates_dir.parent).as_posix()
        found.extend(_FileScan(relative, path.read_text(errors="replace")).lookups())
    return found


def lookups_json(lookups: Iterable[Lookup]) -> str:
    """The stable text of `template_lookups.json`: sorted, indented, newline-terminated."""
    entries = sorted((lookup.to_json() for lookup in lookups), key=lambda e: (e["file"], e["line"]))
    return json.dumps({"lookups": entries}, indent=2, sort_keys=True) + "\n"


def read_lookups(path: Path) -> list[Lookup] | None:
    """The lookups recorded in a `template_lookups.json`; None when the chart has no record."""
    if not path.is_file():
        return None
    document = json.loads(path.read_text())
    return [Lookup.from_json(entry) for entry in document["lookups"]]


# An action `{{ ... }}` (trim markers included); a comment may hold `}}`, so it is matched first.
_ACTION = re.compile(r"\{\{-?\s*(?:/\*.*?\*/|(?P<body>.*?))\s*-?\}\}", re.DOTALL)
_DECLARATION = re.compile(
    r"^(?:(?:if|with|range|else\s+if|else\s+with)\s+)?"
    r"(?P<first>\$\w*)(?:\s*,\s*(?P<second>\$\w*))?\s*(?P<op>:=|=)(?!=)\s*(?P<rhs>.*)$",
    re.DOTALL,
)
_LOOKUP = re.compile(r"(?<![\w.$])lookup\s+")
# A variable with its field chain, and the `index`/`get` that applies to it, if any.
_VARIABLE_USE = re.compile(
    r"(?:(?<![\w.])(?P<function>index|get)\s+)?\$(?P<name>\w*)(?P<path>(?:\.\w+)*)"
)
_SCOPE_OPENERS = frozenset({"if", "with", "range", "define", "block"})
_KIND_LINE = re.compile(r"^kind:\s*[\"']?(?P<kind>\w+)[\"']?\s*$")
_NAME_LINE = re.compile(r"^  name:\s*(?P<value>.+?)\s*$")


@dataclass
class _Binding:
    """A template variable: what it holds, as far as the lookups are concerned."""

    expressions: tuple[str, ...]
    """Every expression assigned to it so far, in order."""
    source: tuple[int, tuple[str, ...]] | None = None
    """(index of the lookup, path below the looked-up object) the variable holds."""
    depends_on: frozenset[int] = frozenset()
    """The lookups the value was computed from (`$managed := and $pc (...)`)."""


@dataclass
class _Scope:
    variables: dict[str, _Binding] = field(default_factory=dict)
    barrier: bool = False
    """A `define`: a separate template that sees none of the file's variables."""


@dataclass
class _Pending:
    line: int
    api_version: str
    kind: str
    namespace: str
    name: str
    variable: str | None
    definitions: dict[str, tuple[str, ...]]
    reads: list[Read] = field(default_factory=list)


class _FileScan:
    """One template file, read action by action with Go's variable scoping."""

    def __init__(self, relative: str, text: str) -> None:
        self.relative = relative
        self.text = text
        self.scopes = [_Scope()]
        self.pending: list[_Pending] = []
        # (first line, last line, lookups) of each block whose `if` depends on a lookup's result.
        self.guarded_lines: list[tuple[int, int, frozenset[int]]] = []

    def lookups(self) -> list[Lookup]:
        open_blocks: list[tuple[int, frozenset[int]]] = []
        for match in _ACTION.finditer(self.text):
            body = match.group("body")
            if body is None:
                continue
            line = self.text.count("\n", 0, match.start()) + 1
            keyword = body.split(None, 1)[0] if body.split() else ""
            if keyword == "end":
                start, guards = open_blocks.pop() if open_blocks else (line, frozenset())
                if guards:
                    self.guarded_lines.append((start, line, guards))
                if len(self.scopes) > 1:
                    self.scopes.pop()
                continue
            if keyword in _SCOPE_OPENERS:
                condition = body.split(None, 1)[1] if len(body.split(None, 1)) > 1 else ""
                guards = self._depends_on(condition) if keyword == "if" else frozenset()
                self.scopes.append(_Scope(barrier=keyword in {"define", "block"}))
                open_blocks.append((line, guards))
            elif keyword == "else" and open_blocks:
                # `else if $x`: the rest of the block also depends on that condition.
                start, guards = open_blocks[-1]
                open_blocks[-1] = (start, guards | self._depends_on(body[4:]))
            self._action(body, line)
        return [self._finished(index, pending) for index, pending in enumerate(self.pending)]

    def _action(self, body: str, line: int) -> None:
        declaration = _DECLARATION.match(body)
        declared = (declaration.start("first"), declaration.start("op")) if declaration else (0, 0)
        self._record_reads(body, line, declared)
        created = self._record_lookups(body, line, declaration)
        if declaration is None:
            return
        rhs = declaration.group("rhs").strip()
        binding = _Binding(expressions=(rhs,), depends_on=self._depends_on(rhs))
        if created is not None:
            binding.depends_on |= {created}
        if created is not None and _strip_parens(rhs).startswith("lookup"):
            binding.source = (created, ())
        else:
            binding.source = self._derived_source(rhs, ranged=body.startswith("range"))
        target = declaration.group("second") or declaration.group("first")
        existing = self._binding(target)
        if declaration.group("op") == ":=" or existing is None:
            self.scopes[-1].variables[target] = binding
        else:
            # `=` assigns the variable already in scope, wherever it was declared.
            existing.expressions += binding.expressions
            existing.source = binding.source
            existing.depends_on = binding.depends_on

    def _record_lookups(
        self, body: str, line: int, declaration: re.Match[str] | None
    ) -> int | None:
        """Record the action's lookup calls; the index of the last one, if any."""
        created = None
        for match in _LOOKUP.finditer(body):
            arguments = _arguments(body[match.end() :], 4)
            if len(arguments) < 4:
                continue
            api_version, kind, namespace, name = (_normal(argument) for argument in arguments)
            variable = None
            if declaration and _strip_parens(declaration.group("rhs")).startswith("lookup"):
                variable = declaration.group("second") or declaration.group("first")
            definitions = {
                argument: tuple(_normal(expression) for expression in bound.expressions)
                for argument in (namespace, name)
                if argument.startswith("$") and (bound := self._binding(argument)) is not None
            }
            self.pending.append(
                _Pending(
                    line=line,
                    api_version=api_version.strip('"'),
                    kind=kind.strip('"'),
                    namespace=namespace,
                    name=name,
                    variable=variable,
                    definitions=definitions,
                )
            )
            created = len(self.pending) - 1
        return created

    def _record_reads(self, body: str, line: int, declared: tuple[int, int]) -> None:
        """Reads of looked-up objects in one action; `declared` spans the variables it assigns."""
        for match in _VARIABLE_USE.finditer(body):
            if declared[0] <= match.start("name") - 1 < declared[1]:
                continue
            bound = self._binding(f"${match.group('name')}")
            if bound is None or bound.source is None:
                continue
            lookup, prefix = bound.source
            path = prefix + tuple(step for step in match.group("path").split(".") if step)
            function = match.group("function")
            if function is None:
                if match.group("path"):
                    self.pending[lookup].reads.append(Read(line, path, "field"))
                continue
            keys = tuple(_arguments(body[match.end() :], 1 if function == "get" else None))
            self.pending[lookup].reads.append(
                Read(line, path, "get" if function == "get" else "index", keys)
            )

    def _derived_source(self, rhs: str, *, ranged: bool) -> tuple[int, tuple[str, ...]] | None:
        """What a variable assigned from a looked-up object (or below it) holds."""
        match = _VARIABLE_USE.match(_strip_parens(rhs))
        if match is None:
            return None
        bound = self._binding(f"${match.group('name')}")
        if bound is None or bound.source is None:
            return None
        lookup, prefix = bound.source
        path = prefix + tuple(step for step in match.group("path").split(".") if step)
        if match.group("function"):
            keys = _arguments(_strip_parens(rhs)[match.end() :], None)
            path += tuple(_key_step(key) for key in keys)
        return (lookup, (*path, "*") if ranged else path)

    def _depends_on(self, expression: str) -> frozenset[int]:
        """The lookups an expression's value depends on, through the variables it names."""
        depends: set[int] = set()
        for match in _VARIABLE_USE.finditer(expression):
            bound = self._binding(f"${match.group('name')}")
            if bound is not None:
                depends |= bound.depends_on
                if bound.source is not None:
                    depends.add(bound.source[0])
        return frozenset(depends)

    def _binding(self, variable: str) -> _Binding | None:
        for scope in reversed(self.scopes):
            if variable in scope.variables:
                return scope.variables[variable]
            if scope.barrier:
                return None
        return None

    def _finished(self, index: int, pending: _Pending) -> Lookup:
        renders, guarded = self._renders(index, pending)
        unique = sorted(set(pending.reads), key=lambda r: (r.line, r.path, r.function, r.keys))
        return Lookup(
            file=self.relative,
            line=pending.line,
            api_version=pending.api_version,
            kind=pending.kind,
            namespace=pending.namespace,
            name=pending.name,
            variable=pending.variable,
            definitions=pending.definitions,
            reads=tuple(unique),
            renders_looked_up_object=renders,
            render_guarded_by_result=guarded,
        )

    def _renders(self, index: int, pending: _Pending) -> tuple[bool, bool]:
        """Whether the file renders the looked-up object, and whether under a guard on it."""
        lines = self.text.splitlines()
        renders = guarded = False
        for number, text in enumerate(lines, start=1):
            kind = _KIND_LINE.match(text)
            if kind is None or kind.group("kind") != pending.kind:
                continue
            name = _manifest_name(lines[number:])
            if name is None or name != pending.name:
                continue
            renders = True
            guarded = guarded or any(
                start <= number <= end and index in guards
                for start, end, guards in self.guarded_lines
            )
        return renders, guarded


def _manifest_name(following: Sequence[str]) -> str | None:
    """The `metadata.name` of the manifest whose `kind:` line precedes `following`."""
    in_metadata = False
    for text in following:
        if text.startswith("---") or _KIND_LINE.match(text):
            return None
        if text.startswith("metadata:"):
            in_metadata = True
        elif in_metadata and (name := _NAME_LINE.match(text)):
            value = name.group("value")
            action = re.fullmatch(r"\{\{-?\s*(.*?)\s*-?\}\}", value)
            return _normal(action.group(1)) if action else f'"{value.strip(chr(34) + chr(39))}"'
    return None


def _arguments(text: str, count: int | None) -> list[str]:
    """The leading arguments of a call: quoted strings, parenthesised pipelines, bare words.

    Stops at the end of the enclosing parentheses or pipeline, or after `count` arguments.
    """
    arguments: list[str] = []
    position = 0
    while count is None or len(arguments) < count:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text) or text[position] in ")|":
            break
        start = position
        if text[position] in '"`':
            quote = text[position]
            position += 1
            while position < len(text) and text[position] != quote:
                position += 2 if text[position] == "\\" else 1
            position += 1
        elif text[position] == "(":
            depth = 0
            while position < len(text):
                depth += {"(": 1, ")": -1}.get(text[position], 0)
                position += 1
                if depth == 0:
                    break
        else:
            while (
                position < len(text) and not text[position].isspace() and text[position] not in ")|"
            ):
                position += 1
        arguments.append(text[start:position])
    return arguments


def _key_step(key: str) -> str:
    """An `index` argument as a path step: a literal key or position, else `*` (any)."""
    if key.startswith('"') and key.endswith('"'):
        return key[1:-1]
    return key if key.isdigit() else "*"


def _strip_parens(expression: str) -> str:
    expression = expression.strip()
    while expression.startswith("(") and expression.endswith(")") and _balanced(expression[1:-1]):
        expression = expression[1:-1].strip()
    return expression


def _balanced(expression: str) -> bool:
    depth = 0
    for character in expression:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def _normal(expression: str) -> str:
    """An expression as written, comparable: no outer parentheses, `$.` as `.`, one space."""
    unwrapped = _strip_parens(expression)
    return " ".join(re.sub(r"(?<![\w)])\$\.", ".", unwrapped).split())
