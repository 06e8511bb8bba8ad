"""The run store's SQLite index, as ``RunStore.connect`` hands it out: one connection per process, thread and
index file, and statements that come back fully read.

The index is a cache of the run folders (``robustprune.index_rebuild``): an index file that SQLite cannot read
(overwritten, truncated, not a database) is moved aside, never read again and never deleted, and a new one is
built in its place (``IndexRebuiltWarning`` says so in one line)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

from filelock import FileLock

from robustprune.errors import StoreNotice

_connections = threading.local()


class StatementRows:
    """A statement's rows, all read at once, with a cursor's ``fetchone`` / ``fetchall`` / iteration / ``rowcount``.

    On a connection kept open, a statement read half-way (a cursor still alive after ``fetchone``) holds its read
    transaction open, and every later query on that connection sees the database as it was then: runs another
    process has written since would stay invisible. Reading every statement to its end makes that impossible."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.rows = cursor.fetchall() if cursor.description is not None else []
        self.rowcount = cursor.rowcount

    def fetchone(self):
        return self.rows.pop(0) if self.rows else None

    def fetchall(self) -> list:
        rows, self.rows = self.rows, []
        return rows

    def __iter__(self):
        return iter(self.fetchall())


class IndexConnection:
    """The index's connection as ``RunStore.connect`` hands it out: statements come back fully read."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters=()) -> StatementRows:
        return StatementRows(self._connection.execute(sql, parameters))

    def executemany(self, sql: str, rows) -> StatementRows:
        return StatementRows(self._connection.executemany(sql, rows))

    def executescript(self, script: str) -> None:
        self._connection.executescript(script)


class IndexRebuiltWarning(StoreNotice):
    """The run index was unreadable or missing runs; it was rebuilt from the run folders."""


def unreadable(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite's error says the file itself is bad (not a database, malformed; a disk I/O error on opening:
    a ``-wal`` left behind by another database), not that it is busy or that a statement is wrong
    (``OperationalError``: locked, no such table, ...)."""
    return (not isinstance(error, sqlite3.OperationalError) or "malformed" in str(error)
            or "disk I/O error" in str(error))


def forget_thread_connection(path: Path) -> None:
    """Close this thread's connection to ``path``, if any: the next ``thread_connection`` opens (and prepares) the
    file anew. After an error that says the file went bad under an open connection."""
    open_here = getattr(_connections, "by_path", None)
    if open_here is not None and _connections.pid == os.getpid() and path in open_here:
        try:
            open_here.pop(path)[1].close()
        except sqlite3.Error:
            pass


def move_aside(path: Path) -> str:
    """Rename the index file (and its WAL and shared-memory files) to ``<name>.unreadable-<time>``; the new name
    (a file name, no folder: it is shown to users)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, f"{aside}{suffix}")
    return aside.name


def thread_connection(path: Path, prepare: Callable[[sqlite3.Connection], None] | None = None) -> sqlite3.Connection:
    """This thread's open connection to the SQLite file at ``path``: opened once per process, thread and file
    (the file's inode and change time: a file deleted and made anew is another file, even on a reused inode).

    ``prepare(connection)`` runs on each connection when it is opened (the store's schema, its integrity check, its
    rebuild from the run folders); where SQLite says the file is not a readable database, the file is moved aside
    and a new one opened and prepared in its place."""
    def identity() -> tuple[int, int] | None:
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_ctime_ns

    open_here = getattr(_connections, "by_path", None)
    if open_here is None or _connections.pid != os.getpid():  # a forked child never uses its parent's connections
        open_here = _connections.by_path = {}
        _connections.pid = os.getpid()
    known, now = open_here.get(path), identity()
    if known is not None and now is not None and known[0] == now:
        return known[1]
    if known is not None:
        known[1].close()
    if headerless_beside_a_wal(path):
        with repair_lock(path):
            if headerless_beside_a_wal(path):
                aside = move_aside(path)
                warnings.warn(IndexRebuiltWarning(
                    f"the run index was emptied while its write-ahead log remained; both were moved aside as {aside} "
                    "and the index rebuilt from the run folders"), stacklevel=3)
    try:
        connection = open_prepared(path, prepare)
    except sqlite3.DatabaseError as error:
        if not unreadable(error):
            raise
        with repair_lock(path):  # one process moves a bad file aside, the others open the new one
            try:
                connection = open_prepared(path, prepare)
            except sqlite3.DatabaseError as again:
                if not unreadable(again):
                    raise
                aside = move_aside(path)
                with warnings.catch_warnings():  # the rebuild's own line ("lacked runs") would say it twice
                    warnings.simplefilter("ignore", IndexRebuiltWarning)
                    connection = open_prepared(path, prepare)
                warnings.warn(IndexRebuiltWarning(
                    f"the run index could not be read ({again}); it was moved aside as {aside} and rebuilt from "
                    "the run folders"), stacklevel=3)
    open_here[path] = (identity(), connection)
    return connection


def repair_lock(path: Path) -> FileLock:
    locks = path.parent / "locks"
    locks.mkdir(exist_ok=True)
    return FileLock(locks / f"{path.name}.repair.lock")


def headerless_beside_a_wal(path: Path) -> bool:
    """An index file shorter than SQLite's 100-byte header (emptied: ``truncate -s 0``) beside a ``-wal`` of the
    database it was: SQLite would wait on the other processes' locks of that log for ever ("database is locked")."""
    try:
        return os.stat(path).st_size < 100 and os.path.exists(f"{path}-wal")
    except FileNotFoundError:
        return False


def open_prepared(path: Path, prepare: Callable[[sqlite3.Connection], None] | None) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        if prepare is not None:
            prepare(connection)
            connection.commit()
    except BaseException:
        connection.close()
        raise
    return connection


__all__ = ["IndexConnection", "IndexRebuiltWarning", "StatementRows", "forget_thread_connection", "thread_connection"]
