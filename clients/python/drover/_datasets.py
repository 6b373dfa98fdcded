"""Distributed group-by over a dataset's Parquet shards: the request body and the answer as pandas or rows."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence
from urllib.parse import quote

if TYPE_CHECKING:
    from .client import Client

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_OUTPUTS = ("auto", "rows", "pandas", "arrow")
# How long the server may take when no timeout is given (its own default is 5 minutes).
_DEFAULT_SECONDS = 300.0


def groupby_body(by: Sequence[str], agg: Sequence[Any], where: Sequence[Any], shards: Optional[Sequence[str]],
                 merge: bool, timeout: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {"by": [by] if isinstance(by, str) else list(by),
                            "aggregate": [_aggregation(a) for a in agg],
                            "where": [list(w) for w in where], "merge": merge}
    if shards is not None:
        body["shards"] = list(shards)
    if timeout is not None:
        body["timeout"] = timeout
    return body


def _aggregation(agg: Any) -> List[str]:
    """``("fare", "mean", "avg")`` or ``"fare:mean:avg"`` (the CLI's ``--agg``) as the API's triple."""
    parts = agg.split(":") if isinstance(agg, str) else list(agg)
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"agg: {agg!r} is not (column, op[, name])")
    return [str(p) for p in parts]


def groupby_answer(client: "Client", dataset: str, body: Dict[str, Any], output: str) -> Any:
    if output not in _OUTPUTS:
        raise ValueError(f"output: {output!r} is not one of {', '.join(_OUTPUTS)}")
    pandas = _module("pandas") if output in ("auto", "pandas") else None
    if output == "pandas" and pandas is None:
        raise ImportError("output='pandas' needs pandas installed")
    pyarrow = _module("pyarrow") if output in ("auto", "pandas", "arrow") else None
    if output == "arrow" and pyarrow is None:
        raise ImportError("output='arrow' needs pyarrow installed")
    seconds = body.get("timeout") if isinstance(body.get("timeout"), (int, float)) else _DEFAULT_SECONDS
    path = f"api/datasets/{quote(dataset, safe='')}/groupby"
    if pyarrow is not None and (pandas is not None or output == "arrow"):
        content = client._call("POST", path, body, deadline=client.get_timeout, long_poll=seconds, accept=ARROW_STREAM)
        import pyarrow.ipc  # noqa: F401 - the submodule is not imported with pyarrow

        table = pyarrow.ipc.open_stream(content).read_all()
        return table if output == "arrow" else table.to_pandas()
    content = client._call("POST", path, body, deadline=client.get_timeout, long_poll=seconds)
    answer = json.loads(content)
    names = [c["name"] for c in answer["columns"]]
    if pandas is not None:
        return pandas.DataFrame(answer["rows"], columns=names)
    return [dict(zip(names, row)) for row in answer["rows"]]


def _module(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None
