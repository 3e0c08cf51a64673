"""Request body parsers of the POST actions: any bytes are a 400 naming the body, never a 500.

DRF's JSON parser lets a ``RecursionError`` through for a body nested a
few thousand levels deep (``[[[[...]]]]``); here it is a parse error like
any other malformed body.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

__all__ = ["PARSER_CLASSES", "BoundedJSONParser"]


class BoundedJSONParser(JSONParser):
    """Parse a JSON body; a body nested too deeply for the decoder is a ``ParseError``."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("Request body: JSON parse error - nested too deeply.")) from None


PARSER_CLASSES = [BoundedJSONParser, FormParser, MultiPartParser]
