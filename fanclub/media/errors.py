"""Media errors: each has a stable ``code`` documented in docs/api.md (media section)."""

from __future__ import annotations

from fanclub.core.errors import ApiError


class MediaRejected(ApiError):
    """The uploaded bytes are not an acceptable media file; nothing of it was kept."""

    status = 422
    code = "media_rejected"


class UnsupportedMediaFormat(MediaRejected):
    status = 415
    code = "media_unsupported_format"


class MediaTooLarge(MediaRejected):
    status = 413
    code = "media_too_large"


class UploadOffsetMismatch(ApiError):
    status = 409
    code = "upload_offset_mismatch"


class UploadExpired(ApiError):
    status = 410
    code = "upload_expired"


class UploadIncomplete(ApiError):
    status = 409
    code = "upload_incomplete"
