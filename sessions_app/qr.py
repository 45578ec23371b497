"""QR codes as PNG, made with segno from the raw string wa-js gives (`fullCode`)."""

import base64
import io

import segno


def qr_png(raw: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(raw, error="l", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_data_url(raw: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(raw)).decode()
