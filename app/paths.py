"""Where the portal's own files are: the repository root (config/, migrations/, the app)."""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
