"""The event stream as server-sent events, reconnecting by itself and re-reading what it missed."""
from __future__ import annotations

import datetime as _dt
import http.client
import json
import time
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


def follow_events(client: "Client", groups: List[str], batches: List[str], tasks: List[str], all: bool,
                  reconnect: bool) -> Iterator[Dict[str, Any]]:
    query = "&".join(["all=true"] * bool(all) + [f"group={quote(g, safe='')}" for g in groups]
                     + [f"batch={quote(b, safe='')}" for b in batches] + [f"task={t}" for t in tasks])
    lost: Optional[_dt.datetime] = None
    attempt = 0
    while True:
        try:
            response, connection = client._transport.open_stream(f"api/events?{query}", "text/event-stream", client.attempt_timeout)
        except Transient as ex:
            if not reconnect:
                raise Unavailable(f"the event stream could not be opened: {ex}") from None
            lost = lost or _dt.datetime.now(_dt.timezone.utc)
            time.sleep(backoff(attempt))
            attempt += 1
            continue
        attempt = 0
        try:
            if lost is not None:
                yield {"resync": True}
                yield {"update": _reread(client, groups, batches, tasks, all, lost - _MARGIN)}
            for message in _messages(response):
                yield message
                if message.get("resync"):
                    since = _dt.datetime.now(_dt.timezone.utc) - _MARGIN
                    yield {"update": _reread(client, groups, batches, tasks, all, since)}
        except (OSError, http.client.HTTPException):
            pass  # the stream was dropped: reconnect below
        finally:
            connection.close()
        if not reconnect:
            return
        lost = _dt.datetime.now(_dt.timezone.utc)


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


def _reread(client: "Client", groups: List[str], batches: List[str], tasks: List[str], all: bool,
            since: _dt.datetime) -> List[Dict[str, Any]]:
    """The followed tasks that may have changed since ``since``: those not ended, and those submitted or ended since."""
    recent = {"$or": [{"completed": None}, {"submitted": {"$gte": since}}, {"completed": {"$gte": since}}]}
    followed = [f for f in ([{"id": {"$in": tasks}}] if tasks else []) + ([{"group": {"$in": groups}}] if groups else [])
                + ([{"batch": {"$in": batches}}] if batches else [])]
    if all:
        query = recent
    elif followed:
        query = {"$and": [{"$or": followed}, recent]}
    else:
        return []
    return client.db_query(query, limit=_REREAD_LIMIT)
