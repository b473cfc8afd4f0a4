"""Every code the tool reports, defined once.

The flake8 plugin, the CLI, the fixer, the docs and the tests all read this table.
A message is a ``str.format`` template; ``{attr}`` is the attribute's name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    template: str
    summary: str

    def message(self, **fields: str) -> str:
        return f"{self.code} {self.template.format(**fields)}"


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "TPC001",
            "unregistered-tensor",
            "tensor 'self.{attr}' is not registered: it is left behind by .to()/.cuda() and "
            "missing from state_dict(); use self.register_buffer('{attr}', ..., persistent=False), "
            "or nn.Parameter if it is meant to be trained",
            "A plain tensor stored on self in __init__ is invisible to the Module.",
        ),
        Code(
            "TPC002",
            "trainable-raw-tensor",
            "tensor 'self.{attr}' has requires_grad=True but is not an nn.Parameter: it is not in "
            "parameters(), so no optimizer updates it; wrap it in nn.Parameter(...)",
            "A tensor that requires grad stored on self is never trained.",
        ),
        Code(
            "TPC003",
            "plain-container-of-modules",
            "'self.{attr}' is a plain {container} of modules: their parameters are not registered; "
            "use nn.{fix}",
            "Layers kept in a Python list, tuple or dict are not registered.",
        ),
        Code(
            "TPC004",
            "plain-container-of-tensors",
            "'self.{attr}' is a plain {container} of tensors or Parameters: they are not registered; "
            "use nn.{fix} or register each as a buffer",
            "Parameters or tensors kept in a Python list, tuple or dict are not registered.",
        ),
        Code(
            "TPC005",
            "converted-parameter",
            "'self.{attr}' is nn.Parameter(...).{method}(...), which returns a plain tensor, not a "
            "Parameter; convert first: nn.Parameter(t.{method}(...))",
            "Converting a Parameter returns a plain tensor.",
        ),
    )
}

ALL_CODES: tuple[str, ...] = tuple(CODES)


def message(code: str, **fields: str) -> str:
    """The full text flake8 prints after the position: ``TPC001 tensor 'self.x' ...``."""
    return CODES[code].message(**fields)
