"""Checks of file and image fields (app/files/): their size and count limits, the content
types they accept, and what a file cannot be (searched, sorted, a default)."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.errors import Problem
from app.config.loader import keypath
from app.config.source import LDict, format_path
from app.fieldtypes.sniff import IMAGE_TYPES, KNOWN_TYPES
from app.spec import FILE_TYPES

LIMITS = {"max_size_mb": (1, 100), "max_files": (1, 20)}


class FileRules:
    add: Any
    problems: list[Problem]

    def check_files(self, raw: LDict, ftype: str) -> tuple[str, ...]:
        """The field's accepted types (checked); PORTAL-E043 for limits out of range,
        PORTAL-E075 for an unknown type or one its field cannot hold."""
        if ftype not in FILE_TYPES:
            return ()
        for key, (lo, hi) in LIMITS.items():
            if key in raw and not lo <= raw[key] <= hi:
                self.add("PORTAL-E043", raw, key, f"{raw[key]} is out of range",
                         f"allowed: {lo} to {hi}")
        allowed = IMAGE_TYPES if ftype == "image" else KNOWN_TYPES
        accept: Any = raw.get("accept") or []
        for i, name in enumerate(accept):
            if name in allowed:
                continue
            where = accept.where(i)
            if name in KNOWN_TYPES:
                message = f"an image field cannot accept '{name}'"
                hint = "use a file field for documents; images: " + ", ".join(IMAGE_TYPES)
            else:
                message = f"unknown content type '{name}'"
                near = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(allowed)
            self.problems.append(Problem("PORTAL-E075", where.file, where.line, where.column,
                                         format_path(keypath(raw, "accept") + (i,)),
                                         message, hint))
        return tuple(dict.fromkeys(a for a in accept if a in allowed))
