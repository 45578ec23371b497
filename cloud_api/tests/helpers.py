"""What the browser tests share: the sandbox contact and a real PNG."""

import io

from PIL import Image

CONTACT = "+33698765432"
WA_ID = CONTACT.lstrip("+")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 12), (20, 160, 60)).save(buffer, format="PNG")
    return buffer.getvalue()
