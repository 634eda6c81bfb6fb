"""Staff sign-in throttling: how long a name, an address, or a name from one address must wait
after failed attempts. Pure rules; ``core.services.staff`` keeps the counts in the database so
every server process sees the same ones.

Three counters, each forgotten an hour after its last failure:

* one user name from one client address: the guesser's own path. Delays grow fast (doubling from
  1 s after 5 failures, up to 15 minutes).
* one client address, any names: a guesser spraying names. Doubling from 1 s after 20 failures,
  up to 15 minutes.
* one user name from every address: a guesser spread over many machines. Grows by a second a
  failure after 10 failures and stops at 30 s, so a stranger can slow a colleague's sign-in by at
  most half a minute but never lock them out; their own address has its own, clean counter.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Scope(str, Enum):
    NAME_AT_ADDRESS = "name_address"
    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int
    cap_seconds: float
    doubling: bool
    """Doubling (1, 2, 4 … s) or growing by one second a failure (1, 2, 3 … s)."""

    def delay_seconds(self, failures: int) -> float:
        over = failures - self.free_failures
        if over <= 0:
            return 0.0
        grown = 2.0 ** (over - 1) if self.doubling else float(over)
        return float(min(self.cap_seconds, grown))


RULES = {
    Scope.NAME_AT_ADDRESS: ThrottleRule(free_failures=5, cap_seconds=15 * 60, doubling=True),
    Scope.ADDRESS: ThrottleRule(free_failures=20, cap_seconds=15 * 60, doubling=True),
    Scope.NAME: ThrottleRule(free_failures=10, cap_seconds=30, doubling=False),
}
FORGET_AFTER = timedelta(hours=1)
"""A counter whose last failure is older than this starts again from zero."""
UNKNOWN_ADDRESS = "unknown"


def name_key(username: str) -> str:
    """User names are compared without regard to case or surrounding spaces, so ``Admin`` and
    ``admin `` share one counter."""
    return username.strip().casefold()


def throttle_key(scope: Scope, username: str, address: str) -> str:
    """A counter's id: a hash, so the table holds no user names or addresses in clear."""
    value = {Scope.NAME_AT_ADDRESS: f"{name_key(username)}|{address}", Scope.ADDRESS: address,
             Scope.NAME: name_key(username)}[scope]
    return hashlib.sha256(f"{scope.value}|{value}".encode()).hexdigest()


def name_hash(username: str) -> str:
    """Lets an admin's password reset clear every counter of one name without storing it."""
    return hashlib.sha256(f"name|{name_key(username)}".encode()).hexdigest()


def blocked_until(rule: ThrottleRule, failures: int, last_failure: datetime) -> datetime | None:
    delay = rule.delay_seconds(failures)
    return last_failure + timedelta(seconds=delay) if delay else None


def mask_address(address: str | None) -> str:
    """What the audit log keeps of a client address: its network, not the machine (203.0.113.*,
    2001:db8:1::/48)."""
    if not address or address == UNKNOWN_ADDRESS:
        return UNKNOWN_ADDRESS
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if isinstance(parsed, ipaddress.IPv4Address):
        return ".".join(str(parsed).split(".")[:3]) + ".*"
    return str(ipaddress.ip_network(f"{parsed}/48", strict=False))
