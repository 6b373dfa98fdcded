"""``drover.status()``: a running task tells the server what it is doing, with its own token."""
from __future__ import annotations

import os
from typing import Optional

from ._http import Transient, Transport
from .errors import DroverError, Unavailable


def status(message: Optional[str] = None, progress: Optional[float] = None, *, task: Optional[str] = None,
           url: Optional[str] = None, token: Optional[str] = None) -> None:
    """Sets the running task's status message and progress (0 to 1), seen in ``drover watch``, the
    dashboard, the event stream and the task database. Inside a task the worker gives everything it
    needs (``DROVER_URL``, ``DROVER_TASK_ID``, ``DROVER_TASK_TOKEN``, ``DROVER_CA``)."""
    task = task or os.environ.get("DROVER_TASK_ID")
    token = token or os.environ.get("DROVER_TASK_TOKEN")
    url = url or os.environ.get("DROVER_URL")
    if not task or not token or not url:
        raise DroverError("drover.status() runs inside a task (DROVER_TASK_ID, DROVER_TASK_TOKEN and DROVER_URL are not all set)")
    if progress is not None and not 0 <= progress <= 1:
        raise ValueError(f"progress must be between 0 and 1, not {progress}")
    body = {"message": message, "progress": progress}
    transport = Transport(url, token, os.environ.get("DROVER_CA") or None)
    try:
        transport.attempt("POST", f"api/tasks/{task}/status", {k: v for k, v in body.items() if v is not None})
    except Transient as ex:
        raise Unavailable(str(ex)) from None
    finally:
        transport.close()
