"""The one way hand-written YAML is read: every config, catalog and data file goes through here.

PyYAML's safe loader builds no objects, but it still accepts what can take a process down:
a billion-laughs document (aliases of aliases, cheap to parse, exponential to walk), nesting
deep enough to exhaust the recursion limit, and duplicate keys (the last silently wins, so
what a reviewer reads is not what runs). `load_yaml` refuses those before constructing
anything, by walking the event stream once without recursion:

- the text is at most `max_bytes`;
- nesting is at most `max_depth` collections deep;
- the document, with every alias expanded, has at most `max_nodes` nodes;
- a mapping's keys are distinct (checked while constructing).

Errors are `YamlError` with a line number and never quote the document's text.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    def __init__(self, problem: str, line: int | None = None):
        self.problem = problem
        self.line = line
        super().__init__(f"invalid YAML: line {line}: {problem}" if line else f"invalid YAML: {problem}")


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # keys merged in with << may be overridden: only the node's own count
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if duplicate:
                    raise YamlError(f"duplicate key {str(key)[:60]!r}", key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)


def _check_events(text: str, max_depth: int, max_nodes: int) -> None:
    """Depth and expanded size from the event stream: no recursion, no objects built.

    Each open collection counts the nodes inside it; an anchored node's total is remembered,
    so an alias adds what it would expand to."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # per open collection: [anchor, nodes inside it so far]
    total = 0

    def count(n: int, line: int | None) -> None:
        nonlocal total
        total += n
        if total > max_nodes:
            raise YamlError(f"the document expands to more than {max_nodes} nodes (aliases of aliases?)", line)
        if stack:
            stack[-1][1] += n

    for event in yaml.parse(text, Loader=_Base):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= max_depth:
                raise YamlError(f"nested more than {max_depth} levels deep", line)
            count(1, line)
            stack.append([event.anchor, 1])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, inside = stack.pop()
            if anchor is not None:
                sizes[anchor] = inside
            if stack:
                stack[-1][1] += inside - 1  # its own node was counted when it opened
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            count(1, line)
        elif isinstance(event, yaml.AliasEvent):
            count(sizes.get(event.anchor, 1), line)


def load_yaml(text: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              max_nodes: int = MAX_NODES) -> Any:
    """One YAML document as plain data, or YamlError."""
    if len(text) > max_bytes:
        raise YamlError(f"the file is larger than {max_bytes} bytes")
    try:
        _check_events(text, max_depth, max_nodes)
        return yaml.load(text, Loader=_StrictLoader)
    except YamlError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise YamlError(str(problem), mark.line + 1 if mark is not None else None) from None
    except RecursionError:
        raise YamlError(f"nested more than {max_depth} levels deep") from None
