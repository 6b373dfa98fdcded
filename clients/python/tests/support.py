"""Real Drover servers for the tests: `drover up` from this checkout's build, on a free 127.0.0.1 port."""
from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
sys.path.insert(0, str(PACKAGE))

import drover  # noqa: E402

_build_lock = threading.Lock()


def cli() -> List[str]:
    """The command that runs this checkout's CLI: $DROVER_CLI (a drover.dll), else the Debug build `dotnet test` made."""
    dll = os.environ.get("DROVER_CLI") or str(REPO / "src/Drover.Cli/bin/Debug/net10.0/drover.dll")
    with _build_lock:
        if not os.path.exists(dll):
            subprocess.run(["dotnet", "build", str(REPO / "src/Drover.Cli"), "-v", "q", "--nologo"], check=True,
                           stdout=subprocess.DEVNULL)
    return ["dotnet", dll]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Drover:
    """`drover up` (a server and its local workers) in a folder of its own; stop() and start() again keep the data."""

    def __init__(self, *args: str, workers: int = 2):
        self.folder = tempfile.mkdtemp(prefix="drover-py-")
        self.data = os.path.join(self.folder, "drover-data")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.args = list(args)
        self.workers = workers
        self.process: Optional[subprocess.Popen] = None
        self.log = os.path.join(self.folder, "up.log")

    @property
    def token(self) -> str:
        with open(os.path.join(self.data, "admin.token"), encoding="utf-8") as file:
            return file.read().strip()

    def start(self) -> "Drover":
        self.started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                cli() + ["up", "--port", str(self.port), "--data", self.data, "--workers", str(self.workers)] + self.args,
                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, 90, f"drover up on {self.url} (log: {self.log})")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"drover up exited with {self.process.returncode}: {self.output()}")
        if not os.path.exists(os.path.join(self.data, "admin.token")):
            return False
        client = drover.Client(self.url, self.token, resilient=False, attempt_timeout=2)
        try:
            # This start's workers (a restart's old ones are stopped, or lost after a kill).
            workers = [w for w in client.workers() if w["status"] == "running"
                       and drover._times.parse(w["registered"]) >= self.started]
            return client.health() and len(workers) >= self.workers
        except (drover.DroverError, OSError):
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Stops the server and its workers as Ctrl-C does, and waits for them."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def client(self, **options) -> "drover.Client":
        return drover.Client(self.url, self.token, **options)

    def output(self) -> str:
        with open(self.log, encoding="utf-8", errors="replace") as file:
            return file.read()[-4000:]

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """One `drover up` shared by the tests of a class."""

    up_args: List[str] = []
    server: Drover

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Drover(*cls.up_args).start()
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()
        cls.server.close()
