"""A task a write was made for: its id at once, its record when first read."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, Optional

from ._outbox import DELIVERED, Delivery
from .errors import TaskFailed, Unavailable

if TYPE_CHECKING:
    from .client import Client

ENDED = frozenset({"succeeded", "failed", "canceled"})


class Task:
    """A handle on one task.

    ``id`` is known at once (the client chooses it). When the create waited in the outbox (the server
    was away), reading the record first waits for the create to be delivered. ``task["status"]`` and
    ``task.status`` read the record as last loaded; ``refresh()`` reads it again.
    """

    def __init__(self, client: "Client", id: str, record: Optional[Dict[str, Any]] = None,
                 delivery: Delivery = DELIVERED):
        self._client = client
        self.id = id
        self._record = record
        self._delivery = delivery

    def __repr__(self) -> str:
        status = self._record.get("status") if self._record else ("undelivered" if not self.delivered else "?")
        return f"<drover.Task {self.id} {status}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def delivered(self) -> bool:
        """Whether the server has the create (False while it waits in the outbox)."""
        return self._delivery.done and self._delivery.error is None

    def wait_delivered(self, timeout: Optional[float] = None) -> bool:
        """Waits until the server has the create; raises its refusal (ApiError); False at the timeout."""
        return self._delivery.wait(timeout)

    @property
    def record(self) -> Dict[str, Any]:
        """The task's record: read once (after delivery), then as kept."""
        if self._record is None:
            self.refresh()
        assert self._record is not None
        return self._record

    def refresh(self) -> Dict[str, Any]:
        """Reads the record again (every field, output included)."""
        if not self._delivery.wait(self._client.get_timeout):
            raise Unavailable(f"task {self.id}: its create waits in the outbox (the server is not reachable)")
        record = self._client.get(self.id)
        if record is None:
            raise KeyError(f"task {self.id} does not exist (purged, or the server keeps no history)")
        self._record = record
        return record

    def __getitem__(self, key: str) -> Any:
        return self.record.get(key)

    @property
    def status(self) -> str:
        return self.record["status"]

    def done(self) -> bool:
        """Whether the task has ended (reads the record again unless it had)."""
        if self._record is None or self._record.get("status") not in ENDED:
            self.refresh()
        return self.record["status"] in ENDED

    def wait(self, timeout: Optional[float] = None, retry: int = 0) -> Dict[str, Any]:
        """Waits until the task has ended (following up to ``retry`` resubmissions after a failure); its final record.

        Raises TimeoutError when ``timeout`` seconds pass first.
        """
        started = time.monotonic()
        if not self._delivery.wait(timeout):
            raise TimeoutError(f"task {self.id}: not delivered within {timeout} s")
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        self._record = self._client.join([self.id], retry=retry, timeout=left)[0]
        return self._record

    def result(self, timeout: Optional[float] = None, retry: int = 0) -> Any:
        """Waits, then returns what the task made: a handler's result, or a command's output (the kept tail of stdout).

        Raises TaskFailed (with the record) when it did not succeed.
        """
        ended = self.wait(timeout, retry)
        # A wait answers without the large fields (output, args, result): read the whole record.
        record = self._client.get(ended["id"]) or ended
        self._record = record
        if record["status"] != "succeeded":
            raise TaskFailed(record)
        return record.get("result") if record.get("handler") else record.get("stdout", "")

    def cancel(self) -> "Task":
        """Cancels the task if it has not ended (queued behind its create if that waits in the outbox)."""
        return self._client.cancel(self.id)

    def signal(self, signal: str) -> "Task":
        """``pause``, ``resume``, ``term`` or ``kill`` for the running task."""
        return self._client.signal(self.id, signal)
