"""One error shape for every refusal: ``{"error": {"code", "message_zh", "message_en"}}``.

Domain errors keep the code and the bilingual message the rule that refused gave; the API's own
refusals (no token, too many requests, too large, not a photo) are worded here once.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.domain.contacts import CONTACTS
from core.errors import DomainError

STATUS_OF_CODE = {
    "not_found": 404,
    "access_denied": 403,
    "invalid_input": 422,
    "conflict": 409,
    "illegal_transition": 409,
    "link_refused": 409,
    "quota_exceeded": 409,
    "payment_required": 402,
    "capture_refused": 422,
    "photos_unavailable": 503,
}


class ApiError(DomainError):
    """A refusal of the API itself, with its HTTP status."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, headers: dict[str, str] | None = None,
                 **context: object) -> None:
        super().__init__(message_zh, message_en, **context)
        self.status = status
        self.code = code
        self.headers = headers


def body(code: str, message_zh: str, message_en: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message_zh": message_zh, "message_en": message_en, **jsonable_encoder(extra)}}


def respond(error: DomainError, **extra: Any) -> JSONResponse:
    status = error.status if isinstance(error, ApiError) else STATUS_OF_CODE.get(error.code, 400)
    headers = error.headers if isinstance(error, ApiError) else None
    return JSONResponse(body(error.code, error.message_zh, error.message_en, **extra), status_code=status,
                        headers=headers)


def unauthorised() -> ApiError:
    return ApiError(401, "unauthorised", "登录已过期或无效，请重新登录。", "Your sign-in is missing or has expired; sign in again.",
                    headers={"WWW-Authenticate": "Bearer"})


def rate_limited(retry_after: float) -> ApiError:
    seconds = max(1, int(retry_after + 0.999))
    return ApiError(429, "rate_limited", f"操作过于频繁，请 {seconds} 秒后再试。",
                    f"Too many requests; try again in {seconds} seconds.", headers={"Retry-After": str(seconds)})


async def domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return respond(error)


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "header", "path"))
              for item in error.errors()]
    named = "、".join(f for f in fields if f) or "?"
    return JSONResponse(body("invalid_input", f"请求内容不完整或格式不对：{named}。",
                             f"The request is incomplete or malformed: {named}.", fields=fields), status_code=422)


_HTTP_WORDS = {
    404: ("not_found", "请求的地址不存在。", "No such address."),
    405: ("method_not_allowed", "不支持该请求方法。", "This method is not allowed here."),
}


async def http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code, zh, en = _HTTP_WORDS.get(error.status_code, ("http_error", "请求无法处理。", "The request cannot be handled."))
    return JSONResponse(body(code, zh, en), status_code=error.status_code, headers=error.headers)


async def unexpected_error(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(body("internal_error", f"服务暂时出错，请稍后重试；如持续出现请联系客服 {CONTACTS.hotline}。",
                             f"Something went wrong on our side; try again, or call support {CONTACTS.hotline}."),
                        status_code=500)
