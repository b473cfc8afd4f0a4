"""The header every rule example starts with (so each snippet stays short)."""

HEADER = "import torch\nfrom torch import nn\n\n"
