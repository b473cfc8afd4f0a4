"""Resolve the names of one file to qualified names, from its ``import`` statements.

This is the cheap stand-in for libcst's QualifiedNameProvider: one pass over the ``ast`` that
flake8 already built.  ``resolve("nn.Linear")`` gives ``"torch.nn.Linear"`` after
``from torch import nn``.  Relative imports resolve against the file's own package
(``.layers.Block`` in ``pkg/model.py`` is ``pkg.layers.Block``); when the package is unknown they
stay relative (leading dots), which the project resolver understands.
"""

from __future__ import annotations

import ast
from typing import Iterable


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def absolute_module(module: str | None, level: int, package: str | None) -> str:
    """The module that ``from <level dots><module> import ...`` names, relative to ``package``."""
    if level == 0:
        return module or ""
    if package is not None:
        parts = package.split(".") if package else []
        if level - 1 <= len(parts):
            base = parts[: len(parts) - (level - 1)]
            return ".".join(base + ([module] if module else []))
    return "." * level + (module or "")


class ImportTable:
    """Local name -> qualified name, for every import in a file."""

    __slots__ = ("aliases", "local_names")

    def __init__(self, aliases: dict[str, str], local_names: Iterable[str] = ()) -> None:
        self.aliases = aliases
        #: Names the file defines itself (classes, functions): they shadow nothing imported,
        #: and an unimported name such as a local ``class Module`` is never torch's.
        self.local_names = frozenset(local_names)

    @classmethod
    def from_nodes(cls, nodes: Iterable[ast.stmt], package: str | None) -> "ImportTable":
        aliases: dict[str, str] = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases.setdefault(alias.asname, alias.name)
                    else:
                        root = alias.name.split(".", 1)[0]
                        aliases.setdefault(root, root)
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(node.module, node.level or 0, package)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    sep = "" if base.endswith(".") or not base else "."
                    aliases.setdefault(local, f"{base}{sep}{alias.name}")
        return cls(aliases)

    def resolve(self, dotted: str) -> str | None:
        """Qualified name of ``dotted`` through the imports, or ``None`` when it is not imported."""
        root, dot, rest = dotted.partition(".")
        target = self.aliases.get(root)
        if target is None:
            return None
        return f"{target}{dot}{rest}"
