"""The run store's SQLite index, as ``RunStore.connect`` hands it out: one connection per process, thread and
index file, and statements that come back fully read."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

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


def thread_connection(path: Path) -> sqlite3.Connection:
    """This thread's open connection to the SQLite file at ``path``: opened once per process, thread and file
    (the file's inode and change time: a file deleted and made anew is another file, even on a reused inode)."""
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
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    open_here[path] = (identity(), connection)
    return connection


__all__ = ["IndexConnection", "StatementRows", "thread_connection"]
