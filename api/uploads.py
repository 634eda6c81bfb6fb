"""Photos arriving over HTTP: a size limit enforced before the body is parsed and again while the
file is read, and the type sniffed from the bytes (the part's declared type is the client's word);
decoding itself is left to ``core.imaging.loading``, the one image loader."""

from __future__ import annotations

from fastapi import Request, UploadFile

from api.errors import ApiError
from core.services.submissions import MAX_CAPTURE_BYTES

MULTIPART_OVERHEAD = 64 * 1024
CODE_IMAGE_BYTES = 10 * 1024 * 1024
JSON_BYTES = 64 * 1024

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG, WebP or HEIF, as phones deliver), else None."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heif"
    return None


def too_large(limit: int) -> ApiError:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return ApiError(413, "payload_too_large", f"内容过大，上限 {size}。", f"Too large: the limit is {size}.")


def body_limit(content_type: str) -> int:
    """A multipart body carries one photo at most; anything else is a small JSON document."""
    return MAX_CAPTURE_BYTES + MULTIPART_OVERHEAD if content_type.startswith("multipart/") else JSON_BYTES


def check_length(request: Request, limit: int) -> None:
    """Refuses a body by its Content-Length before a byte of it is parsed; a chunked body (no
    length given) is refused too, so nothing unbounded is spooled to disk."""
    length = request.headers.get("content-length")
    if length is None:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            raise ApiError(411, "length_required", "请求缺少 Content-Length。", "The request needs a Content-Length header.")
        return
    if not length.isdigit():
        raise ApiError(400, "invalid_input", "Content-Length 无效。", "The Content-Length header is invalid.")
    if int(length) > limit:
        raise too_large(limit - MULTIPART_OVERHEAD if limit > MULTIPART_OVERHEAD * 2 else limit)


async def read_image(upload: UploadFile, limit: int = MAX_CAPTURE_BYTES) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data:
        raise ApiError(422, "invalid_input", "没有收到照片，请重新拍摄。", "No photo was received; take it again.")
    if sniff(data) is None:
        raise ApiError(415, "unsupported_media_type", "文件不是照片（支持 JPEG、PNG、WebP、HEIF），请重新拍摄。",
                       "The file is not a photo (JPEG, PNG, WebP or HEIF); take it again.")
    return data
