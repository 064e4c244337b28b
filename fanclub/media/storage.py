"""Media storage: a private local folder (default) or any S3-compatible store, behind one interface.

Keys are relative paths (``{env}/{user_id}/{media_id}/{variant}.{ext}``); nothing here is ever
served directly: delivery streams through fanclub.media.views.deliver after the signature and the
access policy are checked.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from fanclub.core.jobs import RetryableJobError

CHUNK = 256 * 1024
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_\-./]*$")


class StorageUnavailable(RetryableJobError):
    """The object store did not answer (network, 5xx): worth retrying."""


def check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class MediaStorage(Protocol):
    name: str

    def put_file(self, key: str, path: Path, *, content_type: str) -> None: ...
    def download(self, key: str, path: Path) -> None: ...
    def local_path(self, key: str) -> Path | None: ...
    def size(self, key: str) -> int | None: ...
    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]: ...
    def read_bytes(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def move_prefix(self, source: str, destination: str) -> None: ...


class LocalStorage:
    """Files under MEDIA_ROOT (a private folder the static handler never serves)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(path, temporary)
        os.replace(temporary, target)

    def download(self, key: str, path: Path) -> None:
        shutil.copyfile(self.path(key), path)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with open(self.path(key), "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                block = handle.read(min(CHUNK, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def write_at(self, key: str, offset: int, stream: Readable, length: int) -> int:
        """Write ``length`` bytes from ``stream`` at ``offset`` (anything past offset is dropped
        first: a chunk cut off by a dropped connection is simply sent again). Returns bytes written."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "ab+") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            written = 0
            while written < length:
                try:
                    block = stream.read(min(CHUNK, length - written))
                except OSError:  # the client went away (UnreadablePostError, reset)
                    break
                if not block:
                    break
                handle.write(block)
                written += len(block)
            handle.flush()
            os.fsync(handle.fileno())
        return written

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        directory = self.path(prefix.rstrip("/"))
        if not directory.exists():
            return 0
        count = sum(1 for item in directory.rglob("*") if item.is_file())
        shutil.rmtree(directory)
        return count

    def list_keys(self, prefix: str) -> list[str]:
        directory = self.path(prefix.rstrip("/"))
        if not directory.exists():
            return []
        return sorted(str(item.relative_to(self.root)) for item in directory.rglob("*") if item.is_file())

    def move_prefix(self, source: str, destination: str) -> None:
        src = self.path(source.rstrip("/"))
        dst = self.path(destination.rstrip("/"))
        for item in sorted(src.rglob("*")):
            if item.is_file():
                target = dst / item.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)  # atomic per file, same filesystem
        shutil.rmtree(src, ignore_errors=True)


class S3Storage:
    """Any S3-compatible store (AWS, MinIO, Garage, Ceph...) through boto3."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        addressing_style: str = "path",
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except EndpointConnectionError as exc:
            raise StorageUnavailable(str(exc)) from exc
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500:
                raise StorageUnavailable(str(exc)) from exc
            raise
        except BotoCoreError as exc:
            raise StorageUnavailable(str(exc)) from exc

    def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        with open(path, "rb") as handle:
            self._call("put_object", Key=check_key(key), Body=handle, ContentType=content_type)

    def download(self, key: str, path: Path) -> None:
        response = self._call("get_object", Key=check_key(key))
        with open(path, "wb") as handle:
            for block in response["Body"].iter_chunks(CHUNK):
                handle.write(block)

    def local_path(self, key: str) -> Path | None:
        return None

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self._call("head_object", Key=check_key(key))["ContentLength"])
        except ClientError:
            return None

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        response = self._call("get_object", Key=check_key(key), Range=f"bytes={start}-{end}")
        yield from response["Body"].iter_chunks(CHUNK)

    def read_bytes(self, key: str) -> bytes:
        return bytes(self._call("get_object", Key=check_key(key))["Body"].read())

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=check_key(key))

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: str | None = None
        while True:
            extra: dict[str, Any] = {"ContinuationToken": token} if token else {}
            response = self._call("list_objects_v2", Prefix=check_key(prefix.rstrip("/")) + "/", **extra)
            keys.extend(item["Key"] for item in response.get("Contents", []))
            if not response.get("IsTruncated"):
                return keys
            token = response["NextContinuationToken"]

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self._call("delete_objects", Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def move_prefix(self, source: str, destination: str) -> None:
        source = source.rstrip("/")
        for key in self.list_keys(source):
            target = destination.rstrip("/") + key[len(source) :]
            self._call("copy_object", Key=check_key(target), CopySource={"Bucket": self.bucket, "Key": key})
        self.delete_prefix(source)

    # --- Multipart uploads with presigned part URLs (the browser PUTs parts straight to S3) ------
    def multipart_create(self, key: str, *, content_type: str) -> str:
        response = self._call("create_multipart_upload", Key=check_key(key), ContentType=content_type)
        return str(response["UploadId"])

    def multipart_presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        return str(
            self.client.generate_presigned_url(
                "upload_part",
                Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number},
                ExpiresIn=expires,
            )
        )

    def multipart_parts(self, key: str, upload_id: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            response = self._call("list_parts", Key=key, UploadId=upload_id, PartNumberMarker=marker)
            parts.extend(
                {"partNumber": p["PartNumber"], "etag": p["ETag"], "size": p["Size"]}
                for p in response.get("Parts", [])
            )
            if not response.get("IsTruncated"):
                return parts
            marker = response["NextPartNumberMarker"]

    def multipart_complete(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self._call(
            "complete_multipart_upload",
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["partNumber"], "ETag": p["etag"]} for p in parts]},
        )

    def multipart_abort(self, key: str, upload_id: str) -> None:
        from botocore.exceptions import ClientError

        with contextlib.suppress(ClientError):  # already completed or aborted
            self._call("abort_multipart_upload", Key=key, UploadId=upload_id)


@functools.cache
def get_storage() -> LocalStorage | S3Storage:
    """The configured backend (cached; tests that switch backends call ``get_storage.cache_clear()``)."""
    if settings.MEDIA_STORAGE == "s3":
        return S3Storage(
            bucket=settings.S3_BUCKET,
            endpoint_url=settings.S3_ENDPOINT_URL,
            region=settings.S3_REGION,
            access_key_id=settings.S3_ACCESS_KEY_ID,
            secret_access_key=settings.S3_SECRET_ACCESS_KEY,
            addressing_style=settings.S3_ADDRESSING_STYLE,
        )
    return LocalStorage(Path(settings.MEDIA_ROOT))


def media_prefix(*, owner_id: int, media_id: object) -> str:
    return f"{settings.MEDIA_STORAGE_ENV}/{owner_id}/{media_id}"


def staging_prefix(*, media_id: object) -> str:
    return f"{settings.MEDIA_STORAGE_ENV}/_staging/{media_id}"


def upload_key(*, upload_id: object) -> str:
    return f"{settings.MEDIA_STORAGE_ENV}/_uploads/{upload_id}"
