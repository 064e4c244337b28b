"""Generated default avatars: a symmetric 5x5 identicon derived from the handle."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

SIZE = 256
GRID = 5


def identicon_png(seed: str) -> bytes:
    digest = hashlib.sha256(seed.lower().encode()).digest()
    hue = digest[0] / 255
    foreground = _hsl_to_rgb(hue, 0.55, 0.58)
    background = _hsl_to_rgb((hue + 0.5) % 1, 0.25, 0.16)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    cell = SIZE // (GRID + 1)
    margin = (SIZE - cell * GRID) // 2
    bits = int.from_bytes(digest[1:9], "big")
    for row in range(GRID):
        for column in range((GRID + 1) // 2):
            if bits & 1:
                for col in {column, GRID - 1 - column}:
                    x, y = margin + col * cell, margin + row * cell
                    draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=foreground)
            bits >>= 1
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _hsl_to_rgb(h: float, s: float, lightness: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return round(r * 255), round(g * 255), round(b * 255)
