"""How the dashboard hands out media files: previews for a safe list of types, a download
for everything else, so a file from WhatsApp (HTML, SVG, PDF...) never renders inside the
dashboard's own origin."""

from typing import BinaryIO

from django.http import FileResponse, HttpRequest

INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "video/3gpp",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/wav",
        "audio/webm",
    }
)


def media_kind(mimetype: str) -> str:
    """image, video or audio when the browser may show it inline; file otherwise."""
    mimetype = (mimetype or "").split(";")[0].strip().lower()
    if mimetype in INLINE_TYPES:
        return mimetype.split("/")[0]
    return "file"


def media_response(request: HttpRequest, handle: BinaryIO, *, mimetype: str, filename: str) -> FileResponse:
    """Inline for previewable types (unless `?download`), an attachment otherwise."""
    inline = media_kind(mimetype) != "file" and "download" not in request.GET
    return FileResponse(
        handle,
        content_type=mimetype if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=filename,
    )
