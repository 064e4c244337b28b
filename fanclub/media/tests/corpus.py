"""Test media generated in-repo: tiny valid files and a malicious corpus (nothing downloaded)."""

from __future__ import annotations

import gzip
import io
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

from PIL import Image

from fanclub.media.ffmpeg import ffmpeg_exe

GPS_LATITUDE = 48.8584


def jpeg_with_gps(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.24), 3: "E", 4: (2.0, 17.0, 40.2)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    image = Image.new("RGBA" if fmt in ("PNG", "WEBP") else "RGB", size, (30, 120, 200))
    out = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
        image.convert("RGB").save(out, "HEIF")
    elif fmt == "GIF":
        frames = [Image.new("P", size, index * 40) for index in range(3)]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    else:
        image.save(out, fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_pixel_flood(width: int = 65_000, height: int = 65_000) -> bytes:
    """A PNG header claiming billions of pixels, with a tiny compressed body."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 100_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def png_decompression_bomb() -> bytes:
    """11,000 x 11,000 (121 Mpx) of zeros: ~120 KB on disk, 121 MB once decoded."""
    width = height = 11_000
    raw = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    body = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def gif_frame_bomb() -> bytes:
    frames = [Image.new("RGB", (4, 4), (index % 2 * 255, 0, 0)) for index in range(1100)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=10, optimize=False)
    return out.getvalue()


def png_html_polyglot() -> bytes:
    """A valid PNG whose tEXt chunk is an HTML page with a script."""
    png = image_bytes("PNG")
    text = _png_chunk(
        b"tEXt", b"Comment\x00<html><body><script>alert(document.cookie)</script></body></html>"
    )
    return png[:33] + text + png[33:]


def jpeg_zip_polyglot() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.txt", "hello from inside a jpeg")
    return jpeg_with_gps() + archive.getvalue()


def gif_js_polyglot() -> bytes:
    return image_bytes("GIF") + b"\n<script>alert(1)</script>"


def pdf_html_polyglot() -> bytes:
    return image_bytes("JPEG") + b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"


SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SVG_XML = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><body onload="alert(1)"/>'
    b"</foreignObject></svg>"
)
HTML_AS_JPG = b"<!doctype html><html><script>fetch('/api/v1/me')</script></html>"
HLS_LOCAL_FILE = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
FFCONCAT = b"ffconcat version 1.0\nfile '/etc/passwd'\n"


def avi_with_playlist() -> bytes:
    """The CVE-2017-9993 shape: an AVI whose data is an HLS playlist."""
    payload = HLS_LOCAL_FILE
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"AVI LIST" + payload


def gzip_bomb() -> bytes:
    return gzip.compress(b"\x00" * 20_000_000, 9)


def zip_archive() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("a.jpg", b"\x00" * 1_000_000)
    return archive.getvalue()


def _ffmpeg(args: list[str], out: Path) -> bytes:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *args, str(out)], check=True)
    return out.read_bytes()


def video_mp4(
    directory: Path,
    *,
    size: str = "320x240",
    seconds: float = 1.5,
    audio: bool = True,
    gps: bool = True,
    faststart: bool = True,
    name: str = "v.mp4",
) -> bytes:
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=12:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    if gps:
        args += ["-metadata", "location=+48.8584+002.2945/", "-metadata", "comment=SecretCamMeta"]
    flags = ("+faststart" if faststart else "") + ("+use_metadata_tags" if gps else "")
    if flags:
        args += ["-movflags", flags]
    return _ffmpeg(args, directory / name)


def video_webm(directory: Path) -> bytes:
    return _ffmpeg(
        ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-c:v", "libvpx", "-b:v", "100k"],
        directory / "v.webm",
    )


def audio(directory: Path, fmt: str, seconds: float = 1.0) -> bytes:
    codec = {
        "wav": ["-c:a", "pcm_s16le"],
        "mp3": ["-c:a", "libmp3lame"],
        "flac": ["-c:a", "flac"],
        "ogg": ["-c:a", "libvorbis"],
        "aac": ["-c:a", "aac", "-f", "adts"],
    }[fmt]
    return _ffmpeg(
        ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", *codec, "-metadata", "artist=Secret"],
        directory / f"a.{fmt}",
    )
