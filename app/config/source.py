"""YAML text → plain dicts and lists that remember where every key and item came from."""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml

from app.config.errors import Problem

Path = tuple[str | int, ...]


class Loc(NamedTuple):
    """A position in a source file (1-based line and column); a tuple, cheap to make."""

    file: str
    line: int
    column: int


def format_path(path: Path) -> str:
    """('fields', 3, 'default') → 'fields[3].default'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LDict(dict):
    """A mapping that knows its file, its key path and where each key stands."""

    loc: Loc
    path: Path
    key_locs: dict[str, Loc]
    value_locs: dict[str, Loc]

    def where(self, key: str | None = None, *, value: bool = False) -> Loc:
        if key is None:
            return self.loc
        table = self.value_locs if value else self.key_locs
        return table.get(key) or self.key_locs.get(key) or self.loc


class LList(list):
    """A sequence that knows its file, key path and where each item stands."""

    loc: Loc
    path: Path
    item_locs: list[Loc]

    def where(self, index: int | None = None) -> Loc:
        if index is None or index >= len(self.item_locs):
            return self.loc
        return self.item_locs[index]


def _loc(file: str, node: yaml.Node) -> Loc:
    return Loc(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str, loader: Any) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            out = LDict()
            out.loc, out.path, out.key_locs, out.value_locs = _loc(self.file, node), path, {}, {}
            self.loader.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self.construct(key_node)
                kloc = _loc(self.file, key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    first = out.key_locs[key]
                    self.problems.append(Problem(
                        "PORTAL-E002", self.file, kloc.line, kloc.column,
                        format_path(path + (key,)),
                        f"duplicate key '{key}' (first defined at line {first.line})",
                        "a key may appear once per mapping; merge the two entries",
                    ))
                    continue
                out.key_locs[key] = kloc
                out.value_locs[key] = _loc(self.file, value_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = LList()
            seq.loc, seq.path, seq.item_locs = _loc(self.file, node), path, []
            for i, item in enumerate(node.value):
                seq.item_locs.append(_loc(self.file, item))
                seq.append(self.build(item, path + (i,)))
            return seq
        return self.construct(node)

    def construct(self, node: yaml.Node) -> Any:
        """A scalar's value; a value PyYAML recognises but cannot build (2024-13-45, !!int x)
        is reported as a syntax error at the value instead of escaping as a ValueError."""
        if node.tag == _STR_TAG:  # most scalars: skip PyYAML's constructor machinery
            return node.value
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value '{node.value}' ({exc})", node.start_mark) from None


_STR_TAG = "tag:yaml.org,2002:str"
# libyaml parses about 4x faster; the pure-Python loader words errors best.
FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def load_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; return (data, problems). Data is None on a syntax error.

    Valid files go through libyaml when it is available; any problem is re-parsed with the
    pure-Python loader so messages and positions are the same with or without libyaml."""
    if FAST_LOADER is not None:
        loader = FAST_LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, []
            builder = _Builder(file, loader)
            data = builder.build(node, ())
            if not builder.problems:
                return data, []
        except (yaml.YAMLError, ValueError, TypeError):
            pass
        finally:
            loader.dispose()
    return _load_pure(text, file)


def _load_pure(text: str, file: str) -> tuple[Any, list[Problem]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        builder = _Builder(file, loader)
        return builder.build(node, ()), builder.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        context, start = exc.context or "", exc.context_mark
        if (start and exc.problem_mark and start.line < exc.problem_mark.line
                and context.startswith(("while scanning", "while parsing a flow"))):
            # A quote, key or bracket opened here was never closed: point at its start,
            # not at the end of the file where the scanner gave up.
            mark, what = start, f"{what} {context}"
        elif exc.problem and context and not context.startswith("while"):
            what = f"{context}, {what}"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem(
            "PORTAL-E001", file, line, col, "", f"YAML syntax error: {what}",
            "check indentation, colons and quotes around this position",
        )]
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked errors are rare
        return None, [Problem("PORTAL-E001", file, 1, 1, "", f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
