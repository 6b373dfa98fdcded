"""The package builds as a wheel and an sdist with nothing from an index, and pip installs it."""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

from support import PACKAGE

sys.path.insert(0, str(PACKAGE / "_build"))
import drover_build  # noqa: E402


def python_with_pip():
    for python in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(python) and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            return python
    return None


class PackagingTests(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="drover-wheel-")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def test_the_wheel_holds_the_package_with_a_true_record_and_imports_from_the_zip(self):
        name = drover_build.build_wheel(self.folder)
        self.assertEqual("drover-0.1.0-py3-none-any.whl", name)
        wheel_path = os.path.join(self.folder, name)
        with zipfile.ZipFile(wheel_path) as wheel:
            names = set(wheel.namelist())
            for module in ("drover/__init__.py", "drover/client.py", "drover/tracker.py", "drover/py.typed"):
                self.assertIn(module, names)
            self.assertFalse(any("__pycache__" in n or n.startswith("tests/") for n in names))
            metadata = wheel.read("drover-0.1.0.dist-info/METADATA").decode()
            self.assertIn("Name: drover\n", metadata)
            self.assertIn("Requires-Python: >=3.9\n", metadata)
            for line in wheel.read("drover-0.1.0.dist-info/RECORD").decode().splitlines():
                path, digest, size = line.split(",")
                if digest:
                    data = wheel.read(path)
                    expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                    self.assertEqual(f"sha256={expected}", digest, path)
                    self.assertEqual(len(data), int(size))
        ran = subprocess.run([sys.executable, "-c", "import drover, drover.tracker; print(drover.__version__, drover.__file__)"],
                             env=dict(os.environ, PYTHONPATH=wheel_path), capture_output=True, text=True, cwd=self.folder)
        self.assertEqual(0, ran.returncode, ran.stderr)
        self.assertTrue(ran.stdout.startswith("0.1.0 " + wheel_path), ran.stdout)

    def test_the_sdist_builds_the_same_wheel(self):
        name = drover_build.build_sdist(self.folder)
        with tarfile.open(os.path.join(self.folder, name)) as sdist:
            members = sdist.getnames()
        self.assertIn("drover-0.1.0/pyproject.toml", members)
        self.assertIn("drover-0.1.0/_build/drover_build.py", members)
        self.assertIn("drover-0.1.0/drover/tracker.py", members)

    def test_pip_installs_it_with_no_index(self):
        python = python_with_pip()
        self.assertIsNotNone(python, "no python3 with pip: apt-get install python3-pip")
        target = os.path.join(self.folder, "site")
        installed = subprocess.run([python, "-m", "pip", "install", "--no-index", "--target", target, str(PACKAGE)],
                                   capture_output=True, text=True, timeout=300)
        self.assertEqual(0, installed.returncode, installed.stdout + installed.stderr)
        ran = subprocess.run([python, "-c", "import drover; print(drover.__file__)"], env=dict(os.environ, PYTHONPATH=target),
                             capture_output=True, text=True, cwd=self.folder)
        self.assertEqual(0, ran.returncode, ran.stderr)
        self.assertTrue(ran.stdout.startswith(target), ran.stdout)


if __name__ == "__main__":
    unittest.main()
