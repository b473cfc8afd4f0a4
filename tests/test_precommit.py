"""The pre-commit hooks, run for real: ``pre-commit try-repo`` against this repository, on a
repository holding a buggy Python file and a buggy Jupyter notebook.

``try-repo`` clones this repository at HEAD (with the uncommitted changes to tracked files, through
a shadow commit; an untracked ``.pre-commit-hooks.yaml`` is not seen), builds a virtual environment
and pip-installs the package into it (libcst and flake8 come from the package index), then runs the
hook on the files staged in a temporary git repository.  ``try-repo`` builds that environment in a
store of its own for every call, so each call costs one install (a few seconds with a warm pip
cache); the shared ``PRE_COMMIT_HOME`` only keeps pre-commit's log and the local hook's store out of
the user's home folder.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
CHECK_HOOK = "flake8-param-check"
FIX_HOOK = "flake8-param-check-fix"
TIMEOUT = 600  # one hook environment: a venv and a pip install

BUGGY = """\
import torch
from torch import nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.pe = torch.zeros(3)
"""
FIXED_BY_HAND = BUGGY.replace("self.pe = torch.zeros(3)", 'self.register_buffer("pe", torch.zeros(3))')
FIXED_BY_HOOK = BUGGY.replace(
    "self.pe = torch.zeros(3)", 'self.register_buffer("pe", torch.zeros(3), persistent=False)'
)


def notebook(source: str) -> str:
    """A notebook as Jupyter writes it: a markdown cell, then ``source`` as its second cell."""
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# A model\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "model",
            "metadata": {},
            "outputs": [],
            "source": source.splitlines(True),
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment pre-commit and git run in: no terminal, no colour, no outer git or hook."""
    if shutil.which("git") is None:  # the fixture runs before the skip mark would be looked at
        pytest.skip("pre-commit needs git")
    clean = {
        key: value
        for key, value in os.environ.items()
        # a test run from inside a git hook (or pre-commit) must not leak the outer repository
        if not key.startswith(("GIT_", "PRE_COMMIT")) and key not in {"SKIP", "FORCE_COLOR"}
    }
    clean.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
        TERM="dumb",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PYTHONUNBUFFERED="1",
    )
    # try-repo needs this checkout to be a git repository (it is in CI: a fresh clone)
    try:
        _git(ROOT, "rev-parse", "--verify", "HEAD", env=clean)
    except subprocess.CalledProcessError:
        pytest.fail(f"{ROOT} is not a git checkout with a commit: pre-commit try-repo cannot clone it")
    tracked = _git(ROOT, "ls-files", "--", MANIFEST.name, env=clean).strip()
    assert tracked, f"{MANIFEST.name} must be committed (or at least git-added) for try-repo to see it"
    return clean


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A fresh git repository holding a staged Python file and a staged notebook, each with a TPC001
    bug."""
    path = tmp_path / "project"
    path.mkdir()
    _git(path, "init", "-q", env=env)
    _git(path, "config", "user.email", "test@example.com", env=env)
    _git(path, "config", "user.name", "Test", env=env)
    _git(path, "config", "commit.gpgsign", "false", env=env)
    (path / "model.py").write_text(BUGGY)
    (path / "model.ipynb").write_text(notebook(BUGGY))
    _git(path, "add", "model.py", "model.ipynb", env=env)
    return path


def pre_commit(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run pre-commit from the interpreter running the tests; its exit code and its output."""
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
    )
    return done.returncode, done.stdout


def try_repo(cwd: Path, env: dict[str, str], hook: str) -> tuple[int, str]:
    """``pre-commit try-repo ROOT HOOK`` on the staged files of ``cwd``."""
    return pre_commit(cwd, env, "try-repo", str(ROOT), hook, "--color", "never", "--verbose")


def test_manifest_declares_both_hooks() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}
    assert set(hooks) == {CHECK_HOOK, FIX_HOOK}
    assert hooks[CHECK_HOOK]["entry"] == "flake8-param-check"
    assert hooks[FIX_HOOK]["entry"] == "flake8-param-check --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["pass_filenames"] is True


def test_check_hook_fails_on_the_bug_then_passes_once_fixed_by_hand(repo: Path, env: dict[str, str]) -> None:
    code, out = try_repo(repo, env, CHECK_HOOK)
    assert code != 0, out
    assert "Failed" in out, out
    assert "model.py:8:9: TPC001" in out, out
    assert "model.ipynb:cell_2:8:9: TPC001" in out, out
    assert (repo / "model.py").read_text() == BUGGY  # the check hook never writes
    assert (repo / "model.ipynb").read_text() == notebook(BUGGY)

    (repo / "model.py").write_text(FIXED_BY_HAND)
    (repo / "model.ipynb").write_text(notebook(FIXED_BY_HAND))
    _git(repo, "add", "model.py", "model.ipynb", env=env)
    code, out = try_repo(repo, env, CHECK_HOOK)
    assert code == 0, out
    assert "Passed" in out, out
    assert "TPC001" not in out, out


def test_fix_hook_rewrites_the_file_then_passes(repo: Path, env: dict[str, str]) -> None:
    code, out = try_repo(repo, env, FIX_HOOK)
    # the CLI exits 0 when --fix leaves nothing behind; pre-commit fails the hook because it changed
    # a file, so the commit stops and the fix can be reviewed and staged
    assert code != 0, out
    assert "files were modified by this hook" in out, out
    assert "2 files changed, 2 findings fixed, 0 findings left" in out, out
    assert (repo / "model.py").read_text() == FIXED_BY_HOOK
    assert (repo / "model.ipynb").read_text() == notebook(FIXED_BY_HOOK)

    _git(repo, "add", "model.py", "model.ipynb", env=env)
    code, out = try_repo(repo, env, FIX_HOOK)
    assert code == 0, out
    assert "Passed" in out, out
    assert (repo / "model.py").read_text() == FIXED_BY_HOOK
    assert (repo / "model.ipynb").read_text() == notebook(FIXED_BY_HOOK)


def test_flake8_route_as_a_local_hook(repo: Path, env: dict[str, str]) -> None:
    """The plugin through flake8, as a ``repo: local`` hook using this interpreter's flake8."""
    entry = f"{shlex.quote(sys.executable)} -m flake8 --isolated --select=TPC"
    config = (
        "repos:\n"
        "-   repo: local\n"
        "    hooks:\n"
        "    -   id: flake8-tpc\n"
        "        name: flake8 (TPC)\n"
        f"        entry: {json.dumps(entry)}\n"  # JSON strings are YAML strings
        "        language: system\n"
        "        types: [python]\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    _git(repo, "add", ".pre-commit-config.yaml", env=env)

    code, out = pre_commit(repo, env, "run", "--color", "never")
    assert code != 0, out
    assert "model.py:8:9: TPC001" in out, out

    (repo / "model.py").write_text(FIXED_BY_HAND)
    _git(repo, "add", "model.py", env=env)
    code, out = pre_commit(repo, env, "run", "--color", "never")
    assert code == 0, out
    assert "Passed" in out, out
