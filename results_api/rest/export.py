"""CSV export of the whole filtered task set, streamed in bounded memory.

    GET tasks/export/?tenant=3&status=FAILURE&ordering=-date_done

streams every row the same request to ``tasks/`` would page through (same
scope, filters and ordering), one column per field of the task
representation, extra fields included, with the same decoding, redaction
and traceback rule as the JSON. Rows come from ``QuerySet.iterator()``: a
server-side cursor on PostgreSQL (``EXPORT_CHUNK_SIZE`` rows per fetch) and
chunked reads on SQLite; on MariaDB and MySQL, whose driver reads a whole
result at once, one keyset query per ``EXPORT_CHUNK_SIZE`` rows
(:func:`results_api.rest.pagination.keyset_chunks`). Memory stays flat whatever
the row count.

Cells: ``null`` is empty, ``true``/``false`` stay words, lists and dicts
(a decoded ``result``) are JSON, and a text cell that a spreadsheet would
run as a formula is prefixed with ``'``: task arguments and tracebacks are
no trusted text. A formula starts with ``=``, ``+``, ``-``, ``@`` or ``|``
(a DDE call), after any leading run of spaces and invisible characters
(Unicode categories Zs, Cf and Cc: tab, CR, no-break and ideographic
spaces, zero-width characters), since imports that trim those would
otherwise run it. So is a formula start after a ``;`` or ``,`` inside a
cell (``x;=1+1`` becomes ``x;'=1+1``): a spreadsheet whose separator is
``;`` splits an unquoted cell there. In JSON cells only ``;`` counts: a
comma there is the JSON's own, and a cell holding one is quoted.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import connections, models
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import renderers, serializers

from ..conf import api_settings
from .pagination import keyset_chunks
from .prepared import pin_time_zone

__all__ = ["CSVRenderer", "csv_cell", "export_response", "stream_csv"]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Rows written to the response at once: one write per row would be a
# syscall per row under a real server; 500 rows is about 200 KB.
ROWS_PER_WRITE = 500
FORMULA_STARTS = "=+-@|"
# What a spreadsheet import may trim before a formula: spaces, controls, invisible format marks.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Cf", "Cc"})


@functools.cache
def _invisible_class() -> str:
    """Return a regex character class of every Zs, Cf and Cc character (built once)."""
    chars = (
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in INVISIBLE_CATEGORIES
    )
    return "[" + re.escape("".join(chars)) + "]"


@functools.cache
def _formula_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Return the patterns of a formula at the start, after ``;`` or ``,``, and after ``;``."""
    invisible, start = _invisible_class(), "[" + re.escape(FORMULA_STARTS) + "]"
    return (
        re.compile(f"{invisible}*{start}"),
        re.compile(f"([;,]{invisible}*)(?={start})"),
        re.compile(f"(;{invisible}*)(?={start})"),
    )


def csv_cell(value: Any) -> Any:
    """Return one serialised value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return _formula_patterns()[2].sub(r"\1'", text)
    if isinstance(value, str):
        at_start, after_separator, _ = _formula_patterns()
        value = after_separator.sub(r"\1'", value)
        if at_start.match(value) or (value and value[0] in "\t\r"):
            return "'" + value
    return value


def stream_csv(
    queryset: models.QuerySet, serializer: serializers.Serializer, chunk_size: int
) -> Iterator[bytes]:
    """Yield the CSV of ``queryset``, header first, a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The stored values: not the API's links between its own pages.
    columns = [name for name in map(str, serializer.fields) if name != "url"]
    writer.writerow(columns)
    to_representation = serializer.to_representation
    rows = None
    if connections[queryset.db].vendor == "mysql":  # its driver would read every row at once
        rows = keyset_chunks(queryset, chunk_size)
    if rows is None:
        rows = queryset.iterator(chunk_size=chunk_size)
    for number, row in enumerate(rows, 1):
        data = to_representation(row)
        writer.writerow([csv_cell(data[column]) for column in columns])
        if number % ROWS_PER_WRITE == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def export_response(
    queryset: models.QuerySet, serializer: serializers.Serializer
) -> StreamingHttpResponse:
    """Return a streaming CSV attachment of ``queryset`` serialised by ``serializer``."""
    pin_time_zone(serializer.fields.values())  # now: the rows are written after the view returns
    rows = stream_csv(queryset, serializer, api_settings.EXPORT_CHUNK_SIZE)
    response = StreamingHttpResponse(rows, content_type=CSV_CONTENT_TYPE)
    name = f"{queryset.model._meta.model_name}-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


class CSVRenderer(renderers.BaseRenderer):
    """Let ``Accept: text/csv`` through content negotiation; render errors as CSV.

    A successful export is a streaming response that bypasses renderers; an
    error (a bad filter, a 429) is rendered here, one line per message.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["parameter", "message"])
        for name, messages in (data or {}).items():
            for message in messages if isinstance(messages, list) else [messages]:
                writer.writerow([name, csv_cell(str(message))])
        return buffer.getvalue().encode()
