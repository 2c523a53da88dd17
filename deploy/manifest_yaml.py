"""Kubernetes objects as YAML text, the one way every generated manifest is written.

Keys keep the order they were built in (a Deployment reads top-down as people write it), lists
are indented under their key (yamllint's default), and the text is the same on every run, so a
`--check` can compare a committed file with a fresh rendering byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints


class _IndentedDumper(yaml.SafeDumper):  # type: ignore[misc]  # untyped base
    """Indents a list under its key, as yamllint's default `indent-sequences` wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _string(dumper: yaml.SafeDumper, value: str) -> Any:
    # A multi-line string (a dashboard's JSON, a template) as a block, readable in review.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_IndentedDumper.add_representer(str, _string)


def dump(document: dict[str, Any]) -> str:
    """One object as YAML."""
    text: str = yaml.dump(
        document,
        Dumper=_IndentedDumper,
        sort_keys=False,
        default_flow_style=False,
        width=98,
        allow_unicode=True,
    )
    return text


def documents(header: str, objects: Iterable[dict[str, Any]]) -> str:
    """A generated file: a comment header, then one `---` document per object."""
    return header + "".join("---\n" + dump(document) for document in objects)
