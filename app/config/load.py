"""YAML → a validated PortalSpec: read and merge the files (app/config/loader.py), check and
build (app/config/lint/), or raise ConfigError listing every problem found."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from app.config.errors import ConfigError
from app.config.lint.common import to_label
from app.config.lint.forms import Linter
from app.config.loader import ConfigLoader
from app.spec import PortalSpec


def config_hash(spec: PortalSpec) -> str:
    """sha256 of what the spec means: the same config gives the same hash in every process.
    The spec's repr is canonical: frozen dataclasses, tuples and sorted grant tuples, no file
    paths (and not the fingerprint). `config show` prints it; config_loaded records it."""
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def fingerprint(spec: PortalSpec) -> str:
    """The hash's first 16 digits: equal specs share generated classes within a process."""
    return config_hash(spec)[:16]


def load_spec(config_dir: str, industry: str | None = None) -> PortalSpec:
    """YAML → validated PortalSpec. Raises ConfigError listing every problem found."""
    loader = ConfigLoader(config_dir, industry)
    raw = loader.load()
    if loader.problems:
        raise ConfigError(loader.problems, loader.config_dir)
    linter = Linter(raw)
    spec = linter.build()
    if spec is None:
        raise ConfigError(linter.problems, loader.config_dir)
    label = to_label(raw.pack_label) if raw.pack_label is not None else None
    spec = replace(spec, industry=industry or None, industry_label=label)
    return replace(spec, fingerprint=fingerprint(spec))
