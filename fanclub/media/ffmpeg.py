"""Running ffmpeg safely: local files only, a forced input format, a timeout and a memory bound.

The binary is the static build shipped by imageio-ffmpeg (libx264 + aac). Every input is opened
with ``-protocol_whitelist file`` and an explicit demuxer (never guessed from the name), so a
playlist or a reference to another file or URL cannot be followed; MOV external data references
stay disabled (``-enable_drefs 0``). The child runs in its own session with RLIMIT_AS/RLIMIT_CPU
and an empty environment, and is killed (with its group) on timeout.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings


class FfmpegError(Exception):
    def __init__(self, message: str, *, stderr: str = "", timed_out: bool = False) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.timed_out = timed_out


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def input_args(path: Path, demuxer: str) -> list[str]:
    """Arguments opening ``path`` as a local file with the given demuxer, and nothing else."""
    args = ["-protocol_whitelist", "file", "-f", demuxer]
    if demuxer == "mov":
        args += ["-enable_drefs", "0", "-use_absolute_path", "0"]
    return [*args, "-i", f"file:{path}"]


def _limits(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run(
    args: Sequence[str],
    *,
    timeout: float | None = None,
    cwd: Path | None = None,
    on_progress: Callable[[float], None] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with ``args``; ``on_progress`` receives encoded seconds (from ``-progress``)."""
    timeout = timeout or settings.MEDIA_FFMPEG_TIMEOUT_SECONDS
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y"]
    if on_progress is not None:
        command += ["-progress", "pipe:1", "-nostats"]
    command += list(args)
    process = subprocess.Popen(  # noqa: S603 - fixed binary, argument list, no shell
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        start_new_session=True,
        preexec_fn=_limits(settings.MEDIA_FFMPEG_MEMORY_MB, int(timeout) * 2),
        text=True,
    )
    try:
        if on_progress is not None and process.stdout is not None:
            stderr_lines: list[str] = []
            import threading

            assert process.stderr is not None
            stderr_pipe = process.stderr
            reader = threading.Thread(target=lambda: stderr_lines.extend(stderr_pipe), daemon=True)
            reader.start()
            _follow_progress(process, on_progress, timeout)
            process.wait(timeout=timeout)
            reader.join(5)
            stdout, stderr = "", "".join(stderr_lines)
        else:
            stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise FfmpegError("ffmpeg took too long", timed_out=True) from exc
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if check and process.returncode != 0:
        raise FfmpegError(f"ffmpeg exited with {process.returncode}", stderr=stderr[-4000:])
    return result


def _follow_progress(
    process: subprocess.Popen[str], on_progress: Callable[[float], None], timeout: float
) -> None:
    import time

    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("out_time_us="):
            value = line.split("=", 1)[1].strip()
            if value.isdigit():
                on_progress(int(value) / 1_000_000)
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(process.args, timeout)


@dataclass
class ProbeResult:
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_video: bool = False
    has_audio: bool = False
    rotation: int = 0
    raw: str = field(default="", repr=False)


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+)(.*)")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio: (\w+)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")


def probe(path: Path, demuxer: str, *, timeout: float = 30) -> ProbeResult:
    """Container facts from ``ffmpeg -i`` (no ffprobe in the bundled build)."""
    result = run([*input_args(path, demuxer)], timeout=timeout, check=False)
    text = result.stderr
    if "Input #0" not in text:
        raise FfmpegError("not a readable media file", stderr=text[-2000:])
    info = ProbeResult(raw=text)
    match = _DURATION.search(text)
    if match:
        hours, minutes, seconds = match.groups()
        info.duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    for line in text.splitlines():
        video = _VIDEO.search(line)
        if video and "(attached pic)" not in line and not info.has_video:
            info.has_video = True
            info.video_codec = video.group(1)
            size = _SIZE.search(video.group(2))
            if size:
                info.width, info.height = int(size.group(1)), int(size.group(2))
        audio = _AUDIO.search(line)
        if audio and not info.has_audio:
            info.has_audio = True
            info.audio_codec = audio.group(1)
    rotation = _ROTATION.search(text)
    if rotation:
        info.rotation = int(float(rotation.group(1))) % 360
        if info.rotation in (90, 270) and info.width and info.height:
            info.width, info.height = info.height, info.width
    return info
