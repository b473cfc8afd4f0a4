"""Options shared by the flake8 plugin, the CLI and the fixer."""

from __future__ import annotations

from dataclasses import dataclass

from .torch_names import TORCH_WORDS


@dataclass(frozen=True)
class Settings:
    #: Extra Module base classes, by qualified name (``mypkg.layers.BaseHead``).
    module_bases: frozenset[str] = frozenset()
    #: How the fixer writes TPC001 fixes: ``register_buffer`` or ``nn.Buffer``.
    buffer_style: str = "register_buffer"
    #: Resolve imported base classes and helpers in other files of the same source tree.
    cross_file: bool = True
    #: Skip classes that the cheap ``ast`` look (:mod:`.gate`) shows cannot hold a finding.
    #: Only ``scripts/gate_check.py`` turns it off, to show that it changes no finding.
    gate: bool = True

    def mentions_torch(self, text: str) -> bool:
        """Whether ``text`` holds a word without which a file cannot define a Module class on its
        own: torch's and the built-in libraries' (``TORCH_WORDS``), or a configured base's name."""
        return any(word in text for word in TORCH_WORDS) or any(
            base.rpartition(".")[2] in text for base in self.module_bases
        )


DEFAULT = Settings()


def parse_module_bases(value: str | list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """Split a comma/whitespace separated option value into qualified names."""
    if not value:
        return frozenset()
    items = value if isinstance(value, (list, tuple)) else [value]
    names: set[str] = set()
    for item in items:
        for part in str(item).replace(",", " ").split():
            if part:
                names.add(part.strip())
    return frozenset(names)
