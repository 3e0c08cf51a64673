"""ETags on the read endpoints, so that polling an unchanged list, detail or stats costs a 304.

    GET tasks/?updated_since=...           -> 200, ETag: "5d41402a..."
    GET tasks/?updated_since=...  If-None-Match: "5d41402a..."   -> 304, no body

The ETag is a hash of the response body, as Django's ``ConditionalGetMiddleware``
makes it, rather than ``max(date_done)`` and a count computed in SQL: it is
right by construction (it changes exactly when the representation does,
whatever changed: a field that does not move ``date_done``, a deleted row, the
user's scope, redaction, a setting), and it costs no query beyond the one the
response needs, while a count over the whole filtered set would cost a scan
that a keyset page avoids. What a 304 saves is the transfer and the client's
work, not the database's.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag

__all__ = ["conditional_response"]

CONDITIONAL_METHODS = frozenset({"GET", "HEAD"})


def conditional_response(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Return ``response`` with an ETag, or a 304 if the request's ``If-None-Match`` has it.

    Only successful, non-streaming answers to GET and HEAD get one. They are
    marked ``private, no-cache``: a shared cache must not keep one user's
    results, and a client revalidates each time, which is what the ETag is for.
    """
    if (
        request.method not in CONDITIONAL_METHODS
        or response.status_code != 200
        or response.streaming
    ):
        return response
    render = getattr(response, "render", None)
    if callable(render):
        render()
    set_response_etag(response)
    patch_cache_control(response, private=True, no_cache=True)
    if not response.has_header("ETag"):  # an empty body
        return response
    # Django's stubs say HttpResponse; any non-streaming response works.
    conditional = get_conditional_response(
        request,
        etag=response["ETag"],
        response=response,  # type: ignore[arg-type]
    )
    if conditional is None:
        return response
    if conditional is not response:
        # Django's 304 keeps the caching headers; keep the others too
        # (Next-Updated-Since), but none that describes a body.
        for name, value in response.items():
            if not name.lower().startswith("content-") and not conditional.has_header(name):
                conditional[name] = value
    return conditional
