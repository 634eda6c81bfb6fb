"""The student HTTP JSON API for the WeChat mini-program, over ``core.services.student_app``.

Versioned under ``/api/v1``; the OpenAPI document is ``/api/v1/openapi.json`` and a docs page
rendered from it (no script from a CDN) is ``/api/v1/docs``. A student signs in with the
``wx.login`` code and gets an expiring bearer token; every other call is that student's own.
Calls that create something need an ``Idempotency-Key``; refusals share one JSON shape
(``api.errors``). Endpoints are plain functions FastAPI runs in its thread pool, since the
services are synchronous; only the long poll of a capture waits on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import errors, limits, uploads, wechatpay
from api.errors import ApiError
from core.config import Settings, settings
from core.db import Database, default_database
from core.domain.access import Actor
from core.domain.enums import ConsentChannel, NotificationConsent, PaymentPurpose
from core.errors import DomainError
from core.services import idempotency, student_app, student_flow
from core.services.linking import MailingAddress
from core.services.student_app import (
    AccountView,
    Camera,
    CaptureSource,
    CaptureStatus,
    CaptureView,
    ConsentView,
    IdentityCheck,
    MakeupPoint,
    MessageView,
    Notice,
    OrderView,
    Rules,
    SignedIn,
)
from core.services.student_flow import SchoolHit, StudentStatus, TaskChoice
from core.storage.photos import PhotoStore, default_photo_store

PREFIX = "/api/v1"
SIGN_INS_PER_ADDRESS = 30
"""Sign-ins a minute from one address: each one makes a token row, and WeChat limits code2session too."""
LONG_POLL_MAX_SECONDS = 25.0
POLL_INTERVAL_SECONDS = 0.5


class CaptureWatch:
    """The long polls of one process share one query: every ``interval`` the captures still
    waited on are checked together (``student_flow.still_waiting``), and a waiter reads its full
    view again only once its capture has left processing. A poll per waiter per tick would cost
    a session, the policy and the quota usage each, for hundreds of phones waiting at once."""

    def __init__(self, db: Database, interval: float = POLL_INTERVAL_SECONDS) -> None:
        self.db = db
        self.interval = interval
        self._waiting: dict[tuple[int, int], set[asyncio.Event]] = {}
        self._ticker: asyncio.Task[None] | None = None

    async def settled(self, account_id: int, capture_id: int, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds for the capture to leave processing; True if it did."""
        key, done = (account_id, capture_id), asyncio.Event()
        self._waiting.setdefault(key, set()).add(done)
        loop = asyncio.get_running_loop()
        if self._ticker is None or self._ticker.done() or self._ticker.get_loop() is not loop:
            self._ticker = loop.create_task(self._tick())
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            events = self._waiting.get(key, set())
            events.discard(done)
            if not events:
                self._waiting.pop(key, None)
            if not self._waiting and self._ticker is not None:
                self._ticker.cancel()
                self._ticker = None
        return done.is_set()

    async def _tick(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.interval)
            keys = list(self._waiting)
            try:
                waiting = await run_in_threadpool(self._still_waiting, keys)
            except Exception:  # the waiters read their own view and report what went wrong
                waiting = set()
            for key in keys:
                if key[1] not in waiting:
                    for done in self._waiting.get(key, ()):
                        done.set()

    def _still_waiting(self, keys: list[tuple[int, int]]) -> set[int]:
        with self.db.session() as session:
            return student_flow.still_waiting(session, keys)


@dataclass
class Services:
    """What the endpoints need, fixed when the app is made (tests make their own)."""

    db: Database
    store: PhotoStore
    config: Settings
    limiter: limits.RateLimiter
    verifier: wechatpay.NotifyVerifier
    platform: wechatpay.DevelopmentPlatform | None
    watch: CaptureWatch


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_student(request: Request, svc: ServicesDep,
                    authorization: Annotated[str | None, Header()] = None) -> Actor:
    """The student the bearer token names; counts the request against their rate limit."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.unauthorised()
    with svc.db.session() as session:
        actor = student_app.authenticate(session, token.strip())
    if actor is None:
        raise errors.unauthorised()
    if (wait := svc.limiter.hit(f"student:{actor.id}", svc.config.api_rate_student)) is not None:
        raise errors.rate_limited(wait)
    request.state.token = token.strip()
    return actor


Student = Annotated[Actor, Depends(current_student)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key",
                                              description="8-64 characters; a retry with the same key gets the first answer")]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def idempotent(svc: Services, actor: Actor, key: str | None, fingerprint: str,
               action: Callable[[Session], tuple[int, Any]]) -> JSONResponse:
    """Runs ``action`` once per key: the key, the effect and the answer commit together; a retry
    (or a racing copy, which waits on the key's unique index) gets the stored answer."""
    for attempt in range(2):
        try:
            with svc.db.session() as session:
                earlier = idempotency.claim(session, actor, key, fingerprint)
                if earlier is not None:
                    return JSONResponse(earlier.body, earlier.status_code, headers={"Idempotent-Replayed": "true"})
                status, payload = action(session)
                content = jsonable_encoder(payload)
                idempotency.answer(session, actor, key or "", status, content)
            return JSONResponse(content, status)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _check_response(view: IdentityCheck, success_status: int) -> tuple[int, Any]:
    if view.matched:
        return success_status, view
    return 409, errors.body(view.error_code or "link_refused", view.message_zh or "", view.message_en or "",
                            attempts_left=view.attempts_left, locked_until=view.locked_until)


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: not_found, invalid_input, quota_exceeded, …")
    message_zh: str
    message_en: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": what} for status, what in (
        (401, "no valid bearer token"), (403, "not the student's own data"), (404, "not found"),
        (409, "refused by the rules (conflict, quota, link refused, …)"), (422, "invalid input"),
        (429, "rate limited (Retry-After)"))
}
router = APIRouter(prefix=PREFIX, responses=_ERRORS)


# ---- sign-in, account, notice ------------------------------------------------------------------


class SignInRequest(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="wx.login() code (development: any text)")
    nickname: str = Field(min_length=1, max_length=255, description="the WeChat nickname the student shared")


@router.post("/sessions", status_code=201, response_model=SignedIn, tags=["sign-in"])
def sign_in(body: SignInRequest, request: Request, svc: ServicesDep) -> SignedIn:
    """Sign in with the WeChat ``code``: returns a bearer token that expires."""
    if (wait := svc.limiter.hit(f"signin:{client_address(request)}", SIGN_INS_PER_ADDRESS)) is not None:
        raise errors.rate_limited(wait)
    with svc.db.session() as session:
        return student_app.sign_in(session, body.code, body.nickname, token_minutes=svc.config.api_token_minutes)


@router.delete("/sessions/current", status_code=204, tags=["sign-in"])
def sign_out(actor: Student, request: Request, svc: ServicesDep) -> Response:
    with svc.db.session() as session:
        student_app.sign_out(session, actor, request.state.token)
    return Response(status_code=204)


@router.get("/me", response_model=AccountView, tags=["sign-in"])
def me(actor: Student, svc: ServicesDep) -> AccountView:
    with svc.db.session() as session:
        return student_app.account(session, actor)


@router.get("/rules", response_model=Rules, tags=["information"])
def rules(svc: ServicesDep) -> Rules:
    """The allowances in force (from the effective policy) and the support contacts."""
    with svc.db.session() as session:
        return student_app.rules(session)


@router.get("/notice", response_model=Notice, tags=["sign-in"])
def notice(actor: Student, svc: ServicesDep) -> Notice:
    with svc.db.session() as session:
        return student_app.notice(session, actor)


@router.post("/notice/acknowledge", response_model=AccountView, tags=["sign-in"])
def acknowledge_notice(actor: Student, svc: ServicesDep) -> AccountView:
    with svc.db.session() as session:
        return student_app.acknowledge_notice(session, actor)


# ---- school, task, identity, link ----------------------------------------------------------------


@router.get("/schools", response_model=list[SchoolHit], tags=["school and task"])
def search_schools(actor: Student, svc: ServicesDep, q: Annotated[str, Query(max_length=64)] = "") -> list[SchoolHit]:
    """Schools with an open task: name, characters in order (武大), pinyin initials or the school code."""
    with svc.db.session() as session:
        return student_app.search_schools(session, q)


@router.get("/schools/{school_id}/tasks", response_model=list[TaskChoice], tags=["school and task"])
def open_tasks(school_id: int, actor: Student, svc: ServicesDep) -> list[TaskChoice]:
    with svc.db.session() as session:
        return student_app.open_tasks(session, school_id)


@router.get("/schools/{school_id}/makeup-points", response_model=list[MakeupPoint], tags=["information"])
def makeup_points(school_id: int, actor: Student, svc: ServicesDep) -> list[MakeupPoint]:
    with svc.db.session() as session:
        return student_app.makeup_points(session, school_id)


IdentityForm = tuple[int, str, str, str, bool, bytes | None]


async def _identity_form(
    task_id: Annotated[int, Form()],
    name: Annotated[str, Form(max_length=64)],
    student_number: Annotated[str, Form(max_length=64)],
    id_last4: Annotated[str, Form(max_length=16)],
    temporary: Annotated[bool, Form(description="temporary shooting code: no CHSI code yet")] = False,
    code_image: Annotated[UploadFile | None, File(description="the CHSI collection code image")] = None,
) -> IdentityForm:
    image = await uploads.read_image(code_image, uploads.CODE_IMAGE_BYTES) if code_image is not None else None
    return task_id, name, student_number, id_last4, temporary, image


IdentityFormDep = Annotated[IdentityForm, Depends(_identity_form)]


@router.post("/identity-checks", response_model=IdentityCheck, tags=["school and task"], responses={409: {"description": "not matched (attempts_left)"}})
def check_identity(actor: Student, svc: ServicesDep, form: IdentityFormDep) -> JSONResponse:
    """身份核验: shows the masked record to confirm; failures count towards the lock."""
    task_id, name, number, last4, temporary, image = form
    with svc.db.session() as session:
        view = student_app.check_identity(session, actor, task_id, name, number, last4, code_image=image,
                                          temporary=temporary)
    status, payload = _check_response(view, 200)
    return JSONResponse(jsonable_encoder(payload), status)


@router.post("/links", status_code=201, response_model=IdentityCheck, tags=["school and task"], responses={409: {"description": "not matched (attempts_left)"}})
def link_task(actor: Student, svc: ServicesDep, form: IdentityFormDep, idempotency_key: IdempotencyKey = None,
              recipient: Annotated[str | None, Form(max_length=64)] = None,
              phone: Annotated[str | None, Form(max_length=32)] = None,
              address: Annotated[str | None, Form(max_length=400)] = None) -> JSONResponse:
    """关联任务 with the same details as the check (and the postal address when the task mails photos)."""
    task_id, name, number, last4, temporary, image = form
    mailing = MailingAddress(recipient or "", phone or "", address or "") if (recipient or phone or address) else None
    fingerprint = _fingerprint("link", task_id, name, number, last4, temporary,
                               hashlib.sha256(image or b"").hexdigest(), recipient, phone, address)
    return idempotent(svc, actor, idempotency_key, fingerprint, lambda session: _check_response(
        student_app.link_task(session, actor, task_id, name, number, last4, code_image=image, temporary=temporary,
                              mailing_address=mailing), 201))


@router.delete("/links/current", status_code=204, tags=["school and task"])
def unbind(actor: Student, svc: ServicesDep) -> Response:
    """帐号解绑 (refused once the task is paid)."""
    with svc.db.session() as session:
        student_app.unbind(session, actor)
    return Response(status_code=204)


class StatusResponse(BaseModel):
    linked: bool
    status: StudentStatus | None


@router.get("/status", response_model=StatusResponse, tags=["status"])
def status(actor: Student, svc: ServicesDep) -> StatusResponse:
    """查看采集结果: stages, allowances left, what the next photo uses, the rejection reason."""
    with svc.db.session() as session:
        summary = student_app.status(session, actor)
    return StatusResponse(linked=summary is not None, status=summary)


# ---- payment -------------------------------------------------------------------------------------


class OrderRequest(BaseModel):
    purpose: PaymentPurpose = PaymentPurpose.TASK_FEE


@router.post("/orders", status_code=201, response_model=OrderView, tags=["payment"])
def open_order(body: OrderRequest, actor: Student, svc: ServicesDep,
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The order for the task fee (or a 1-yuan extra); a retry reuses the same order number."""
    return idempotent(svc, actor, idempotency_key, _fingerprint("order", body.purpose.value),
                      lambda session: (201, student_app.open_order(session, actor, body.purpose)))


@router.get("/orders/{order_no}", response_model=OrderView, tags=["payment"])
def order(order_no: Annotated[str, Path(max_length=64)], actor: Student, svc: ServicesDep) -> OrderView:
    with svc.db.session() as session:
        return student_app.order(session, actor, order_no)


class DevelopmentPayment(BaseModel):
    fail: bool = False


def _notified(svc: Services, headers: dict[str, str], body: bytes) -> OrderView:
    try:
        transaction = svc.verifier.verify(headers, body)
    except wechatpay.NotificationRefused as refused:
        raise ApiError(401, "signature_invalid", "支付通知签名验证失败。", "The payment notification's signature is invalid.",
                       reason=str(refused)) from refused
    with svc.db.session() as session:
        return student_app.payment_notified(session, transaction.out_trade_no, transaction.transaction_id,
                                            transaction.trade_state, transaction.amount_total)


@router.post("/orders/{order_no}/development-payment", response_model=OrderView, tags=["payment"])
def development_payment(order_no: Annotated[str, Path(max_length=64)], body: DevelopmentPayment, actor: Student, svc: ServicesDep) -> OrderView:
    """Development only (404 with production keys): the development platform signs a WeChat Pay
    notification for the order, which goes through the same verification as the real one."""
    if svc.platform is None:
        raise ApiError(404, "not_found", "请求的地址不存在。", "No such address.")
    with svc.db.session() as session:
        view = student_app.order(session, actor, order_no)
    headers, payload = svc.platform.notification(order_no, view.amount_fen,
                                                 trade_state="PAYERROR" if body.fail else "SUCCESS")
    return _notified(svc, {k.lower(): v for k, v in headers.items()}, payload)


@router.post("/payments/wechat/notify", status_code=204, tags=["payment"],
             responses={401: {"description": "signature invalid"}})
async def wechat_pay_notify(request: Request) -> Response:
    """WeChat Pay v3 notify URL: signature verified, resource decrypted, applied at most once."""
    svc: Services = request.app.state.services
    payload = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        await run_in_threadpool(_notified, svc, headers, payload)
    except DomainError as error:  # WeChat Pay reads code/message; our clients read error
        return JSONResponse({"code": "FAIL", "message": error.message_zh,
                             **errors.body(error.code, error.message_zh, error.message_en)},
                            status_code=errors.respond(error).status_code)
    return Response(status_code=204)


# ---- capture, standardisation, submission ------------------------------------------------------


@router.post("/captures", status_code=202, response_model=CaptureView, tags=["photo"])
async def upload_capture(
    actor: Student, svc: ServicesDep,
    photo: Annotated[UploadFile, File(description="the live capture (wx.chooseMedia tempFile)")],
    source: Annotated[CaptureSource, Form(description="sourceType the photo came from")] = CaptureSource.CAMERA,
    camera: Annotated[Camera, Form()] = Camera.BACK,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """制作: the photo goes to the worker (one of today's standardisations); poll ``GET /captures/{id}``."""
    raw = await uploads.read_image(photo)
    fingerprint = _fingerprint("capture", hashlib.sha256(raw).hexdigest(), source.value, camera.value)

    def create(session: Session) -> tuple[int, Any]:
        return 202, student_app.upload_capture(session, actor, raw, svc.store, source=source, camera=camera)

    response = await run_in_threadpool(idempotent, svc, actor, idempotency_key, fingerprint, create)
    if response.status_code == 202:
        response.headers["Location"] = f"{PREFIX}/captures/{json.loads(bytes(response.body))['id']}"
    return response


@router.get("/captures/{capture_id}", response_model=CaptureView, tags=["photo"])
async def capture(capture_id: int, actor: Student, svc: ServicesDep,
                  wait: Annotated[float, Query(ge=0, le=LONG_POLL_MAX_SECONDS,
                                               description="long poll: wait up to this many seconds")] = 0) -> CaptureView:
    """Where the standardisation is: processing, ready (with the quality report), refused."""

    def read() -> CaptureView:
        with svc.db.session() as session:
            return student_app.capture(session, actor, capture_id)

    view = await run_in_threadpool(read)
    if view.status is not CaptureStatus.PROCESSING or wait <= 0 or actor.id is None:
        return view
    if await svc.watch.settled(actor.id, capture_id, wait):
        view = await run_in_threadpool(read)
    return view


@router.get("/captures/{capture_id}/photo", tags=["photo"], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def capture_photo(capture_id: int, actor: Student, svc: ServicesDep) -> Response:
    with svc.db.session() as session:
        jpeg = student_app.capture_photo(session, actor, capture_id, svc.store)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/captures/{capture_id}/discard", response_model=CaptureView, tags=["photo"])
def discard_capture(capture_id: int, actor: Student, svc: ServicesDep) -> CaptureView:
    """重拍 before submitting (the standardisation stays used)."""
    with svc.db.session() as session:
        return student_app.discard_capture(session, actor, capture_id)


@router.post("/captures/{capture_id}/submit", response_model=CaptureView, tags=["photo"])
def submit_capture(capture_id: int, actor: Student, svc: ServicesDep,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """二次确认后提交审核: uses a submission (or the replacement) as the policy says."""
    return idempotent(svc, actor, idempotency_key, _fingerprint("submit", capture_id),
                      lambda session: (200, student_app.submit_capture(session, actor, capture_id)))


@router.get("/photo", tags=["status"], response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def approved_photo(actor: Student, svc: ServicesDep) -> Response:
    """下载审核通过的照片."""
    with svc.db.session() as session:
        photo = student_app.approved_photo(session, actor, svc.store)
    return Response(photo.jpeg, media_type="image/jpeg",
                    headers={"Content-Disposition": f'attachment; filename="{photo.file_name}"'})


# ---- inbox and the collection code later -------------------------------------------------------


@router.get("/messages", response_model=list[MessageView], tags=["status"])
def inbox(actor: Student, svc: ServicesDep) -> list[MessageView]:
    with svc.db.session() as session:
        return student_app.inbox(session, actor)


@router.post("/messages/read", status_code=204, tags=["status"])
def mark_messages_read(actor: Student, svc: ServicesDep) -> Response:
    with svc.db.session() as session:
        student_app.mark_messages_read(session, actor)
    return Response(status_code=204)


class ConsentRequest(BaseModel):
    consent: NotificationConsent = Field(description="granted: results also arrive as WeChat subscription "
                                                     "messages; declined: in the message list only")


@router.get("/notification-consent", response_model=ConsentView, tags=["status"])
def notification_consent(actor: Student, svc: ServicesDep) -> ConsentView:
    """微信通知授权: the student's answer, when and through which channel (consent null = not asked yet;
    ask after the photo is submitted)."""
    with svc.db.session() as session:
        return student_app.notification_consent(session, actor)


@router.put("/notification-consent", response_model=ConsentView, tags=["status"])
def set_notification_consent(actor: Student, svc: ServicesDep, body: ConsentRequest) -> ConsentView:
    """Allow or decline WeChat subscription messages, at any time. Every notice stays in
    ``GET /messages`` either way; WeChat messages are sent only while the answer is granted."""
    with svc.db.session() as session:
        return student_app.set_notification_consent(session, actor, body.consent, ConsentChannel.API)


@router.post("/collection-code", response_model=StudentStatus, tags=["status"])
async def upload_collection_code(actor: Student, svc: ServicesDep,
                                 code_image: Annotated[UploadFile, File()]) -> StudentStatus:
    """上传采集码 after shooting on a temporary shooting code."""
    image = await uploads.read_image(code_image, uploads.CODE_IMAGE_BYTES)

    def link() -> StudentStatus:
        with svc.db.session() as session:
            return student_app.upload_collection_code(session, actor, image)

    return await run_in_threadpool(link)


# ---- the app -----------------------------------------------------------------------------------


def docs_page(app: FastAPI) -> str:
    """A plain page of every endpoint from the OpenAPI document, served by us (no CDN script)."""
    rows = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            params = ", ".join(p["name"] for p in operation.get("parameters", []))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(operation.get('summary', ''))}</td>"
                        f"<td>{html.escape(operation.get('description', '').strip())}</td>"
                        f"<td>{html.escape(params)}</td></tr>")
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>学生端 API v1</title>"
            f"<body style='font-family:sans-serif'><h1>学历图像采集 · 学生端 API v1</h1>"
            f"<p>OpenAPI: <a href='{PREFIX}/openapi.json'>{PREFIX}/openapi.json</a>. "
            f"Authorization: Bearer &lt;token&gt; from <code>POST {PREFIX}/sessions</code>; "
            f"calls that create something need an <code>Idempotency-Key</code> header.</p>"
            f"<table border='1' cellpadding='4' style='border-collapse:collapse'>"
            f"<tr><th>method</th><th>path</th><th>summary</th><th>what it does</th><th>parameters</th></tr>"
            f"{''.join(rows)}</table></body></html>")


class AddressLimitAndBodySize:
    """Every request counts against its address (except WeChat Pay's own notifications), and a
    body is refused by its declared length before anything parses or spools it. Plain ASGI, not
    ``@app.middleware``: that wrapper spawns a task and a stream per request, which every request
    of every student pays for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = await self._refusal(Request(scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refusal(request: Request) -> Response | None:
        svc: Services = request.app.state.services
        if request.url.path != f"{PREFIX}/payments/wechat/notify":
            wait = await svc.limiter.hit_async(f"address:{client_address(request)}", svc.config.api_rate_address)
            if wait is not None:
                return errors.respond(errors.rate_limited(wait))
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                uploads.check_length(request, uploads.body_limit(request.headers.get("content-type", "")))
            except ApiError as refused:
                return errors.respond(refused)
        return None


def create_app(db: Database | None = None, store: PhotoStore | None = None, *, config: Settings | None = None,
               limiter: limits.RateLimiter | None = None) -> FastAPI:
    config = config or settings()
    verifier, platform = wechatpay.configured(config)
    app = FastAPI(title="学历图像采集 · 学生端 API", version="1.0.0", openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=None, redoc_url=None,
                  description="The WeChat mini-program's API. Errors: "
                              '{"error": {"code", "message_zh", "message_en"}}.')
    database = db or default_database()
    app.state.services = Services(database, store or default_photo_store(), config,
                                  limiter or limits.configured(config.queue), verifier, platform, CaptureWatch(database))
    app.include_router(router)
    app.add_exception_handler(DomainError, errors.domain_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(Exception, errors.unexpected_error)

    app.add_middleware(AddressLimitAndBodySize)
    if config.api_trusted_proxies:  # outermost: the limits count the phone the load balancer names
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=config.api_trusted_proxies)

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(app))

    return app
