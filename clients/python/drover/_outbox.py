"""Writes the server could not take yet, sent in order by a background thread.

The file format is the .NET client's (``OutboxPath``): one JSON line per write (``seq``, ``method``,
``path``, ``body``), a ``{"done": seq}`` line once delivered, and the file emptied when nothing is
left; so what a Python process leaves undelivered is sent by the next client, in either language,
that opens the same file.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from ._http import Transient, Transport
from .errors import ApiError, DroverError


class Delivery:
    """Whether the server has a write: ``done`` once it took it (or refused it: ``error``)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.error: Optional[ApiError] = None

    @property
    def done(self) -> bool:
        return self._event.is_set()

    def finish(self, error: Optional[ApiError] = None) -> None:
        self.error = error
        self._event.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """True once delivered; raises the server's refusal; False at the timeout."""
        if not self._event.wait(timeout):
            return False
        if self.error is not None:
            raise self.error
        return True


DELIVERED = Delivery()
DELIVERED.finish()


class _Entry:
    __slots__ = ("seq", "method", "path", "body", "delivery")

    def __init__(self, seq: int, method: str, path: str, body: Any):
        self.seq, self.method, self.path, self.body = seq, method, path, body
        self.delivery = Delivery()


class Outbox:
    """The head is retried until the server answers it, so a later write never overtakes an earlier one."""

    def __init__(self, transport: Transport, attempt_timeout: float, path: Optional[str] = None,
                 on_refused: Optional[Callable[[str, ApiError], None]] = None):
        self._transport = transport
        self._attempt_timeout = attempt_timeout
        self._on_refused = on_refused
        self._gate = threading.Condition()
        self._queue: Deque[_Entry] = deque()
        self._next_seq = 1
        self._closed = False
        self._file = None
        if path is not None:
            self._file = open(path, "a+b")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._file.close()
                raise DroverError(f"outbox: {path} is in use by another client") from None
            for entry in self._load():
                self._enqueue(entry)
        self._thread = threading.Thread(target=self._deliver, name="drover-outbox", daemon=True)
        self._thread.start()

    def __len__(self) -> int:
        with self._gate:
            return len(self._queue)

    def add(self, method: str, path: str, body: Any) -> Delivery:
        """Queues a write (on disk first, when there is a file); its delivery completes when the server has it."""
        with self._gate:
            entry = _Entry(self._next_seq, method, path, body)
            if self._file is not None:
                line = {"seq": entry.seq, "method": method, "path": path}
                if body is not None:
                    line["body"] = body
                self._write(json.dumps(line, separators=(",", ":")) + "\n")
            self._enqueue(entry)
            self._gate.notify_all()
            return entry.delivery

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until everything queued so far was delivered (or refused); False at the timeout."""
        with self._gate:
            if not self._queue:
                return True
            last = self._queue[-1].delivery
        return last._event.wait(timeout)

    def close(self) -> None:
        """Stops sending; what is undelivered stays in the file, if there is one."""
        with self._gate:
            self._closed = True
            self._gate.notify_all()
        self._thread.join(timeout=self._attempt_timeout + 1)
        if self._file is not None:
            self._file.close()

    def _enqueue(self, entry: _Entry) -> None:
        self._queue.append(entry)
        self._next_seq = max(self._next_seq, entry.seq + 1)

    def _deliver(self) -> None:
        attempt = 0
        while True:
            with self._gate:
                while not self._queue and not self._closed:
                    self._gate.wait()
                if self._closed:
                    self._transport._drop()  # this thread's connection goes with it
                    return
                head = self._queue[0]
            try:
                self._transport.attempt(head.method, head.path, head.body, timeout=self._attempt_timeout)
                self._done(head, None)
                attempt = 0
            except ApiError as refused:
                self._done(head, refused)
                if self._on_refused is not None:
                    self._on_refused(head.path, refused)
                attempt = 0
            except Transient as ex:
                with self._gate:
                    self._gate.wait(ex.delay(attempt))
                attempt += 1

    def _done(self, entry: _Entry, refused: Optional[ApiError]) -> None:
        with self._gate:
            self._queue.popleft()
            if self._file is not None:
                if not self._queue:
                    # Nothing left: start the file afresh instead of letting it grow.
                    self._file.truncate(0)
                    self._file.flush()
                    os.fsync(self._file.fileno())
                else:
                    self._write(json.dumps({"done": entry.seq}) + "\n")
        entry.delivery.finish(refused)

    def _write(self, text: str) -> None:
        assert self._file is not None
        self._file.seek(0, os.SEEK_END)
        self._file.write(text.encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())

    def _load(self) -> List[_Entry]:
        """The writes the file holds not marked done, in order; a torn last line was never acknowledged."""
        assert self._file is not None
        self._file.seek(0)
        entries: Dict[int, _Entry] = {}
        for raw in self._file.read().decode("utf-8", "replace").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            if "done" in line:
                entries.pop(int(line["done"]), None)
            elif "seq" in line:
                entries[int(line["seq"])] = _Entry(int(line["seq"]), line["method"], line["path"], line.get("body"))
        return [entries[seq] for seq in sorted(entries)]
