"""One HTTP exchange with the server, on a kept-alive connection per thread (standard library only)."""
from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import weakref
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from .errors import ApiError

# Answers that mean "not now" rather than "no": the request is tried again (a 429 after its Retry-After).
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class Transient(Exception):
    """An attempt that may succeed if repeated: no connection, a dropped one, a stall, a 429 or a 502/503/504."""

    def __init__(self, message: str, api_error: Optional[ApiError] = None, retry_after: float = 0.0):
        super().__init__(message)
        self.api_error = api_error
        # Seconds the server asked to wait (Retry-After), 0 when it did not say.
        self.retry_after = retry_after

    def delay(self, attempt: int) -> float:
        """How long to wait before the next attempt: the backoff, or longer if the server asked."""
        return max(backoff(attempt), self.retry_after)


def _retry_after(response: http.client.HTTPResponse) -> float:
    """The Retry-After header in seconds (the server sends whole seconds), 0 when absent or a date."""
    try:
        return max(0.0, float(response.getheader("Retry-After", "") or 0))
    except ValueError:
        return 0.0


def backoff(attempt: int) -> float:
    """0.1 s doubling to 5 s, jittered by ±20% (the .NET client's shared backoff)."""
    base = min(5.0, 0.1 * (2 ** min(attempt, 10)))
    return base * random.uniform(0.8, 1.2)


class Transport:
    """Sends requests to one server with one bearer token; each thread keeps its own connection."""

    def __init__(self, url: str, token: Optional[str], ca_file: Optional[str] = None):
        parts = urlsplit(url if url.endswith("/") else url + "/")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url: {url!r} is not an http(s) URL")
        self.url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base = parts.path
        self.token = token
        self._context = ssl.create_default_context(cafile=ca_file) if self._https else None
        self._local = threading.local()
        self._all: "weakref.WeakSet[http.client.HTTPConnection]" = weakref.WeakSet()
        self._all_lock = threading.Lock()

    def _new_connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=self._context)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._new_connection(timeout)
            self._local.connection = connection
            with self._all_lock:
                self._all.add(connection)
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def _drop(self) -> None:
        """Closes this thread's connection (after a failure: the next attempt opens a new one)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def close(self) -> None:
        """Closes every thread's connection."""
        self._drop()
        with self._all_lock:
            connections = list(self._all)
        for connection in connections:
            connection.close()

    def _headers(self, accept: str) -> Dict[str, str]:
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def open_stream(self, path: str, accept: str, timeout: float) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        """A GET on a connection of its own whose answer is read as it comes (no read timeout once open:
        a quiet stream is not a dead one). ApiError for a refusal; Transient when it cannot be opened."""
        connection = self._new_connection(timeout)
        try:
            connection.request("GET", self._base + path, headers=self._headers(accept))
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as ex:
            connection.close()
            raise Transient(f"GET /{path}: {ex or type(ex).__name__}") from ex
        if response.status != 200:
            error = _api_error(response.status, response.getheader("Content-Type", "") or "", response.read())
            connection.close()
            if response.status in TRANSIENT_STATUSES:
                raise Transient(f"GET /{path}: {error}", error, _retry_after(response))
            raise error
        connection.sock.settimeout(None)
        return response, connection

    def attempt(self, method: str, path: str, body: Any = None, *, timeout: float = 15.0,
                accept: str = "application/json", prefer: Optional[str] = None) -> Tuple[int, str, bytes]:
        """One exchange: (status, content type, body) for a 2xx; ApiError for a refusal; Transient otherwise.
        ``prefer`` is a ``Prefer`` header (RFC 7240), such as ``return=minimal``."""
        headers = self._headers(accept)
        if prefer is not None:
            headers["Prefer"] = prefer
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        target = self._base + path.lstrip("/")
        for fresh in (False, True):
            connection = self._connection(timeout)
            reused = connection.sock is not None
            try:
                connection.request(method, target, body=data, headers=headers)
                response = connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as ex:
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                self._drop()
                if reused and not fresh:
                    continue
                raise Transient(f"{method} /{path}: {ex or type(ex).__name__}") from ex
            except (OSError, http.client.HTTPException, socket.timeout) as ex:
                self._drop()
                raise Transient(f"{method} /{path}: {ex or type(ex).__name__}") from ex
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        content_type = response.getheader("Content-Type", "") or ""
        if 200 <= response.status < 300:
            return response.status, content_type, content
        error = _api_error(response.status, content_type, content)
        if response.status in TRANSIENT_STATUSES:
            raise Transient(f"{method} /{path}: {error}", error, _retry_after(response))
        raise error


def _api_error(status: int, content_type: str, content: bytes) -> ApiError:
    problem = None
    if "json" in content_type:
        try:
            problem = json.loads(content)
        except ValueError:
            problem = None
    text = content.decode("utf-8", "replace").strip()[:500]
    return ApiError(status, problem if isinstance(problem, dict) else None, text)
