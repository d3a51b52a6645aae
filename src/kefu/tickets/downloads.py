"""How an attachment leaves kefu — the same through the agent workspace, the portal and the API.

Always a download, never rendered on kefu's origin whatever the file claims to be (FAULTS F2): the
content type is passed on only for types a browser cannot run, `nosniff` stops it guessing, and a
sandbox CSP disarms the file even if it is opened.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from kefu.core.filenames import content_disposition
from kefu.tickets.models import Attachment

SAFE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)


def attachment_response(item: Attachment) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = item.content_type if item.content_type in SAFE_TYPES else "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=item.filename, content_type=content_type)
    # the exact name (CJK included) as RFC 5987 filename*, with an ASCII filename for old clients
    response["Content-Disposition"] = content_disposition(item.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
