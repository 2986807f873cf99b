"""Safe YAML loading that remembers where every mapping, key and list item came from.

Only plain data is constructed (``SafeLoader``: no Python objects), duplicate keys are reported
instead of silently overwritten, and every mapping and list knows its line, so that a problem in a
rule can be reported as ``file:line [rule id]: message``. A hostile file cannot exhaust memory or
the stack: aliases may expand to at most ``MAX_EXPANDED_NODES`` values, and deep nesting is a
syntax error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: more values than any rule file needs, far fewer than an alias bomb ("billion laughs") expands to
MAX_EXPANDED_NODES = 1_000_000


class LocatedDict(dict):
    """A mapping from YAML with the line of the mapping and of each key (1-based)."""

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence from YAML with the line of the sequence and of each item (1-based)."""

    def __init__(self, items: Any = (), line: int = 0) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``line`` is 1-based or None."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _LocatingLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    duplicate_keys: list[tuple[str, int]]


def _construct_mapping(loader: _LocatingLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    mapping = LocatedDict(line=node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            key = str(key)
        if key in mapping:
            loader.duplicate_keys.append((str(key), line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader: _LocatingLoader, node: yaml.SequenceNode) -> LocatedList:
    sequence = LocatedList(
        (loader.construct_object(child, deep=True) for child in node.value), node.start_mark.line + 1
    )
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> tuple[Any, list[tuple[str, int]]]:
    """Parse one YAML file; return the data and the (key, line) of every duplicated key.

    Raises ``YamlSyntaxError`` (with the line) for malformed YAML or undecodable bytes, and
    ``OSError`` if the file cannot be read.
    """
    raw = path.read_bytes()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise YamlSyntaxError(f"not UTF-8 (byte {error.start})", line) from None
    loader = _LocatingLoader(source)
    loader.duplicate_keys = []
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise YamlSyntaxError(
                f"invalid YAML: aliases expand to more than {MAX_EXPANDED_NODES:,} values", None
            )
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part) or str(error)
        raise YamlSyntaxError(f"invalid YAML: {message}", line) from None
    except yaml.YAMLError as error:  # e.g. a tag the safe loader refuses to construct
        raise YamlSyntaxError(f"invalid YAML: {error}", None) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nested too deeply", None) from None
    finally:
        loader.dispose()
    return data, loader.duplicate_keys


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """How many values the document holds once every alias is expanded (stops counting past
    ``limit``). Aliases share one object, but every walk over the data (checks, messages, token
    patterns) expands them: nine nested aliases of ten items each are a billion values."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = limit + 1  # a node that contains itself never finishes expanding
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(node)] = total
        return total

    return size(root)
