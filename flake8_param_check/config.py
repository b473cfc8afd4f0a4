"""Reading the configuration the flake8 plugin and the CLI share.

The CLI finds its configuration the way flake8 does: from the current folder upwards (stopping
below the home folder), the first of ``setup.cfg``, ``tox.ini`` or ``.flake8`` with a ``[flake8]``
section; in each folder it also accepts a ``pyproject.toml`` with a ``[tool.flake8-param-check]``
table when none of flake8's files there has one.  Of flake8's options only those that concern TPC
codes are read; paths in ``exclude`` and ``per-file-ignores`` are relative to the config's folder.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping

from .discovery import PathPatterns, combine
from .settings import Settings, parse_module_bases

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = "flake8-param-check"
CODE_PREFIX = "TPC"
BUFFER_STYLES = ("register_buffer", "nn.Buffer")

#: Config key (``-`` and ``_`` alike) -> the option it sets.
KEYS: dict[str, str] = {
    "param_check_module_bases": "module_bases",
    "param_check_buffer_style": "buffer_style",
    "param_check_notebooks": "notebooks",
    "select": "select",
    "extend_select": "extend_select",
    "ignore": "ignore",
    "extend_ignore": "extend_ignore",
    "per_file_ignores": "per_file_ignores",
    "exclude": "exclude",
    "extend_exclude": "extend_exclude",
}
#: pyproject's table is ours alone, so the ``param-check-`` prefix may be left off there.
PYPROJECT_KEYS: dict[str, str] = {
    **KEYS, "module_bases": "module_bases", "buffer_style": "buffer_style", "notebooks": "notebooks"
}
TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
OPTIONS: tuple[str, ...] = tuple(dict.fromkeys(KEYS.values()))


class ConfigError(Exception):
    """A configuration that cannot be used (the CLI exits with 2)."""


@dataclass(frozen=True)
class Value:
    text: str
    base: str  #: the folder relative paths in ``text`` are relative to


Values = Mapping[str, Value]


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


# -- finding and reading files ----------------------------------------------------------------


def _flake8_section(path: str, *, strict: bool) -> dict[str, str] | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        if strict:
            raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
        return None
    if not parser.has_section("flake8"):
        return None
    return dict(parser.items("flake8"))


def _pyproject_table(path: str, *, strict: bool) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as stream:
            document = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        if strict:
            raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
        return None
    table = document.get("tool", {}).get(PYPROJECT_TABLE)
    return table if isinstance(table, dict) else None


def _same_dir(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def find_config(start: str = ".") -> str | None:
    """The configuration file a run from ``start`` uses, like flake8's own search."""
    home = os.path.expanduser("~")
    folder = os.path.abspath(start)
    while True:
        for name in FLAKE8_FILES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and _flake8_section(candidate, strict=False) is not None:
                return candidate
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate) and _pyproject_table(candidate, strict=False) is not None:
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder or _same_dir(parent, home):
            return None
        folder = parent


def _toml_text(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return TRUE[0] if value else FALSE[0]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ("\n" if key == "per_file_ignores" else ",").join(value)
    if key == "per_file_ignores" and isinstance(value, dict):
        return "\n".join(f"{pattern}:{_toml_text('codes', codes)}" for pattern, codes in value.items())
    raise ConfigError(f"'{key}' must be a boolean, a string or a list of strings, not {value!r}")


def read_config(path: str) -> dict[str, Value]:
    """The options ``path`` sets (unknown keys of flake8's section belong to flake8: ignored)."""
    base = os.path.dirname(os.path.abspath(path))
    if path.endswith(".toml"):
        table = _pyproject_table(path, strict=True)
        if table is None:
            return {}
        values: dict[str, Value] = {}
        for name, raw in table.items():
            option = PYPROJECT_KEYS.get(_key(name))
            if option is None:
                raise ConfigError(f"{path}: unknown option '{name}' in [tool.{PYPROJECT_TABLE}]")
            values[option] = Value(_toml_text(option, raw), base)
        return values
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such configuration file")
    section = _flake8_section(path, strict=True) or {}
    return {KEYS[_key(k)]: Value(v, base) for k, v in section.items() if _key(k) in KEYS}


# -- interpreting the values ------------------------------------------------------------------


def split_list(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def tpc_prefixes(text: str | None) -> tuple[str, ...]:
    """The items of a code list that can name a TPC code (``T``, ``TPC``, ``TPC00``, ``TPC001``)."""
    codes = (code.upper() for code in split_list(text or ""))
    return tuple(c for c in codes if CODE_PREFIX.startswith(c) or c.startswith(CODE_PREFIX))


@dataclass(frozen=True)
class Selection:
    """Which codes are reported: flake8's rule, the longest matching prefix wins."""

    select: tuple[str, ...] = (CODE_PREFIX,)
    ignore: tuple[str, ...] = ()

    @staticmethod
    def _longest(code: str, prefixes: tuple[str, ...]) -> int:
        return max((len(p) for p in prefixes if code.startswith(p)), default=-1)

    def __call__(self, code: str) -> bool:
        selected = self._longest(code, self.select)
        return selected >= 0 and selected > self._longest(code, self.ignore)

    def ignoring(self, codes: tuple[str, ...]) -> Selection:
        return Selection(self.select, self.ignore + codes) if codes else self


def make_selection(values: Values) -> Selection:
    def codes(option: str) -> tuple[str, ...]:
        value = values.get(option)
        return tpc_prefixes(value.text if value else None)

    select = (codes("select") or (CODE_PREFIX,)) + codes("extend_select")
    return Selection(select, codes("ignore") + codes("extend_ignore"))


_CODE = re.compile(r"[A-Z]+[0-9]*\Z")


def parse_per_file_ignores(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """flake8's ``pattern[ pattern]:code[,code] ...`` pairs."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    files: list[str] = []
    codes: list[str] = []
    in_codes = False

    def error() -> ConfigError:
        return ConfigError(f"per-file-ignores must map file patterns to codes: {text.strip()!r}")

    for token in re.findall(r"[^\s:,]+|:", text):
        if token == ":":
            if in_codes or not files:
                raise error()
            in_codes = True
        elif in_codes and _CODE.match(token):
            codes.append(token)
        else:
            if in_codes:
                if not codes:
                    raise error()
                pairs.extend((f, tuple(codes)) for f in files)
                files, codes, in_codes = [], [], False
            files.append(token)
    if files and not (in_codes and codes):
        raise error()
    pairs.extend((f, tuple(codes)) for f in files)
    return pairs


@dataclass(frozen=True)
class PerFileIgnores:
    rules: tuple[tuple[PathPatterns, tuple[str, ...]], ...] = ()

    def codes_for(self, path: str) -> tuple[str, ...]:
        found: list[str] = []
        for patterns, codes in self.rules:
            if patterns.matches(path):
                found.extend(tpc_prefixes(",".join(codes)))
        return tuple(found)


def make_per_file_ignores(value: Value | None) -> PerFileIgnores:
    if value is None:
        return PerFileIgnores()
    pairs = parse_per_file_ignores(value.text)
    return PerFileIgnores(tuple((PathPatterns((p,), value.base), codes) for p, codes in pairs))


def _patterns(value: Value | None) -> PathPatterns:
    if value is None:
        return PathPatterns()
    return PathPatterns(tuple(split_list(value.text)), value.base)


@dataclass(frozen=True)
class Resolved:
    """Everything a run needs from its options, config and command line merged."""

    settings: Settings = Settings()
    selection: Selection = Selection()
    per_file_ignores: PerFileIgnores = PerFileIgnores()
    excludes: tuple[PathPatterns, ...] = field(default=())
    notebooks: bool = True  #: check ``*.ipynb`` notebooks


def parse_boolean(option: str, value: Value | None, default: bool) -> bool:
    if value is None:
        return default
    text = value.text.strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ConfigError(f"{option.replace('_', '-')} must be true or false, not {value.text.strip()!r}")


def resolve(values: Values) -> Resolved:
    style = values.get("buffer_style")
    buffer_style = style.text.strip() if style else BUFFER_STYLES[0]
    if buffer_style not in BUFFER_STYLES:
        raise ConfigError(f"buffer style must be one of {', '.join(BUFFER_STYLES)}, not {buffer_style!r}")
    bases = values.get("module_bases")
    module_bases = parse_module_bases(bases.text if bases else None)
    settings = Settings(module_bases=module_bases, buffer_style=buffer_style)
    return Resolved(
        settings=settings,
        selection=make_selection(values),
        per_file_ignores=make_per_file_ignores(values.get("per_file_ignores")),
        excludes=combine(_patterns(values.get("exclude")), _patterns(values.get("extend_exclude"))),
        notebooks=parse_boolean("notebooks", values.get("notebooks"), True),
    )
