"""tastypy's dictionaries on Drover's tracker file: resume a long job where it stopped.

:class:`PersistentDict` and :class:`ProgressTracker` keep their entries in the same SQLite file
format as the .NET ``Drover.Tracker`` (the same tables, the same claim rules), so .NET and Python
processes can share one file at once. A write returns once it would survive a kill -9 of the
process (``sync_to_disk=True``: also a power loss). Several processes may open the same file; each
opens its own (do not share an open tracker across ``fork``).
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Tuple

__all__ = ["PersistentDict", "ProgressTracker", "ProgressEntry", "ProgressCounts", "TrackerFileError"]

# "DRVT": tells a tracker file from any other SQLite database (Drover.Tracker's TrackerFile).
APPLICATION_ID = 0x44525654
VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (
    key TEXT PRIMARY KEY, seq INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0,
    aborted INTEGER NOT NULL DEFAULT 0, data TEXT, claimed_by TEXT, claimed_at INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS progress_seq ON progress (seq);
"""
_PAGE = 1000
_MISSING = object()


class TrackerFileError(Exception):
    """The path is not a Drover tracker file (another database, a damaged file, a newer format, a directory)."""


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _TrackerFile:
    """One connection to a tracker file, used by one thread at a time; each write is one IMMEDIATE transaction."""

    def __init__(self, path: str, sync_to_disk: bool):
        self.path = os.path.abspath(path)
        if os.path.isdir(self.path):
            raise TrackerFileError(f"{self.path} is a directory, not a tracker file")
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {'FULL' if sync_to_disk else 'NORMAL'}")
            self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # finds a damaged file too
            if self._scalar("PRAGMA application_id") != APPLICATION_ID or self._scalar("PRAGMA user_version") < VERSION:
                self._create()
            elif self._scalar("PRAGMA user_version") > VERSION:
                raise TrackerFileError(f"{self.path} was written by a newer Drover tracker (format "
                                       f"{self._scalar('PRAGMA user_version')}); update this program")
        except sqlite3.DatabaseError as ex:
            self._db.close()
            if isinstance(ex, sqlite3.OperationalError) and "locked" in str(ex):
                raise
            raise TrackerFileError(f"{self.path} is not a Drover tracker file (it is not a SQLite database, "
                                   f"or it is damaged): {ex}") from ex
        except BaseException:
            self._db.close()
            raise

    def _create(self) -> None:
        # Looked at again under the write lock: another process may be making the file this moment.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            found = self._scalar("PRAGMA application_id")
            if found != APPLICATION_ID and self._scalar("SELECT count(*) FROM sqlite_master") > 0:
                raise TrackerFileError(f"{self.path} is a SQLite database but not a Drover tracker "
                                       f"(application id {found}); give a new path")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._db.execute(f"PRAGMA user_version = {VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _scalar(self, sql: str) -> int:
        return int(self._db.execute(sql).fetchone()[0])

    def write(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Runs ``work`` in one transaction (BEGIN IMMEDIATE: across processes too); returns once committed."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def read(self, sql: str, parameters: Tuple = ()) -> List[Tuple]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _OnTrackerFile:
    """What a dictionary and a tracker share: their file, its path, closing, and ``with``."""

    _file: _TrackerFile

    @property
    def path(self) -> str:
        return self._file.path

    def __repr__(self) -> str:
        return f"<drover.tracker.{type(self).__name__} {self.path}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()


class PersistentDict(_OnTrackerFile, MutableMapping):
    """A dictionary of string keys to JSON values kept in a file (tastypy's ``POD``).

    A write returns once it would survive a kill -9; entries iterate in insertion order (an update
    keeps the entry's place); several processes and threads may open the same file and see each
    other's writes. Values are JSON text in the file's ``entries`` table.
    """

    def __init__(self, path: str, sync_to_disk: bool = False):
        self._file = _TrackerFile(path, sync_to_disk)

    def __getitem__(self, key: str) -> Any:
        rows = self._file.read("SELECT value FROM entries WHERE key = ?", (_key(key),))
        if not rows:
            raise KeyError(key)
        return json.loads(rows[0][0])

    def __setitem__(self, key: str, value: Any) -> None:
        text = _json(value)
        self._file.write(lambda db: _put(db, _key(key), text))

    def __delitem__(self, key: str) -> None:
        if self._file.write(lambda db: db.execute("DELETE FROM entries WHERE key = ?", (_key(key),)).rowcount) == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._file.read("SELECT 1 FROM entries WHERE key = ?", (key,)))

    def __len__(self) -> int:
        return int(self._file.read("SELECT count(*) FROM entries")[0][0])

    def __iter__(self) -> Iterator[str]:
        for key, _ in self._pages():
            yield key

    def items(self) -> Iterator[Tuple[str, Any]]:  # type: ignore[override]
        """Entries in insertion order, read in pages (a snapshot per page, not of the whole)."""
        for key, text in self._pages():
            yield key, json.loads(text)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _, value in self.items():
            yield value

    def _pages(self) -> Iterator[Tuple[str, str]]:
        after = 0
        while True:
            page = self._file.read("SELECT seq, key, value FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE))
            for seq, key, text in page:
                after = seq
                yield key, text
            if len(page) < _PAGE:
                return

    def update(self, other: Any = (), **more: Any) -> None:  # type: ignore[override]
        """Sets many entries in one commit."""
        pairs = list(other.items() if isinstance(other, Mapping) else other) + list(more.items())
        rows = [(_key(k), _json(v)) for k, v in pairs]
        self._file.write(lambda db: [_put(db, k, t) for k, t in rows])

    def change(self, key: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        """Reads, changes and writes an entry in one step, atomic across threads and processes: ``change``
        gets the current value (``default`` when there is none) and returns the new one, which is returned."""
        def work(db: sqlite3.Connection) -> Any:
            row = db.execute("SELECT value FROM entries WHERE key = ?", (_key(key),)).fetchone()
            updated = change(default if row is None else json.loads(row[0]))
            _put(db, key, _json(updated))
            return updated
        return self._file.write(work)

    def sync(self) -> None:
        """Nothing to do: every write is durable when it returns (kept for code written for tastypy)."""


def _put(db: sqlite3.Connection, key: str, text: str) -> None:
    db.execute("INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, text))


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"keys are strings, not {type(key).__name__}")
    return key


@dataclass(frozen=True)
class ProgressEntry:
    """One key of a progress tracker."""
    key: str
    done: bool
    tries: int
    aborted: bool
    data: Any


@dataclass(frozen=True)
class ProgressCounts:
    """How far a tracker is."""
    total: int
    done: int
    tried: int
    aborted: int
    remaining: int

    @property
    def fraction_done(self) -> float:
        return self.done / self.total if self.total else 0.0


class ProgressTracker(_OnTrackerFile):
    """Which pieces of a long job are done (tastypy's ``Tracker``), in a file that survives a crash or
    kill -9 and that several processes share: keys with ``done``, ``tries``, ``aborted`` and user data.

    :meth:`try_keys` hands out keys not done, not aborted and under ``max_tries``, counting a try and
    claiming each for this process, so that processes iterating at once never get the same key at the
    same time; a claim ends when its process dies (on another host: after ``claim_timeout`` seconds).
    """

    def __init__(self, path: str, max_tries: int = 3, sync_to_disk: bool = False, claim_timeout: float = 600.0):
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self.max_tries = max_tries
        self.claim_timeout = claim_timeout
        self._file = _TrackerFile(path, sync_to_disk)

    # ---- keys -----------------------------------------------------------------------------------

    def add(self, key: str, data: Any = None) -> None:
        """Adds a key; KeyError if it is there already (``add_if_absent`` leaves it)."""
        if not self.add_if_absent(key, data):
            raise KeyError(f"{key!r} is already in the tracker")

    def add_if_absent(self, key: str, data: Any = None) -> bool:
        """True when the key was added; False when it was there (left as it is)."""
        return self.add_many([key], data) == 1

    def add_many(self, keys: Iterable[str], data: Any = None) -> int:
        """Adds the keys that are not there yet, in one commit; how many were added."""
        keys = [_key(k) for k in keys]
        text = None if data is None else _json(data)

        def work(db: sqlite3.Connection) -> int:
            seq = int(db.execute("SELECT coalesce(max(seq), 0) FROM progress").fetchone()[0])
            added = 0
            for key in keys:
                if db.execute("INSERT INTO progress (key, seq, data) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                              (key, seq + 1, text)).rowcount == 1:
                    seq += 1
                    added += 1
            return added
        return self._file.write(work)

    def mark_done(self, key: str) -> None:
        self._set(key, "done = 1, claimed_by = NULL")

    def mark_not_done(self, key: str) -> None:
        self._set(key, "done = 0")

    def abort(self, key: str) -> None:
        """Never hand this key out again (until ``unabort``)."""
        self._set(key, "aborted = 1, claimed_by = NULL")

    def unabort(self, key: str) -> None:
        self._set(key, "aborted = 0")

    def increment_tries(self, key: str) -> None:
        self._set(key, "tries = tries + 1")

    def decrement_tries(self, key: str) -> None:
        self._set(key, "tries = max(tries - 1, 0)")

    def reset_tries(self, key: str) -> None:
        self._set(key, "tries = 0")

    def set_data(self, key: str, data: Any) -> None:
        self._set(key, "data = ?", (None if data is None else _json(data),))

    def remove(self, key: str) -> bool:
        """False when there was no such key."""
        return self._file.write(lambda db: db.execute("DELETE FROM progress WHERE key = ?", (_key(key),)).rowcount) > 0

    def __delitem__(self, key: str) -> None:
        if not self.remove(key):
            raise KeyError(key)

    def _set(self, key: str, assignments: str, parameters: Tuple = ()) -> None:
        changed = self._file.write(lambda db: db.execute(
            f"UPDATE progress SET {assignments} WHERE key = ?", parameters + (_key(key),)).rowcount)
        if changed == 0:
            raise KeyError(f"no key {key!r} in the tracker {self.path}: add it first")

    # ---- reading --------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> ProgressEntry:
        rows = self._file.read("SELECT key, done, tries, aborted, data FROM progress WHERE key = ?", (_key(key),))
        if not rows:
            raise KeyError(key)
        return _entry(rows[0])

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._file.read("SELECT 1 FROM progress WHERE key = ?", (key,)))

    def __len__(self) -> int:
        return int(self._file.read("SELECT count(*) FROM progress")[0][0])

    def __iter__(self) -> Iterator[str]:
        """Every key in the order added."""
        return (entry.key for entry in self.entries())

    def entries(self) -> Iterator[ProgressEntry]:
        """Every entry in the order the keys were added, read in pages."""
        after = 0
        while True:
            page = self._file.read("SELECT key, done, tries, aborted, data, seq FROM progress WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE))
            for row in page:
                after = row[5]
                yield _entry(row)
            if len(page) < _PAGE:
                return

    def done(self, key: str) -> bool:
        return self[key].done

    def tries(self, key: str) -> int:
        return self[key].tries

    def aborted(self, key: str) -> bool:
        return self[key].aborted

    def get_data(self, key: str) -> Any:
        return self[key].data

    def counts(self) -> ProgressCounts:
        row = self._file.read("SELECT count(*), coalesce(sum(done), 0), coalesce(sum(tries > 0), 0), coalesce(sum(aborted), 0), "
                              "coalesce(sum(done = 0 AND aborted = 0), 0) FROM progress")[0]
        return ProgressCounts(*(int(v) for v in row))

    def num_done(self) -> int:
        return self.counts().done

    def num_tried(self) -> int:
        return self.counts().tried

    def num_aborted(self) -> int:
        return self.counts().aborted

    def fraction_done(self) -> float:
        return self.counts().fraction_done

    def percent_done(self) -> str:
        return f"{100 * self.fraction_done():.2f}%"

    # ---- working through the keys ---------------------------------------------------------------

    def try_keys(self) -> Iterator[str]:
        """The keys to work on, in order, one pass: not done, not aborted, under ``max_tries``, and not
        claimed by a live process. Each is claimed for this process and its try counted before it is
        yielded; the claim is let go when the loop asks for the next key (or stops), so mark it done
        (or not) before moving on. A process that dies lets go of its claim with it."""
        after = 0
        held: Optional[str] = None
        try:
            while True:
                previous = held

                def work(db: sqlite3.Connection) -> Optional[Tuple[int, str]]:
                    if previous is not None:
                        _release(db, previous)
                    return self._claim(db, after)
                claimed = self._file.write(work)
                held = None
                if claimed is None:
                    return
                after, held = claimed
                yield held
        finally:
            if held is not None:
                last = held
                self._file.write(lambda db: _release(db, last))

    def try_items(self) -> Iterator[Tuple[str, Any]]:
        """Like :meth:`try_keys`, with each key's data."""
        for key in self.try_keys():
            yield key, self[key].data

    def _claim(self, db: sqlite3.Connection, after: int) -> Optional[Tuple[int, str]]:
        """Claims the first key after ``after`` that may be tried now."""
        now = int(time.time() * 1000)
        while True:
            candidates = db.execute(
                "SELECT seq, key, claimed_by, coalesce(claimed_at, 0) FROM progress "
                "WHERE seq > ? AND done = 0 AND aborted = 0 AND tries < ? ORDER BY seq LIMIT 100",
                (after, self.max_tries)).fetchall()
            if not candidates:
                return None
            for seq, key, by, at in candidates:
                if by is not None and by != str(_ME) and _claimant_alive(by, at, self.claim_timeout, now):
                    continue
                db.execute("UPDATE progress SET tries = tries + 1, claimed_by = ?, claimed_at = ? WHERE key = ?", (str(_ME), now, key))
                return seq, key
            after = candidates[-1][0]


def _entry(row: Tuple) -> ProgressEntry:
    return ProgressEntry(row[0], bool(row[1]), int(row[2]), bool(row[3]), None if row[4] is None else json.loads(row[4]))


def _release(db: sqlite3.Connection, key: str) -> None:
    """Lets go of this process's claim on a key (one another process took over is left alone)."""
    db.execute("UPDATE progress SET claimed_by = NULL WHERE key = ? AND claimed_by = ?", (key, str(_ME)))


# ---- who holds a claim: host, pid and the process's start time, as Drover.Tracker writes it ----------

def _start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot (/proc/PID/stat, field 22); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            stat = file.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count from after it.
    fields = stat[stat.rindex(")") + 2:].split(" ")
    return fields[19] if len(fields) > 19 else None


def _host() -> str:
    # .NET's Environment.MachineName: the host name up to its first dot.
    return socket.gethostname().split(".")[0]


def _me() -> str:
    return f"{_host()}:{os.getpid()}:{_start_time(os.getpid()) or '?'}"


def _claimant_alive(claimant: str, claimed_at: int, timeout: float, now: int) -> bool:
    parts = claimant.split(":")
    if len(parts) == 3 and parts[0] == _host() and parts[1].isdigit() and parts[2] != "?" and os.path.isdir("/proc"):
        return _start_time(int(parts[1])) == parts[2]
    return now - claimed_at < timeout * 1000


class _Me:
    """This process's claimant name, made again after a fork (the pid changes)."""

    def __init__(self) -> None:
        self._pid = -1
        self._name = ""

    def __str__(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._name = os.getpid(), _me()
        return self._name


_ME = _Me()
