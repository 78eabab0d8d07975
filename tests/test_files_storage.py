"""The two storages behind one interface (app/files/storage.py): bytes in, the same bytes
out, gone after delete; the database one in chunks, in the caller's transaction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.files.model import PortalFileChunk
from app.files.storage import CHUNK, DatabaseStorage, FolderStorage, storage


def test_the_folder_keeps_each_file_under_a_random_key(tmp_path: Path) -> None:
    folder = FolderStorage(str(tmp_path))
    key = folder.put(io.BytesIO(b"\x89PNG data"))
    assert len(key) == 32 and key.isalnum()
    assert (tmp_path / key[:2] / key).read_bytes() == b"\x89PNG data"
    with folder.open(key) as stream:
        assert stream.read() == b"\x89PNG data"
    assert folder.put(io.BytesIO(b"\x89PNG data")) != key  # the same bytes: another key
    folder.delete(key)
    folder.delete(key)  # nothing left: nothing happens
    with pytest.raises(FileNotFoundError):
        folder.open(key)
    assert not list(tmp_path.rglob("*.part"))  # written whole, then renamed


def test_the_folder_never_opens_a_path_from_outside(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("x")
    folder = FolderStorage(str(tmp_path / "files"))
    for key in ("../secret", "ab/../../secret", "/etc/passwd", ""):
        with pytest.raises(FileNotFoundError):
            folder.open(key)


def test_the_database_keeps_files_in_chunks_in_the_callers_transaction(app: Flask) -> None:
    data = bytes(range(256)) * (CHUNK * 5 // 2 // 256)  # two and a half chunks
    with app.app_context():
        session = app.appbuilder.session
        db = DatabaseStorage(session)
        key = db.put(io.BytesIO(data))
        chunks = session.scalar(select(func.count()).select_from(PortalFileChunk).where(
            PortalFileChunk.key == key))
        assert chunks == 3
        assert db.open(key).read() == data
        stream = db.open(key)  # read as asked: one chunk in memory, not the whole file
        assert stream.read(10) == data[:10] and stream.raw.seq == 1  # type: ignore[attr-defined]
        assert stream.read(CHUNK) == data[10:CHUNK + 10] and stream.raw.seq == 2  # type: ignore[attr-defined]
        stream.close()
        empty = db.put(io.BytesIO(b""))
        assert db.open(empty).read() == b""
        db.delete(key)
        with pytest.raises(FileNotFoundError):
            db.open(key)
        session.rollback()  # nothing was committed: nothing is kept
        assert session.scalar(select(func.count()).select_from(PortalFileChunk).where(
            PortalFileChunk.key.in_([key, empty]))) == 0


def test_the_setting_chooses_the_storage_of_new_files(app: Flask) -> None:
    with app.app_context():
        assert app.config["PORTAL_FILE_STORAGE"] == "folder"
        assert isinstance(storage(), FolderStorage)
        assert storage().root == app.config["PORTAL_FILE_DIR"]  # type: ignore[attr-defined]
        assert isinstance(storage("database"), DatabaseStorage)  # a row names its own
