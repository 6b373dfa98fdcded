"""The Drover client: tasks, the task database, live events and datasets over the REST API."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _times
from ._datasets import groupby_body, groupby_answer
from ._discovery import find_ca, find_token, find_url
from ._events import EventStream
from ._http import Transient, Transport
from ._ids import uuid7
from ._outbox import DELIVERED, Delivery, Outbox
from .errors import ApiError, TaskFailed, Unavailable
from .task import ENDED, Task

TaskLike = Union[Task, str]

# submit()'s keyword arguments and the fields they become (the rest keep their names).
_RENAMED = {"delay": "in"}
_SPEC_FIELDS = frozenset({
    "id", "command", "handler", "args", "name", "batch", "group", "shell", "retry", "timeout", "env",
    "requires", "priority", "run_after", "delay", "input", "resource", "output", "output_on", "container",
    "container_options", "cache"})

# The longest a wait is held open on the server per request (its limit is 60 s).
_LONG_POLL = 30.0
# Ids a wait request names at most (join waits on more in turn): 100,000 are a 3.9 MB body, well
# under the server's 16 MiB limit on a request body.
_WAIT_IDS = 100_000


def task_spec(command: Union[str, Sequence[str], None] = None, **fields: Any) -> Dict[str, Any]:
    """The JSON of a task to create, from submit()'s arguments: None values left out, times and durations converted."""
    unknown = set(fields) - _SPEC_FIELDS
    if unknown:
        raise TypeError(f"unknown task field(s): {', '.join(sorted(unknown))}")
    if command is not None:
        fields["command"] = command if isinstance(command, str) else list(command)
    spec: Dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key == "requires":
            value = [r.id if isinstance(r, Task) else str(r) for r in value]
        elif key in ("timeout", "delay"):
            value = _times.duration(value)
        spec[_RENAMED.get(key, key)] = _times.to_wire(value)
    spec.setdefault("id", uuid7())
    return spec


class Client:
    """A client of one Drover server.

    ``Client()`` finds the server and token as the CLI does: ``url``/``token`` if given, else
    ``$DROVER_URL``/``$DROVER_TOKEN``, else the server that runs on ``./drover-data`` (its
    ``server.json`` and ``admin.token``), else ``http://127.0.0.1:5000``.

    Resilient (the default), like scitq's: reads are retried until ``get_timeout`` seconds; a write
    that cannot be delivered within ``put_timeout`` goes to an outbox (in memory, or the file
    ``outbox``) that a background thread sends in order, and the call returns at once with a lazy
    :class:`Task` whose id is known. ``resilient=False`` makes every call one request that fails fast.
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, *, data: str = "drover-data",
                 ca: Optional[str] = None, resilient: bool = True, get_timeout: float = 30.0,
                 put_timeout: float = 5.0, attempt_timeout: float = 15.0, outbox: Optional[str] = None):
        self._transport = Transport(find_url(url, data), find_token(token, data), find_ca(ca))
        self.resilient = resilient
        self.get_timeout = get_timeout
        self.put_timeout = put_timeout
        self.attempt_timeout = attempt_timeout
        self.refused: List[Tuple[str, ApiError]] = []
        self._outbox_path = outbox
        self._outbox: Optional[Outbox] = None
        self._outbox_lock = threading.Lock()
        if outbox is not None:
            self._open_outbox()  # at once: what an earlier process left there goes out now

    @property
    def url(self) -> str:
        return self._transport.url

    def __repr__(self) -> str:
        return f"<drover.Client {self.url}>"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stops the outbox's thread (what is undelivered stays in its file, if it has one) and closes connections."""
        if self._outbox is not None:
            self._outbox.close()
        self._transport.close()

    # ---- requests -------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, *, deadline: float, long_poll: float = 0.0,
              accept: str = "application/json", prefer: Optional[str] = None) -> bytes:
        """One request, retried on a transient failure until ``deadline`` seconds have passed (resilient clients)."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return self._transport.attempt(method, path, body, timeout=self.attempt_timeout + long_poll, accept=accept, prefer=prefer)[2]
            except Transient as ex:
                delay = ex.delay(attempt)
                attempt += 1
                if not self.resilient:
                    if ex.api_error is not None:
                        raise ex.api_error from None
                    raise Unavailable(str(ex)) from None
                if time.monotonic() - started + delay > deadline:
                    raise Unavailable(f"the server at {self.url} could not be reached within {deadline:g} s ({ex})") from None
                time.sleep(delay)

    def _read(self, method: str, path: str, body: Any = None, long_poll: float = 0.0) -> Any:
        content = self._call(method, path, body, deadline=self.get_timeout, long_poll=long_poll)
        return json.loads(content) if content else None

    def _write(self, method: str, path: str, body: Any = None) -> Any:
        # Never overtake writes that wait in the outbox: give them put_timeout to go out first.
        if self._outbox is not None and not self._outbox.flush(self.put_timeout):
            raise Unavailable(f"the server at {self.url} has not taken the earlier writes waiting in the outbox")
        content = self._call(method, path, body, deadline=self.put_timeout)
        return json.loads(content) if content else None

    def _write_or_queue(self, method: str, path: str, body: Any, prefer: Optional[str] = None) -> Tuple[Any, Delivery]:
        """A write that may wait in the outbox: (the answer, delivered) now, or (None, its delivery) later."""
        with self._outbox_lock:
            outbox = self._outbox
            if outbox is not None and len(outbox) > 0:
                # Something waits already: queue behind it, so a cancel never overtakes its create.
                return None, outbox.add(method, path, body)
        try:
            content = self._call(method, path, body, deadline=self.put_timeout, prefer=prefer)
        except Unavailable:
            if not self.resilient:
                raise
            return None, self._open_outbox().add(method, path, body)
        return (json.loads(content) if content else None), DELIVERED

    def _open_outbox(self) -> Outbox:
        with self._outbox_lock:
            if self._outbox is None:
                self._outbox = Outbox(self._transport, self.attempt_timeout, self._outbox_path,
                                      on_refused=lambda path, error: self.refused.append((path, error)))
            return self._outbox

    @property
    def undelivered(self) -> int:
        """How many writes wait in the outbox."""
        return len(self._outbox) if self._outbox is not None else 0

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until the outbox has sent (or had refused) everything in it; False at the timeout."""
        return self._outbox.flush(timeout) if self._outbox is not None else True

    def health(self) -> bool:
        """Whether the server answers ``GET /health`` now (one attempt)."""
        try:
            self._transport.attempt("GET", "health", timeout=self.attempt_timeout)
            return True
        except (Transient, ApiError):
            return False

    # ---- tasks ----------------------------------------------------------------------------------

    def submit(self, command: Union[str, Sequence[str], None] = None, **fields: Any) -> Task:
        """Creates a task and returns its handle.

        ``command`` is an argv list, or a string split into words (``shell=True`` runs it with
        ``sh -c``); or ``handler="name", args=...`` instead. Also: ``name``, ``batch``, ``group``,
        ``retry``, ``timeout`` (seconds, timedelta or "30m"), ``env``, ``requires`` (tasks or ids),
        ``priority``, ``run_after`` (a datetime), ``delay`` (from now), ``input``, ``resource``,
        ``output``, ``output_on``, ``container``, ``container_options``, ``cache``, ``id``.
        """
        body = task_spec(command, **fields)
        created, delivery = self._write_or_queue("POST", "api/tasks", body)  # one object: errors name the field itself
        if created is None:
            return Task(self, body["id"], None, delivery)
        return Task(self, created["id"], _times.record_from_wire(created))

    def submit_many(self, specs: Iterable[Union[Dict[str, Any], Task]]) -> List[Task]:
        """Creates many tasks in one request (one transaction); each spec a dict of submit()'s arguments.

        The server answers with the ids alone (``Prefer: return=minimal``): the handles load their
        records when first read (one request each), and ``join`` reads them ended."""
        bodies = [task_spec(**spec) for spec in specs]
        if not bodies:
            return []
        created, delivery = self._write_or_queue("POST", "api/tasks", bodies, prefer="return=minimal")
        if created is None:
            return [Task(self, body["id"], None, delivery) for body in bodies]
        return [Task(self, id, None) for id in created["ids"]]

    def run(self, command: Union[str, Sequence[str], None] = None, **fields: Any) -> Dict[str, Any]:
        """Submits and waits in one exchange (``POST /api/tasks?wait=``); the ended record."""
        body = task_spec(command, **fields)
        content = self._call("POST", f"api/tasks?wait={int(_LONG_POLL)}s", [body], deadline=self.put_timeout, long_poll=_LONG_POLL)
        record = _times.record_from_wire(json.loads(content)[0])
        return record if record["status"] in ENDED else self.join([record["id"]])[0]

    def task(self, id: TaskLike) -> Task:
        """A handle on an existing task (anyone's), loaded when first read."""
        return Task(self, _id(id))

    def get(self, id: TaskLike) -> Optional[Dict[str, Any]]:
        """One task's record with every field, or None if there is no such task."""
        try:
            return _times.record_from_wire(self._read("GET", f"api/tasks/{_id(id)}"))
        except ApiError as ex:
            if ex.status == 404:
                return None
            raise

    def wait(self, tasks: Iterable[TaskLike], timeout: Optional[float] = None, retry: int = 0) -> Dict[str, List]:
        """One wait as the server answers it: ``{"done": [records], "pending": [ids]}`` once all ended, or at ``timeout``."""
        ids = [_id(t) for t in tasks]
        seconds = _LONG_POLL if timeout is None else timeout
        answer = self._read("POST", "api/tasks/wait", {"ids": ids, "timeout": seconds, "retry": retry}, long_poll=seconds)
        answer["done"] = [_times.record_from_wire(r) for r in answer["done"]]
        return answer

    def join(self, tasks: Iterable[TaskLike], retry: int = 0, timeout: Optional[float] = None) -> List[Dict[str, Any]]:
        """Waits until every task has ended (scitq's ``join``): a task that fails is resubmitted up to
        ``retry`` times and waited for again. Returns the final records in the order given (the latest
        attempt's record for a retried task). Raises TimeoutError after ``timeout`` seconds."""
        tasks = list(tasks)
        ids = [_id(t) for t in tasks]
        for task in tasks:
            if isinstance(task, Task) and not task.wait_delivered(timeout):
                raise TimeoutError(f"task {task.id}: not delivered within {timeout} s")
        deadline = None if timeout is None else time.monotonic() + timeout
        ended: Dict[str, Dict[str, Any]] = {}
        pending = list(dict.fromkeys(ids))
        while pending:
            left = _LONG_POLL if deadline is None else min(_LONG_POLL, max(0.0, deadline - time.monotonic()))
            asked = pending[:_WAIT_IDS]
            answer = self.wait(asked, left, retry)
            for record in answer["done"]:
                ended[record["id"]] = record
            # What is still pending of this request first, then the ids not yet asked about.
            pending = answer["pending"] + pending[len(asked):]
            if pending and deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{len(pending)} task(s) not ended within {timeout} s: {', '.join(pending[:5])}")
        return [ended.get(i) or self._latest(i, ended) for i in ids]

    def _latest(self, id: str, ended: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
        """A retried task's final record: follow ``resubmitted`` from the named task to an ended attempt."""
        seen = 0
        current = id
        while current not in ended and seen < 200:
            record = self.get(current)
            if record is None or not record.get("resubmitted"):
                return ended.get(current) or record or {"id": id}
            current = record["resubmitted"]
            seen += 1
        return ended[current]

    def map(self, handler: str, iterable: Iterable[Any], *, retry: int = 0, timeout: Optional[float] = None,
            **fields: Any) -> List[Any]:
        """Runs a .NET handler on each item (its ``args``), in one submit, and returns the results in order,
        like IPython Parallel's ``LoadBalancedView.map``. Raises TaskFailed for the first task that failed
        (after ``retry`` resubmissions). ``fields`` (batch, group, priority, ...) apply to every task."""
        tasks = self.submit_many([dict(fields, handler=handler, args=item) for item in iterable])
        records = self.join(tasks, retry=retry, timeout=timeout)
        failed = next((r for r in records if r.get("status") != "succeeded"), None)
        if failed is not None:
            raise TaskFailed(self.get(failed["id"]) or failed)
        # A wait answers without results: read them, many per query.
        results: Dict[str, Any] = {}
        ids = [r["id"] for r in records]
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            for row in self.db_query({"id": {"$in": chunk}}, keys=["id", "result"], limit=len(chunk)):
                results[row["id"]] = row.get("result")
        return [results.get(i) for i in ids]

    def get_result(self, id: TaskLike, timeout: Optional[float] = None) -> Any:
        """Waits for any task (someone else's too) and returns its result; TaskFailed if it did not succeed."""
        return Task(self, _id(id)).result(timeout)

    def cancel(self, id: TaskLike) -> Task:
        """Cancels a task that has not ended (waits in the outbox behind its create if need be)."""
        return self._act(id, "cancel", None)

    def signal(self, id: TaskLike, signal: str) -> Task:
        """``pause``, ``resume``, ``term`` or ``kill`` for a running task."""
        return self._act(id, "signal", {"signal": signal})

    def _act(self, id: TaskLike, action: str, body: Any) -> Task:
        task_id = _id(id)
        answer, delivery = self._write_or_queue("POST", f"api/tasks/{task_id}/{action}", body)
        record = _times.record_from_wire(answer) if isinstance(answer, dict) and "status" in answer else None
        return Task(self, task_id, record, delivery)

    def update(self, id: TaskLike, **changes: Any) -> Dict[str, Any]:
        """``PATCH`` a task: ``name``, ``priority``, ``retry``, ``timeout``, and its definition before it starts."""
        return _times.record_from_wire(self._write("PATCH", f"api/tasks/{_id(id)}", _times.to_wire(changes)))

    def delete(self, id: TaskLike) -> None:
        """Deletes an ended task's record."""
        self._write("DELETE", f"api/tasks/{_id(id)}")

    # ---- the task database ----------------------------------------------------------------------

    def db_query(self, filter: Optional[Dict[str, Any]] = None, keys: Optional[Sequence[str]] = None,
                 sort: Union[str, Sequence[str], None] = None, skip: Optional[int] = None,
                 limit: Optional[int] = None, count: bool = False) -> Any:
        """Tasks matching a MongoDB-style filter, IPython Parallel's way: ``db_query({"completed": None},
        keys=["id", "started"])``. datetimes in the filter are sent as UTC times and times in the
        records come back as aware datetimes. ``sort``: field names, ``-`` first for descending.
        ``count=True`` returns how many match instead."""
        body: Dict[str, Any] = {"filter": _times.to_wire(filter or {})}
        if count:
            body["count"] = True
            return self._read("POST", "api/tasks/query", body)["count"]
        if keys is not None:
            body["keys"] = list(keys)
        if sort is not None:
            body["sort"] = [sort] if isinstance(sort, str) else list(sort)
        if skip is not None:
            body["skip"] = skip
        if limit is not None:
            body["limit"] = limit
        return [_times.record_from_wire(r) for r in self._read("POST", "api/tasks/query", body)]

    def count(self, filter: Optional[Dict[str, Any]] = None) -> int:
        """How many tasks match the filter."""
        return self.db_query(filter, count=True)

    def resubmit(self, ids_or_filter: Union[Dict[str, Any], Iterable[TaskLike]]) -> List[Task]:
        """Creates each task again (same definition, a new id): given ids/tasks, or a filter dict."""
        body = ({"filter": _times.to_wire(ids_or_filter)} if isinstance(ids_or_filter, dict)
                else {"ids": [_id(t) for t in ids_or_filter]})
        return [Task(self, r["id"], _times.record_from_wire(r)) for r in self._write("POST", "api/tasks/resubmit", body)]

    def purge(self, filter: Dict[str, Any]) -> Dict[str, Any]:
        """Deletes the ended tasks matching the filter: ``{"deleted": n, "refused": [ids not ended]}``."""
        return self._write("POST", "api/tasks/purge", {"filter": _times.to_wire(filter)})

    def workers(self) -> List[Dict[str, Any]]:
        return self._read("GET", "api/workers")

    def batches(self) -> List[Dict[str, Any]]:
        return self._read("GET", "api/batches")

    # ---- live -----------------------------------------------------------------------------------

    def follow(self, group: Union[str, Sequence[str], None] = None, batch: Union[str, Sequence[str], None] = None,
               tasks: Optional[Iterable[TaskLike]] = None, all: bool = False, reconnect: Optional[bool] = None) -> EventStream:
        """The server-sent event stream of task changes, as moi's messages: ``{"add": [records]}``,
        ``{"update": [records]}``, ``{"output": {...}}``, ``{"resync": True}``. Reconnects by itself
        (resilient clients), then yields ``{"resync": True}`` and ``{"update": [re-read records]}`` of
        what it follows, so no change is missed. Tasks followed by id start with ``{"update": [their
        records now]}``, so one that ended before the stream opened is seen. ``close()`` on the stream
        (from any thread) ends it."""
        return EventStream(self, _many(group), _many(batch), [_id(t) for t in tasks or []], all,
                             self.resilient if reconnect is None else reconnect)

    # ---- datasets -------------------------------------------------------------------------------

    def groupby(self, dataset: str, by: Sequence[str] = (), agg: Sequence[Any] = (), where: Sequence[Any] = (),
                shards: Optional[Sequence[str]] = None, merge: bool = True, timeout: Any = None,
                output: str = "auto") -> Any:
        """A distributed group-by over a dataset's Parquet shards (bqueryd's ``groupby``).

        ``agg``: ``(column, op[, name])`` tuples or ``"column:op[:name]"`` strings (``sum mean std var
        std_pop var_pop count count_na count_distinct min max``); ``where``: ``(column, op, value)``
        tuples (``== != > >= < <= in nin``). Returns a pandas DataFrame when pandas is installed
        (read from Arrow IPC when pyarrow is too), else a list of dicts; ``output="rows"`` or
        ``"pandas"`` chooses."""
        body = groupby_body(by, agg, where, shards, merge, _times.duration(timeout))
        return groupby_answer(self, dataset, body, output)


def _id(task: TaskLike) -> str:
    return task.id if isinstance(task, Task) else str(task)


def _many(value: Union[str, Sequence[str], None]) -> List[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
