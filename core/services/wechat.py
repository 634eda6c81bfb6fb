"""The student's WeChat identity, behind one adapter.

The mini-program only asks for the WeChat nickname (seed, step 2); the stable key of a student
account is the ``openid``, which WeChat issues per user and per mini-program.

Production adapter (not built here), implementing :class:`IdentityProvider`:

1. the mini-program calls ``wx.login()`` and sends the one-time ``code`` with the nickname the
   student allowed it to read;
2. the server calls ``GET https://api.weixin.qq.com/sns/jscode2session?appid=…&secret=…&js_code=<code>
   &grant_type=authorization_code``, which answers ``{openid, session_key, unionid?}`` or an
   ``errcode`` (40029 invalid code, 45011 rate limit, -1 busy);
3. ``identify`` returns :class:`WeChatIdentity` (openid, nickname) or raises ``InvalidInput`` with
   the errcode, and never stores the ``session_key`` beyond the request.

The development adapter below derives the openid from the nickname, so the same nickname signs in
to the same account on every visit, in every browser. That is what a demo needs and is not
identity at all; it must never be configured in production.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from core.domain.access import public, pure
from core.domain.identity import normalise_text
from core.domain.text import Field, clean_text
from core.errors import InvalidInput
from core.models import StudentAccount
from core.services import linking

MAX_NICKNAME = 32


@dataclass(frozen=True)
class WeChatIdentity:
    openid: str
    nickname: str


class IdentityProvider(Protocol):
    """Turns what the mini-program sends (a ``wx.login`` code, or a nickname in development) into
    a WeChat identity."""

    def identify(self, credential: str, nickname: str) -> WeChatIdentity: ...


NICKNAME = Field("微信昵称", "WeChat nickname", 255)
"""Control characters are refused here; the nickname's own limit is checked after NFKC."""


@pure
def clean_nickname(nickname: str) -> str:
    cleaned = normalise_text(clean_text(nickname, NICKNAME))
    if not cleaned:
        raise InvalidInput("请填写微信昵称。", "Enter your WeChat nickname.")
    if len(cleaned) > MAX_NICKNAME:
        raise InvalidInput(f"昵称不能超过 {MAX_NICKNAME} 个字符。", f"The nickname is longer than {MAX_NICKNAME} characters.")
    return cleaned


class DevelopmentIdentityProvider:
    """A stable openid from the nickname (credential ignored): ``dev-`` + 28 hex digits."""

    def identify(self, credential: str, nickname: str) -> WeChatIdentity:
        cleaned = clean_nickname(nickname)
        digest = hashlib.sha256(f"workbench-dev-openid|{cleaned}".encode()).hexdigest()[:28]
        return WeChatIdentity(openid=f"dev-{digest}", nickname=cleaned)


provider: IdentityProvider = DevelopmentIdentityProvider()


@public
def sign_in(session: Session, nickname: str, credential: str = "") -> StudentAccount:
    """The account for this WeChat user, created on first sign-in; the nickname follows WeChat."""
    identity = provider.identify(credential, nickname)
    account = linking.sign_in(session, identity.openid, identity.nickname)
    if account.nickname != identity.nickname:
        account.nickname = identity.nickname
        session.flush()
    return account
