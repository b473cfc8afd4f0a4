"""What the CLI tests and the notebook tests share: writing a file, running the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_param_check import cli


def write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (bytes as they are, text as UTF-8) to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI's exit code, stdout and stderr for ``argv`` (isolated from any config, one job)."""
    code = cli.main(["--isolated", "-j", "1", *argv])
    out, err = capsys.readouterr()
    return code, out, err
