"""Times on the wire are RFC 3339 UTC strings; in Python they are timezone-aware datetimes."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

# The task fields that hold times (the server's TaskRecord).
TIME_FIELDS = frozenset({"submitted", "assigned", "started", "completed", "run_after", "lease_expires"})

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$")


def parse(text: str) -> _dt.datetime:
    """An RFC 3339 time (any number of fractional digits, as .NET writes seven) as an aware datetime."""
    match = _RFC3339.match(text)
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        tz = _dt.timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)


def format(value: _dt.datetime) -> str:  # noqa: A001 - the module's name for it
    """A datetime as RFC 3339 UTC. A naive datetime is taken as local time, as Python does."""
    utc = value.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_wire(value: Any) -> Any:
    """A filter or body with datetimes (and dates) written as RFC 3339 strings, at any depth."""
    if isinstance(value, _dt.datetime):
        return format(value)
    if isinstance(value, _dt.date):
        return format(_dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc))
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def record_from_wire(record: dict) -> dict:
    """A task record with its time fields as datetimes."""
    for key in TIME_FIELDS.intersection(record):
        if isinstance(record[key], str):
            record[key] = parse(record[key])
    return record


def duration(value: Any) -> Any:
    """A timeout or delay: a timedelta or a number of seconds becomes seconds; a string ("30s") is sent as it is."""
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return value
