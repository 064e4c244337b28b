"""Media pipeline benchmarks: our image pipeline vs a bare Pillow script doing the same operations,
and our HLS ladder run vs the plain ffmpeg command line with the same ladder. Both sides run in the
same process, interleaved, best of N; ratios > 1 mean we are faster.

Entries ``media_images`` and ``media_hls`` in bench/__main__.py; standalone: ``python -m bench.media``.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report

IMAGE_SIZE = (2400, 1600)


def _configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    if not settings.configured:
        settings.configure(MEDIA_FFMPEG_TIMEOUT_SECONDS=3600, MEDIA_FFMPEG_MEMORY_MB=4096)


def _photos(directory: Path, count: int) -> list[Path]:
    """Photo-like JPEGs (gradients + noise, EXIF with GPS): compressible like real photos."""
    from PIL import Image, ImageFilter

    paths = []
    rng = random.Random(7)
    for index in range(count):
        noise = Image.effect_noise(IMAGE_SIZE, 40 + index).convert("RGB")
        gradient = Image.linear_gradient("L").resize(IMAGE_SIZE).convert("RGB")
        image = Image.blend(noise.filter(ImageFilter.GaussianBlur(2)), gradient, 0.5)
        shifts = [rng.randint(0, 60) for _ in range(3)]
        bands = [
            band.point([min(255, v + shift) for v in range(256)])
            for band, shift in zip(image.split(), shifts, strict=True)
        ]
        image = Image.merge("RGB", bands)
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
        path = directory / f"photo{index}.jpg"
        image.save(path, quality=90, exif=exif)
        paths.append(path)
    return paths


def bare_pillow(source: Path, out: Path, handle: str) -> None:
    """The same operations as fanclub.media.processing.process_image, as a plain script would do them."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

    out.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.info = {}
    image.save(out / "original.jpg", quality=90)
    display = image.copy()
    display.thumbnail((2048, 2048), Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", display.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(14, display.width // 32)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), f"@{handle}", font=font)
    position = (display.width - (right - left) - size // 2, display.height - (bottom - top) - size)
    draw.text(position, f"@{handle}", font=font, fill=(255, 255, 255, 170))
    Image.alpha_composite(display.convert("RGBA"), layer).convert("RGB").save(
        out / "display.webp", quality=85, method=3
    )
    previous = display
    for width in (1280, 640, 320):
        thumb = previous.resize(
            (width, round(previous.height * width / previous.width)), Image.Resampling.LANCZOS
        )
        thumb.save(out / f"thumb-{width}.webp", quality=80, method=3)
        previous = thumb
    tiny = previous.copy()
    tiny.thumbnail((32, 32))
    blurred = tiny.resize((480, round(480 * image.height / image.width))).filter(ImageFilter.GaussianBlur(6))
    blurred.save(out / "blurred.webp", quality=60, method=2)
    ImageOps.fit(display, (1200, 630)).save(out / "social.jpg", quality=85)
    previous.convert("L").resize((9, 8)).tobytes()


def images(context: Any = None, *, count: int | None = None, rounds: int = 3) -> dict[str, Any]:
    _configure_django()
    from fanclub.media import processing

    quick = bool(getattr(getattr(context, "config", None), "quick", False))
    count = count or (4 if quick else 12)
    best = {"ours": float("inf"), "bare": float("inf")}
    with tempfile.TemporaryDirectory(prefix="bench-media-") as directory:
        work = Path(directory)
        photos = _photos(work, count)
        for round_number in range(rounds):
            for side in ("bare", "ours") if round_number % 2 == 0 else ("ours", "bare"):
                started = time.perf_counter()
                for index, photo in enumerate(photos):
                    out = work / f"{side}-{round_number}-{index}"
                    if side == "ours":
                        processing.process_image(
                            photo, pillow_format="JPEG", out_dir=out, handle="benchcreator"
                        )
                    else:
                        bare_pillow(photo, out, "benchcreator")
                best[side] = min(best[side], time.perf_counter() - started)
    ours_rate, bare_rate = count / best["ours"], count / best["bare"]
    result = {
        "images": count,
        "size": f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}",
        "ours_images_per_second": round(ours_rate, 2),
        "bare_pillow_images_per_second": round(bare_rate, 2),
        "ratio": round(ours_rate / bare_rate, 3),
        "goal": 0.8,
    }
    print(
        report.table(
            ["image pipeline (all variants)", "images/s", "ratio"],
            [
                ["bare Pillow script", f"{bare_rate:.2f}", "1.00"],
                ["fanclub.media", f"{ours_rate:.2f}", f"{result['ratio']:.2f}"],
            ],
        )
    )
    return result


def hls(context: Any = None, *, seconds: int | None = None, rounds: int = 2) -> dict[str, Any]:
    _configure_django()
    from fanclub.media import ffmpeg, processing

    quick = bool(getattr(getattr(context, "config", None), "quick", False))
    seconds = seconds or (4 if quick else 12)
    best = {"ours": float("inf"), "plain": float("inf")}
    with tempfile.TemporaryDirectory(prefix="bench-hls-") as directory:
        work = Path(directory)
        source = work / "source.mp4"
        subprocess.run(
            [
                ffmpeg.ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
                str(source),
            ],
            check=True,
        )
        args = processing.hls_args(source, "mov", height=1080, has_audio=True)
        for round_number in range(rounds):
            for side in ("plain", "ours") if round_number % 2 == 0 else ("ours", "plain"):
                out = work / f"{side}-{round_number}"
                out.mkdir()
                started = time.perf_counter()
                if side == "ours":
                    ffmpeg.run(args, cwd=out, on_progress=lambda value: None)
                else:  # the plain command line: same binary, same arguments, no wrapper
                    subprocess.run(
                        [ffmpeg.ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args],
                        cwd=out,
                        check=True,
                        capture_output=True,
                    )
                best[side] = min(best[side], time.perf_counter() - started)
    ratio = best["plain"] / best["ours"]
    result = {
        "source": f"1920x1080 30 fps, {seconds} s, H.264 + AAC",
        "ladder": [rung[0] for rung in processing.ladder_for(1080)],
        "ours_seconds": round(best["ours"], 2),
        "plain_ffmpeg_seconds": round(best["plain"], 2),
        "realtime_factor_ours": round(seconds / best["ours"], 2),
        "ratio": round(ratio, 3),
        "goal": 0.95,
    }
    print(
        report.table(
            ["HLS ladder 240p-1080p", "seconds", "ratio"],
            [
                ["plain ffmpeg command line", f"{best['plain']:.2f}", "1.00"],
                ["fanclub.media", f"{best['ours']:.2f}", f"{ratio:.2f}"],
            ],
        )
    )
    return result


def run() -> dict[str, Any]:
    return {"media_images": images(), "media_hls": hls()}


if __name__ == "__main__":
    run()
