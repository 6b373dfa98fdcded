"""What the client raises."""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class DroverError(Exception):
    """Anything the Drover client raises."""


class ApiError(DroverError):
    """The server refused a request: its problem detail (RFC 9457), with ``errors`` naming each field at fault."""

    def __init__(self, status: int, problem: Optional[Dict[str, Any]] = None, text: str = ""):
        self.status = status
        self.problem = problem or {}
        self.title: str = self.problem.get("title") or text or f"HTTP {status}"
        self.detail: Optional[str] = self.problem.get("detail")
        self.errors: Dict[str, List[str]] = self.problem.get("errors") or {}
        parts = [f"{status} {self.title}"]
        if self.detail:
            parts.append(self.detail)
        parts.extend(f"{field}: {'; '.join(messages)}" for field, messages in self.errors.items())
        super().__init__(" — ".join(parts))


class Unavailable(DroverError):
    """The server could not be reached (or kept failing) within the time allowed."""


class TaskFailed(DroverError):
    """A task did not succeed; ``task`` is its final record."""

    def __init__(self, task: Dict[str, Any]):
        self.task = task
        why = task.get("reason") or task.get("error") or (
            f"exit code {task['exit_code']}" if task.get("exit_code") is not None else "")
        message = f"task {task.get('id')} {task.get('status')}"
        super().__init__(f"{message}: {why}" if why else message)
