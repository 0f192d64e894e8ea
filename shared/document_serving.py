"""Serving a printed document (shared.documents lays it out): the rendering threads and their queue, and the PDF
answer. Apart from shared.documents so that a service's API imports this at start and fpdf2, segno and the font
code (~60 MB a process) only when it first prints something (issue #21: memory at rest)."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from fastapi import Response

from shared.errors import ServiceUnavailable
from shared.problems import responses

PDF_MEDIA_TYPE = "application/pdf"
RENDER_THREADS = 2
MAX_WAITING = 8
"""Documents waiting for a rendering thread beyond which a request is refused (503, Retry-After)."""

# ------------------------------------------------------------------ serving a document

_POOL = ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="documents")
_waiting = 0
_waiting_lock = threading.Lock()


async def render(build: Callable[[], bytes]) -> bytes:
    """Run `build` (which lays a document out and returns its bytes) on the documents' threads."""
    global _waiting
    with _waiting_lock:
        if _waiting >= RENDER_THREADS + MAX_WAITING:
            raise ServiceUnavailable("Too many documents are being printed just now; try again in a few seconds.")
        _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_POOL, build)
    finally:
        with _waiting_lock:
            _waiting -= 1


def pdf_response(content: bytes, filename: str, *, public: bool) -> Response:
    """A PDF answer, offered for download under `filename` (Chinese names kept: RFC 6266 filename*)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    headers = {
        "Content-Disposition": f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "public, max-age=300" if public else "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(content, media_type=PDF_MEDIA_TYPE, headers=headers)


def pdf_responses(*problems: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 200 answer is a PDF (so an integrator finds it), plus the problem answers named."""
    return {
        200: {
            "description": "The document (PDF)",
            "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **responses(*problems, 503),
    }
