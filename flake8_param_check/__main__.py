"""``python -m flake8_param_check``: the command-line tool (the way nbqa runs a tool)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
