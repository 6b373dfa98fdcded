"""Finding the server and the token as the CLI does: arguments, then the environment, then the data directory."""
from __future__ import annotations

import json
import os
from typing import Optional

from .errors import DroverError

DEFAULT_URL = "http://127.0.0.1:5000/"


def find_url(url: Optional[str], data: str) -> str:
    """``url``, else ``$DROVER_URL``, else the URL the server on ``data`` recorded (if it still runs), else port 5000."""
    return url or os.environ.get("DROVER_URL") or running_server(data) or DEFAULT_URL


def running_server(data: str) -> Optional[str]:
    """The URL in ``<data>/server.json`` (so ``drover up --port 0`` is found), if that process is still there."""
    try:
        with open(os.path.join(data, "server.json"), encoding="utf-8") as file:
            info = json.load(file)
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_token(token: Optional[str], data: str, file_name: str = "admin.token") -> str:
    """``token``, else ``$DROVER_TOKEN``, else ``<data>/admin.token``."""
    if token:
        return token
    if os.environ.get("DROVER_TOKEN"):
        return os.environ["DROVER_TOKEN"]
    path = os.path.join(data, file_name)
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except FileNotFoundError:
        raise DroverError(
            f"no token: pass token=..., set DROVER_TOKEN, or run where the server's data directory is "
            f"({path} does not exist)") from None


def find_ca(ca: Optional[str]) -> Optional[str]:
    """A PEM file of the private certificate authority of an https:// server: ``ca``, else ``$DROVER_CA``."""
    path = ca or os.environ.get("DROVER_CA") or None
    if path is not None and not os.path.exists(path):
        raise DroverError(f"ca: {path} does not exist")
    return path
