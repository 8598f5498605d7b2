"""YAML files that people write by hand: errors name the file, the line and the reason."""

from pathlib import Path

import yaml


class ContentError(Exception):
    """A hand-written file cannot be imported; ``str()`` gives file, line and reason."""

    def __init__(self, path: Path, line: int | None, reason: str):
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line of each key."""


class _Mapping(dict):
    lines: dict


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate or invalid key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, text: str, first_line: int = 1):
    # Padding with blank lines makes every line the loader records (errors and keys) a line of the file.
    try:
        return yaml.load("\n" * (first_line - 1) + text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ContentError(path, line, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ContentError(path, None, f"invalid YAML: {error}") from None


def line_of(mapping, key):
    return getattr(mapping, "lines", {}).get(key)


def require(condition, path, mapping, key, reason):
    if not condition:
        raise ContentError(path, line_of(mapping, key), reason)


def read_text(path: Path) -> str:
    """The file as text with "\\n" line ends (as ``read_text`` gives it), or a ContentError naming the line."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(path, data[:error.start].count(b"\n") + 1, "the file is not UTF-8") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
