"""WeChat Pay API v3 payment notifications: signature verification and resource decryption.

WeChat signs each notification with its platform key: ``Wechatpay-Signature`` is base64
RSA-SHA256 (PKCS#1 v1.5) over ``"{Wechatpay-Timestamp}\\n{Wechatpay-Nonce}\\n{body}\\n"``; the
transaction inside is encrypted with the merchant's APIv3 key (AEAD_AES_256_GCM). A notification
older than five minutes is refused (a replay). Production reads the platform public key and the
APIv3 key from configuration (``core.config``); without them, a development platform with keys
generated at start-up signs and encrypts notifications for the development payment flow and tests.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config import Settings

MAX_AGE_SECONDS = 300


class NotificationRefused(Exception):
    """Not a genuine, fresh WeChat Pay notification (the reason is for our log, not for WeChat)."""


@dataclass(frozen=True)
class Transaction:
    """The decrypted ``transaction`` resource, as much of it as we act on."""

    out_trade_no: str
    transaction_id: str
    trade_state: str
    amount_total: int


class NotifyVerifier:
    def __init__(self, platform_key: rsa.RSAPublicKey, apiv3_key: bytes, serial: str | None = None) -> None:
        if len(apiv3_key) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self._key = platform_key
        self._aead = AESGCM(apiv3_key)
        self.serial = serial

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> Transaction:
        try:
            timestamp = headers["wechatpay-timestamp"]
            nonce = headers["wechatpay-nonce"]
            signature = base64.b64decode(headers["wechatpay-signature"], validate=True)
        except (KeyError, ValueError) as missing:
            raise NotificationRefused("missing or malformed signature headers") from missing
        if self.serial is not None and headers.get("wechatpay-serial") != self.serial:
            raise NotificationRefused("unknown platform certificate serial")
        if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > MAX_AGE_SECONDS:
            raise NotificationRefused("stale or malformed timestamp")
        message = b"%s\n%s\n%s\n" % (timestamp.encode(), nonce.encode(), body)
        try:
            self._key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as forged:
            raise NotificationRefused("signature does not verify") from forged
        try:
            resource = json.loads(body)["resource"]
            if resource["algorithm"] != "AEAD_AES_256_GCM":
                raise NotificationRefused("unknown resource algorithm")
            plain = self._aead.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                       (resource.get("associated_data") or "").encode())
            data = json.loads(plain)
            return Transaction(str(data["out_trade_no"]), str(data.get("transaction_id", "")),
                               str(data["trade_state"]), int(data["amount"]["total"]))
        except NotificationRefused:
            raise
        except (KeyError, TypeError, ValueError, InvalidTag) as bad:
            raise NotificationRefused("resource cannot be decrypted or read") from bad


class DevelopmentPlatform:
    """Stands in for WeChat Pay's platform: signs and encrypts notifications with keys made when
    the server starts (nothing is configured, nothing leaves the machine)."""

    def __init__(self) -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.apiv3_key = secrets.token_hex(16).encode()
        self.serial = secrets.token_hex(20).upper()

    def verifier(self) -> NotifyVerifier:
        return NotifyVerifier(self._private.public_key(), self.apiv3_key, self.serial)

    def public_key_pem(self) -> bytes:
        """The platform key as production configures it (a PEM file)."""
        return self._private.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)

    def notification(self, order_no: str, amount_fen: int, *, trade_state: str = "SUCCESS",
                     timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and body WeChat Pay would POST for this order."""
        transaction = {
            "out_trade_no": order_no, "transaction_id": f"DEV{secrets.token_hex(12)}", "trade_state": trade_state,
            "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY"},
        }
        nonce, associated = secrets.token_hex(6), "transaction"
        ciphertext = AESGCM(self.apiv3_key).encrypt(nonce.encode(), json.dumps(transaction).encode(),
                                                   associated.encode())
        body = json.dumps({
            "id": secrets.token_hex(16), "event_type": f"TRANSACTION.{trade_state}",
            "resource_type": "encrypt-resource",
            "resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                         "associated_data": associated, "original_type": "transaction", "nonce": nonce},
        }).encode()
        stamp, sign_nonce = str(timestamp if timestamp is not None else int(time.time())), secrets.token_hex(16)
        signature = self._private.sign(b"%s\n%s\n%s\n" % (stamp.encode(), sign_nonce.encode(), body),
                                       padding.PKCS1v15(), hashes.SHA256())
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": sign_nonce, "Wechatpay-Serial": self.serial,
                "Wechatpay-Signature": base64.b64encode(signature).decode(),
                "Content-Type": "application/json"}, body


def configured(config: Settings) -> tuple[NotifyVerifier, DevelopmentPlatform | None]:
    """The production verifier when the keys are configured, else a development platform."""
    if config.wechatpay_platform_key is not None and config.wechatpay_apiv3_key:
        key = serialization.load_pem_public_key(config.wechatpay_platform_key.read_bytes())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("the WeChat Pay platform key must be an RSA public key")
        return NotifyVerifier(key, config.wechatpay_apiv3_key.encode(), config.wechatpay_platform_serial), None
    platform = DevelopmentPlatform()
    return platform.verifier(), platform
