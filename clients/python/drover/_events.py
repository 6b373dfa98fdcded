"""The event stream as server-sent events, reconnecting by itself and re-reading what it missed."""
from __future__ import annotations

import datetime as _dt
import http.client
import json
import socket
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional
from urllib.parse import quote

from . import _times
from ._http import Transient, backoff
from .errors import Unavailable

if TYPE_CHECKING:
    from .client import Client

# How far before the loss of the stream the re-read looks, for clocks that differ.
_MARGIN = _dt.timedelta(minutes=1)
_REREAD_LIMIT = 10_000


class EventStream:
    """Iterates over the messages of the event stream; ``close()`` (from any thread) ends the iteration."""

    def __init__(self, client: "Client", groups: List[str], batches: List[str], tasks: List[str], all: bool,
                 reconnect: bool):
        self._client = client
        self._follow = (groups, batches, tasks, all)
        self._query = "&".join(["all=true"] * bool(all) + [f"group={quote(g, safe='')}" for g in groups]
                               + [f"batch={quote(b, safe='')}" for b in batches] + [f"task={t}" for t in tasks])
        self._reconnect = reconnect
        self._closed = threading.Event()
        self._connection: Optional[http.client.HTTPConnection] = None
        self._messages = self._run()

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Dict[str, Any]:
        return next(self._messages)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread
            except OSError:
                pass

    def _run(self) -> Iterator[Dict[str, Any]]:
        lost: Optional[_dt.datetime] = None
        attempt = 0
        while not self._closed.is_set():
            try:
                response, self._connection = self._client._transport.open_stream(
                    f"api/events?{self._query}", "text/event-stream", self._client.attempt_timeout)
            except Transient as ex:
                if not self._reconnect:
                    raise Unavailable(f"the event stream could not be opened: {ex}") from None
                lost = lost or _dt.datetime.now(_dt.timezone.utc)
                self._closed.wait(backoff(attempt))
                attempt += 1
                continue
            attempt = 0
            try:
                if self._closed.is_set():
                    return
                if lost is not None:
                    yield {"resync": True}
                    yield {"update": self._reread(lost - _MARGIN)}
                elif self._follow[2]:
                    # Tasks followed by id start with their records as they are now (read once the stream
                    # is open, so no change falls in between): one that ended before is seen too.
                    yield {"update": self._client.db_query({"id": {"$in": self._follow[2]}}, limit=_REREAD_LIMIT)}
                for message in _messages(response):
                    yield message
                    if message.get("resync"):
                        yield {"update": self._reread(_dt.datetime.now(_dt.timezone.utc) - _MARGIN)}
            except (OSError, http.client.HTTPException, ValueError):
                pass  # the stream was dropped (or closed): reconnect below
            finally:
                self._connection.close()
            if not self._reconnect or self._closed.is_set():
                return
            lost = _dt.datetime.now(_dt.timezone.utc)

    def _reread(self, since: _dt.datetime) -> List[Dict[str, Any]]:
        """The followed tasks that may have changed since ``since``: those not ended, and those submitted or ended since."""
        groups, batches, tasks, all = self._follow
        recent = {"$or": [{"completed": None}, {"submitted": {"$gte": since}}, {"completed": {"$gte": since}}]}
        followed = (([{"id": {"$in": tasks}}] if tasks else []) + ([{"group": {"$in": groups}}] if groups else [])
                    + ([{"batch": {"$in": batches}}] if batches else []))
        if all:
            query = recent
        elif followed:
            query = {"$and": [{"$or": followed}, recent]}
        else:
            return []
        return self._client.db_query(query, limit=_REREAD_LIMIT)


def _messages(response: http.client.HTTPResponse) -> Iterator[Dict[str, Any]]:
    """Each event's data as a dict, with the records' times as datetimes; ends when the stream does."""
    data: List[str] = []
    while True:
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                message = json.loads("\n".join(data))
                for key in ("add", "update"):
                    for record in message.get(key) or []:
                        _times.record_from_wire(record)
                yield message
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        # "event:" repeats the message's own key; comments (":") and other fields are ignored.
