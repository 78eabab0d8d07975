"""Where the bytes of uploaded files live, behind one small interface chosen by the setting
PORTAL_FILE_STORAGE: `folder` (PORTAL_FILE_DIR, by default files/ in the instance folder: one
server, or a folder every server mounts) or `database` (chunks in the portal's database, so
several app servers share the files with nothing else to run)."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from typing import Any, BinaryIO, Protocol

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.files.model import PortalFileChunk

CHUNK = 1 << 20  # bytes per row of the database storage
STORAGES = ("folder", "database")


class Storage(Protocol):
    name: str

    def put(self, stream: BinaryIO) -> str:
        """Store the stream's bytes; the key to find them by."""

    def open(self, key: str) -> BinaryIO:
        """The bytes stored under `key`; FileNotFoundError if there are none."""

    def delete(self, key: str) -> None:
        """Forget the bytes (nothing happens when there are none)."""


def new_key() -> str:
    return secrets.token_hex(16)


class FolderStorage:
    name = "folder"

    def __init__(self, root: str) -> None:
        self.root = root

    def path(self, key: str) -> str:
        if not key.isalnum():  # keys are ours (hex): never a path from outside
            raise FileNotFoundError(key)
        return os.path.join(self.root, key[:2], key)

    def put(self, stream: BinaryIO) -> str:
        key = new_key()
        path = self.path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        draft = f"{path}.part"
        with open(draft, "wb") as out:
            while block := stream.read(CHUNK):
                out.write(block)
        os.replace(draft, path)  # whole or not at all
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path(key))


class DatabaseStorage:
    """Chunks in `portal_file_chunk`, written in the caller's transaction: a file is stored
    with its record or not at all."""

    name = "database"

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, stream: BinaryIO) -> str:
        key = new_key()
        seq = 0
        while block := stream.read(CHUNK):
            self.session.add(PortalFileChunk(key=key, seq=seq, data=block))
            seq += 1
        if seq == 0:
            self.session.add(PortalFileChunk(key=key, seq=0, data=b""))
        self.session.flush()
        return key

    def open(self, key: str) -> BinaryIO:
        """The chunks read one at a time, as they are asked for: a download holds one chunk
        in memory, however large the file."""
        count = self.session.scalar(select(func.count()).select_from(PortalFileChunk).where(
            PortalFileChunk.key == key))
        if not count:
            raise FileNotFoundError(key)
        return io.BufferedReader(_Chunks(self.session, key, int(count)), CHUNK)

    def delete(self, key: str) -> None:
        self.session.execute(delete(PortalFileChunk).where(PortalFileChunk.key == key))


class _Chunks(io.RawIOBase):
    """A file of the database storage as a stream: chunk `seq` is read when reached."""

    def __init__(self, session: Session, key: str, count: int) -> None:
        self.session, self.key, self.count = session, key, count
        self.seq, self.left = 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.left and self.seq < self.count:
            self.left = bytes(self.session.scalar(select(PortalFileChunk.data).where(
                PortalFileChunk.key == self.key, PortalFileChunk.seq == self.seq)) or b"")
            self.seq += 1
        size = min(len(buffer), len(self.left))
        buffer[:size] = self.left[:size]
        self.left = self.left[size:]
        return size


def storage(name: str | None = None, session: Session | None = None) -> Any:
    """The storage `name` (a file row's), or the configured one for new files."""
    name = name or current_app.config["PORTAL_FILE_STORAGE"]
    if name == "database":
        return DatabaseStorage(session or current_app.extensions["appbuilder"].session)
    return FolderStorage(current_app.config["PORTAL_FILE_DIR"])
