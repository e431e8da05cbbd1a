"""The YAML side of reading a configuration file (imported only when a YAML file is read).

A safe loader that refuses what a configuration never needs and a hostile file uses: a key given twice in one
mapping (named with both lines), lists or mappings nested more than `_MAX_DEPTH` levels, and aliases that expand
the document past a number of values ("billion laughs").
"""

from typing import Any

import yaml

from horde_sdk.deploy_config.exceptions import DeployConfigError, DeployConfigProblem

__all__ = ["parse_yaml_text"]

_MAX_DEPTH = 50
"""The deepest nesting of lists and mappings read (a worker configuration nests two or three levels)."""


class _ConfigFileError(Exception):
    """A problem of the file as a whole, raised inside the YAML loader (turned into a `DeployConfigProblem`)."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = key
        self.rule = rule
        super().__init__(rule)


def _node_values(root: yaml.Node, limit: int) -> int:
    """Count the values a YAML node stands for, each alias counted as a copy of its anchor; stop past `limit`."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:  # an anchor inside itself: endless once expanded
            return limit + 1
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
                if total > limit:
                    break
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        visiting.discard(key)
        sizes[key] = total
        return total

    return size(root)


class _ConfigLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no type information here
    """The safe YAML loader, refusing repeated keys and alias expansions past a number of values."""

    max_values = 0
    """Set by `parse_yaml_text` for each file."""
    _depth = 0

    def fetch_flow_collection_start(self, token_class: type[yaml.Token]) -> None:
        """Refuse ``[`` or ``{`` nested past `_MAX_DEPTH` as soon as it is met (the scanner is slow on deep ones)."""
        if self.flow_level >= _MAX_DEPTH:
            raise _ConfigFileError("", f"nests lists or mappings more than {_MAX_DEPTH} levels deep")
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Compose one node, refusing lists and mappings nested deeper than `_MAX_DEPTH`."""
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                raise _ConfigFileError("", f"nests lists or mappings more than {_MAX_DEPTH} levels deep")
            node: yaml.Node | None = super().compose_node(parent, index)
            return node
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        node: yaml.Node | None = super().get_single_node()
        if node is not None and _node_values(node, self.max_values) > self.max_values:
            raise _ConfigFileError(
                "",
                f"expands to more than {self.max_values} values (YAML aliases repeating an anchor?); "
                "write the values out or use fewer aliases",
            )
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            earlier = first_line.setdefault((key_node.tag, key_node.value), line)
            if earlier != line:
                raise _ConfigFileError(
                    str(key_node.value)[:100],
                    f"is given twice (lines {earlier} and {line}); keep one",
                )
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def parse_yaml_text(text: str, source: str, max_values: int) -> Any:  # noqa: ANN401 - any YAML document
    """Parse a configuration file's text; every problem is a `DeployConfigError` naming `source`."""
    loader = _ConfigLoader(text)
    loader.max_values = max_values
    try:
        return loader.get_single_data()
    except _ConfigFileError as error:
        raise DeployConfigError([DeployConfigProblem(source, error.key, error.rule)]) from None
    except yaml.MarkedYAMLError as error:
        # Only the parser's description and position: the offending line may hold a secret.
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        what = error.problem or error.context or "syntax error"
        raise DeployConfigError([DeployConfigProblem(source, "", f"is not valid YAML: {what}{where}")]) from None
    except yaml.YAMLError:
        raise DeployConfigError([DeployConfigProblem(source, "", "is not valid YAML")]) from None
    finally:
        loader.dispose()
