"""Drover from Python: submit and wait for tasks, query the task database, follow live events,
group datasets, and resume long jobs with :mod:`drover.tracker`.

>>> import drover
>>> client = drover.Client()                  # finds ./drover-data, or $DROVER_URL and $DROVER_TOKEN
>>> task = client.submit("echo hello")
>>> task.result()
'hello\\n'
"""
from ._ids import uuid7
from ._status import status
from .client import Client, task_spec
from .errors import ApiError, DroverError, TaskFailed, Unavailable
from .task import Task

__all__ = ["Client", "Task", "task_spec", "status", "uuid7", "DroverError", "ApiError", "TaskFailed", "Unavailable"]
__version__ = "0.1.0"
