"""Masked mode: find faces on an image and blur them (OpenCV's Haar cascade, shipped in the wheel).

Haar cascades are a fast, dependency-free frontal-face detector: they miss profiles, strong
rotations and small faces, and can flag face-like patterns. Masked mode therefore *warns* and
*offers* a blur; the creator decides.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

MAX_SIDE = 1280  # detection runs on a downscaled copy; boxes are scaled back


@lru_cache(maxsize=1)
def _cascade() -> Any:
    import cv2

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]


def detect_faces(data: bytes) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x, y, width, height)`` of the frontal faces found, in the image's own pixels."""
    import cv2
    import numpy as np

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("L")
    scale = min(1.0, MAX_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    gray = cv2.equalizeHist(np.asarray(image, dtype=np.uint8))
    found = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    return [
        (round(x / scale), round(y / scale), round(w / scale), round(h / scale)) for (x, y, w, h) in found
    ]


def blur_faces(data: bytes, *, boxes: list[tuple[int, int, int, int]] | None = None) -> bytes:
    """The image as PNG with every detected face (grown by 25%) blurred beyond recognition."""
    boxes = detect_faces(data) if boxes is None else boxes
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    for x, y, w, h in boxes:
        grow_w, grow_h = w // 4, h // 4
        box = (
            max(0, x - grow_w),
            max(0, y - grow_h),
            min(image.width, x + w + grow_w),
            min(image.height, y + h + grow_h),
        )
        region = image.crop(box)
        radius = max(8, (box[2] - box[0]) // 6)
        # Pixelate, then blur: nothing of the face's detail survives either step alone.
        small = region.resize(
            (max(1, region.width // 16), max(1, region.height // 16)), Image.Resampling.BILINEAR
        )
        region = small.resize(region.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(radius))
        mask = Image.new("L", region.size, 0)
        ImageDraw.Draw(mask).ellipse((0, 0, region.width - 1, region.height - 1), fill=255)
        image.paste(region, box[:2], mask)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
