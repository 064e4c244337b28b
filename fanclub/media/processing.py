"""The media pipelines as pure functions: source file in, rendition files in a directory out.

No database and no storage here (services.media_process moves the outputs into storage), so the
benchmarks and tests can time and inspect exactly what the worker does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont, ImageOps

from fanclub.media import ffmpeg
from fanclub.media.constants import HLS_LADDER, THUMB_WIDTHS, MediaKind, Variant
from fanclub.media.validation import register_heif

DISPLAY_MAX = 2048
SOCIAL_SIZE = (1200, 630)
BLUR_WIDTH = 480
_SRGB = ImageCms.createProfile("sRGB")


@dataclass
class Rendition:
    filename: str  # relative to the output directory; HLS: the directory name
    content_type: str
    width: int | None = None
    height: int | None = None
    files: list[str] = field(default_factory=list)  # HLS: every file under the directory

    def describe(self, size: int) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.filename, "contentType": self.content_type, "size": size}
        if self.width:
            data["width"], data["height"] = self.width, self.height
        if self.files:
            data["files"] = self.files
        return data


@dataclass
class PipelineResult:
    renditions: dict[str, Rendition]
    phash: int | None = None
    width: int | None = None
    height: int | None = None


# --- Images ---------------------------------------------------------------------------------------
def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply the embedded ICC profile (colour is kept by converting to sRGB), then drop it."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") else "RGB"
            converted = ImageCms.profileToProfile(image.convert(mode), source, _SRGB, outputMode=mode)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: the pixels are kept as they are
    return image


def _clean(image: Image.Image) -> Image.Image:
    """A copy with pixels only: no EXIF/GPS/XMP/ICC/comments can ride along into a saved file."""
    image.info = {}
    return image


def dhash(image: Image.Image) -> int:
    """64-bit difference hash as a signed integer (fits PostgreSQL bigint)."""
    small = image.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            value = (value << 1) | (1 if left > right else 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError):
        return ImageFont.load_default()


def watermark(image: Image.Image, text: str) -> Image.Image:
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(14, base.width // 32)
    font = _font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    margin = size // 2
    position = (base.width - (right - left) - margin, base.height - (bottom - top) - margin * 2)
    draw.text((position[0] + 1, position[1] + 1), text, font=font, fill=(0, 0, 0, 140))
    draw.text(position, text, font=font, fill=(255, 255, 255, 170))
    return Image.alpha_composite(base, layer)


def process_image(source: Path, *, pillow_format: str, out_dir: Path, handle: str) -> PipelineResult:
    """Every image variant, metadata stripped. ``source`` has passed validation."""
    register_heif()
    out_dir.mkdir(parents=True, exist_ok=True)
    renditions: dict[str, Rendition] = {}
    with Image.open(source, formats=[pillow_format]) as opened:
        animated = getattr(opened, "n_frames", 1) > 1
        if pillow_format == "GIF" and animated:
            frames = []
            durations = []
            for frame in ImageSequence(opened):
                frames.append(_clean(frame.convert("RGBA")))
                durations.append(frame.info.get("duration", 100))
            frames[0].save(
                out_dir / "original.gif",
                save_all=True,
                append_images=frames[1:],
                duration=durations,
                loop=0,
                disposal=2,
            )
            renditions[Variant.ORIGINAL] = Rendition("original.gif", "image/gif", *opened.size)
            opened.seek(0)
        image = ImageOps.exif_transpose(opened)
        image = _to_srgb(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = _clean(image.convert("RGBA" if has_alpha else "RGB"))
    width, height = image.size

    if Variant.ORIGINAL not in renditions:
        if pillow_format == "PNG":
            image.save(out_dir / "original.png", compress_level=3)
            renditions[Variant.ORIGINAL] = Rendition("original.png", "image/png", width, height)
        elif pillow_format in ("WEBP", "GIF") or has_alpha:
            image.save(out_dir / "original.webp", quality=90, method=3)
            renditions[Variant.ORIGINAL] = Rendition("original.webp", "image/webp", width, height)
        else:  # JPEG, HEIC
            image.save(out_dir / "original.jpg", quality=90)
            renditions[Variant.ORIGINAL] = Rendition("original.jpg", "image/jpeg", width, height)

    display = image.copy()
    display.thumbnail((DISPLAY_MAX, DISPLAY_MAX), Image.Resampling.LANCZOS)
    marked = watermark(display, f"@{handle}")
    marked = marked if has_alpha else marked.convert("RGB")
    marked.save(out_dir / "display.webp", quality=85, method=3)
    renditions[Variant.DISPLAY] = Rendition("display.webp", "image/webp", *marked.size)

    previous = display
    for name, target in sorted(THUMB_WIDTHS.items(), key=lambda item: -item[1]):
        thumb = previous.copy()
        if thumb.width > target:
            thumb = thumb.resize(
                (target, max(1, round(thumb.height * target / thumb.width))), Image.Resampling.LANCZOS
            )
        thumb.save(out_dir / f"{name}.webp", quality=80, method=3)
        renditions[name] = Rendition(f"{name}.webp", "image/webp", *thumb.size)
        previous = thumb

    tiny = previous.copy()
    tiny.thumbnail((32, 32), Image.Resampling.BILINEAR)
    blur_height = max(1, round(BLUR_WIDTH * height / width))
    blurred = tiny.convert("RGB").resize((BLUR_WIDTH, blur_height), Image.Resampling.BILINEAR)
    blurred = blurred.filter(ImageFilter.GaussianBlur(6))
    blurred.save(out_dir / "blurred.webp", quality=60, method=2)
    renditions[Variant.BLURRED] = Rendition("blurred.webp", "image/webp", *blurred.size)

    social = ImageOps.fit(display.convert("RGB"), SOCIAL_SIZE, Image.Resampling.BILINEAR)
    social.save(out_dir / "social.jpg", quality=85)
    renditions[Variant.SOCIAL] = Rendition("social.jpg", "image/jpeg", *SOCIAL_SIZE)

    return PipelineResult(renditions=renditions, phash=dhash(previous), width=width, height=height)


def ImageSequence(image: Image.Image) -> list[Image.Image]:
    from PIL import ImageSequence as sequence

    return [frame.copy() for frame in sequence.Iterator(image)]


# --- Video and audio ------------------------------------------------------------------------------
STRIP = ["-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]


def ladder_for(height: int) -> list[tuple[int, int, int]]:
    """The HLS rungs for a source of ``height`` lines: never upscaled beyond the source."""
    rungs = [rung for rung in HLS_LADDER if rung[0] <= height]
    if not rungs:
        lowest = HLS_LADDER[0]
        rungs = [(max(2, height - height % 2), lowest[1], lowest[2])]
    return rungs


def hls_args(
    source: Path, demuxer: str, *, height: int, has_audio: bool, preset: str = "veryfast"
) -> list[str]:
    """One ffmpeg run producing every rung: H.264 + AAC, 4 s segments, a master playlist."""
    rungs = ladder_for(height)
    splits = "".join(f"[s{index}]" for index in range(len(rungs)))
    graph = [f"[0:v:0]split={len(rungs)}{splits}"]
    graph += [f"[s{index}]scale=-2:{rung[0]}[v{index}]" for index, rung in enumerate(rungs)]
    args = [*ffmpeg.input_args(source, demuxer), "-filter_complex", ";".join(graph)]
    stream_map = []
    for index, (rung_height, video_kbps, audio_kbps) in enumerate(rungs):
        args += ["-map", f"[v{index}]"]
        args += [
            f"-b:v:{index}",
            f"{video_kbps}k",
            f"-maxrate:v:{index}",
            f"{int(video_kbps * 1.07)}k",
            f"-bufsize:v:{index}",
            f"{video_kbps * 2}k",
        ]
        entry = f"v:{index}"
        if has_audio:
            args += ["-map", "0:a:0", f"-b:a:{index}", f"{audio_kbps}k"]
            entry += f",a:{index}"
        stream_map.append(f"{entry},name:{rung_height}")
    args += [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "48",
        "-keyint_min",
        "48",
        "-sc_threshold",
        "0",
    ]
    if has_audio:
        args += ["-c:a", "aac", "-ac", "2", "-ar", "48000"]
    args += [
        *STRIP,
        "-f",
        "hls",
        "-hls_time",
        "4",
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "independent_segments",
        "-hls_segment_type",
        "mpegts",
        "-hls_segment_filename",
        "v%v/seg_%05d.ts",
        "-master_pl_name",
        "master.m3u8",
        "-var_stream_map",
        " ".join(stream_map),
        "v%v/index.m3u8",
    ]
    return args


def process_video(
    source: Path,
    *,
    demuxer: str,
    container: str,
    out_dir: Path,
    duration: float,
    height: int,
    has_audio: bool,
    on_progress: Callable[[int], None] | None = None,
) -> PipelineResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    renditions: dict[str, Rendition] = {}
    report = on_progress or (lambda percent: None)
    source_in = ffmpeg.input_args(source, demuxer)

    # Kept original: the same streams remuxed, every container/stream metadata tag dropped.
    extension = {"mov": "mov", "webm": "webm", "mkv": "mkv"}.get(container, "mp4")
    original = f"original.{extension}"
    mux = ["-movflags", "+faststart"] if extension in ("mp4", "mov") else []
    ffmpeg.run(
        [*source_in, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", *STRIP, *mux, original], cwd=out_dir
    )
    content_type = {"mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska"}.get(
        extension, "video/mp4"
    )
    renditions[Variant.ORIGINAL] = Rendition(original, content_type)
    report(10)

    hls_dir = out_dir / "hls"
    hls_dir.mkdir()
    ffmpeg.run(
        hls_args(source, demuxer, height=height, has_audio=has_audio),
        cwd=hls_dir,
        on_progress=lambda seconds: report(10 + int(75 * min(1.0, seconds / max(duration, 0.1)))),
    )
    files = sorted(str(path.relative_to(hls_dir)) for path in hls_dir.rglob("*") if path.is_file())
    renditions[Variant.HLS] = Rendition("hls", "application/vnd.apple.mpegurl", files=files)
    report(85)

    at = f"{min(1.0, duration / 2):.3f}"
    ffmpeg.run(
        [
            "-ss",
            at,
            *source_in,
            "-frames:v",
            "1",
            "-vf",
            "scale=-2:'min(720,ih)'",
            *STRIP,
            "-q:v",
            "3",
            "poster.jpg",
        ],
        cwd=out_dir,
    )
    renditions[Variant.POSTER] = Rendition("poster.jpg", "image/jpeg")
    tiles = 10
    ffmpeg.run(
        [
            *source_in,
            "-vf",
            f"fps={tiles}/{max(duration, 0.1):.3f},scale=160:-2,tile={tiles}x1",
            "-frames:v",
            "1",
            *STRIP,
            "-q:v",
            "5",
            "storyboard.jpg",
        ],
        cwd=out_dir,
    )
    renditions[Variant.STORYBOARD] = Rendition("storyboard.jpg", "image/jpeg")
    ffmpeg.run(
        [
            *source_in,
            "-t",
            f"{min(5.0, duration):.3f}",
            "-an",
            "-vf",
            "scale=-2:240,gblur=sigma=24",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "32",
            "-pix_fmt",
            "yuv420p",
            *STRIP,
            "-movflags",
            "+faststart",
            "teaser.mp4",
        ],
        cwd=out_dir,
    )
    renditions[Variant.TEASER] = Rendition("teaser.mp4", "video/mp4")
    report(95)
    return PipelineResult(renditions=renditions)


def process_audio(
    source: Path,
    *,
    demuxer: str,
    out_dir: Path,
    duration: float,
    on_progress: Callable[[int], None] | None = None,
) -> PipelineResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = on_progress or (lambda percent: None)
    source_in = ffmpeg.input_args(source, demuxer)
    ffmpeg.run(
        [
            *source_in,
            "-map",
            "0:a:0",
            "-vn",
            "-af",
            "loudnorm=I=-16:TP=-1.5:LRA=11",
            "-ar",
            "48000",
            "-c:a",
            "aac",
            "-b:a",
            "192k",
            *STRIP,
            "-movflags",
            "+faststart",
            "audio.m4a",
        ],
        cwd=out_dir,
        on_progress=lambda seconds: report(10 + int(70 * min(1.0, seconds / max(duration, 0.1)))),
    )
    ffmpeg.run(
        [
            *source_in,
            "-filter_complex",
            "[0:a:0]aformat=channel_layouts=mono,showwavespic=s=1200x200:colors=#a78bfa",
            "-frames:v",
            "1",
            *STRIP,
            "waveform.png",
        ],
        cwd=out_dir,
    )
    return PipelineResult(
        renditions={
            Variant.AUDIO: Rendition("audio.m4a", "audio/mp4"),
            Variant.WAVEFORM: Rendition("waveform.png", "image/png", 1200, 200),
        }
    )


def run_pipeline(
    kind: str,
    source: Path,
    *,
    source_format: str,
    out_dir: Path,
    handle: str,
    duration: float | None,
    height: int | None,
    has_audio: bool,
    on_progress: Callable[[int], None] | None = None,
) -> PipelineResult:
    from fanclub.media.constants import AV_FORMATS

    if kind == MediaKind.IMAGE:
        pillow_format = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "heic": "HEIF"}[
            source_format
        ]
        return process_image(source, pillow_format=pillow_format, out_dir=out_dir, handle=handle)
    demuxer = AV_FORMATS[source_format][1]
    if kind == MediaKind.VIDEO:
        return process_video(
            source,
            demuxer=demuxer,
            container=source_format,
            out_dir=out_dir,
            duration=duration or 0.0,
            height=height or 240,
            has_audio=has_audio,
            on_progress=on_progress,
        )
    return process_audio(
        source, demuxer=demuxer, out_dir=out_dir, duration=duration or 0.0, on_progress=on_progress
    )
