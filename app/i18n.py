"""Chinese first, English available: the portal's catalog completes FAB's zh translation."""

from __future__ import annotations

import io
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .settings import ROOT

CATALOG_DIR = os.path.join(ROOT, "app", "translations")


def compiled(po_path: str) -> bytes:
    """The .mo bytes for a .po file (deterministic, so a test can compare)."""
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> list[str]:
    """Write every .mo next to its .po; returns the files written."""
    written = []
    for lang in sorted(os.listdir(CATALOG_DIR)):
        po = os.path.join(CATALOG_DIR, lang, "LC_MESSAGES", "messages.po")
        if os.path.exists(po):
            with open(po[:-3] + ".mo", "wb") as fh:
                fh.write(compiled(po))
            written.append(po[:-3] + ".mo")
    return written
