"""A PEP 517 build backend for this pure-Python package, with the standard library only.

It builds the wheel (``drover/`` and its metadata), an editable wheel (a ``.pth`` pointing here) and
an sdist, reading the name, version and the rest from ``pyproject.toml``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "drover"
TAG = "py3-none-any"


def _project() -> Dict[str, str]:
    """The [project] table's plain string fields (tomllib is not in Python 3.9)."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as file:
        text = file.read()
    table = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"', table, re.MULTILINE))


def _metadata() -> str:
    project = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project['description']}", f"Requires-Python: {project['requires-python']}",
             "License: MIT", "Provides-Extra: pandas", 'Requires-Dist: pandas; extra == "pandas"',
             "Provides-Extra: arrow", 'Requires-Dist: pandas; extra == "arrow"', 'Requires-Dist: pyarrow; extra == "arrow"',
             "Description-Content-Type: text/markdown", ""]
    with open(os.path.join(ROOT, project["readme"]), encoding="utf-8") as file:
        return "\n".join(lines) + "\n" + file.read()


def _dist_info() -> str:
    project = _project()
    return f"{project['name']}-{project['version']}.dist-info"


def _wheel_name() -> str:
    project = _project()
    return f"{project['name']}-{project['version']}-{TAG}.whl"


def _sources() -> List[str]:
    """The package's files, relative to ROOT, in a stable order."""
    found = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(os.path.relpath(os.path.join(folder, f), ROOT) for f in sorted(files) if f.endswith((".py", ".typed")))
    return found


def _write_wheel(directory: str, files: List[Tuple[str, bytes]]) -> str:
    info = _dist_info()
    files = files + [(f"{info}/METADATA", _metadata().encode()),
                     (f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: drover_build\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode())]
    record = []
    path = os.path.join(directory, _wheel_name())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            wheel.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        wheel.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(2026, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")
    return os.path.basename(path)


def _read(relative: str) -> bytes:
    with open(os.path.join(ROOT, relative), "rb") as file:
        return file.read()


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, [(name, _read(name)) for name in _sources()])


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    """A wheel whose only file puts this folder on sys.path: edits here show at once."""
    return _write_wheel(wheel_directory, [(f"__editable__.{PACKAGE}.pth", (ROOT + "\n").encode())])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    project = _project()
    base = f"{project['name']}-{project['version']}"
    path = os.path.join(sdist_directory, f"{base}.tar.gz")
    members = ["pyproject.toml", "README.md", "_build/drover_build.py"] + _sources()
    with tarfile.open(path, "w:gz") as sdist:
        for name, data in [(m, _read(m)) for m in members] + [("PKG-INFO", _metadata().encode())]:
            entry = tarfile.TarInfo(f"{base}/{name}")
            entry.size, entry.mtime = len(data), 1767225600
            sdist.addfile(entry, io.BytesIO(data))
    return os.path.basename(path)
