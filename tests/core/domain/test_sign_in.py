"""Sign-in delays: fast for one name from one address, slow and capped for one name from everywhere."""

from __future__ import annotations

from core.domain.sign_in import RULES, Scope, mask_address, name_hash, throttle_key


def test_one_name_from_one_address_waits_longer_and_longer_up_to_fifteen_minutes():
    rule = RULES[Scope.NAME_AT_ADDRESS]
    delays = [rule.delay_seconds(n) for n in range(1, 20)]
    assert delays[:5] == [0, 0, 0, 0, 0]
    assert delays[5:9] == [1, 2, 4, 8]
    assert max(delays) == 15 * 60


def test_one_name_from_every_address_is_slowed_by_half_a_minute_at_most():
    rule = RULES[Scope.NAME]
    assert rule.delay_seconds(10) == 0 and rule.delay_seconds(11) == 1 and rule.delay_seconds(12) == 2
    assert max(rule.delay_seconds(n) for n in range(1, 10_000)) == 30


def test_one_address_trying_many_names_gets_twenty_free_failures_then_doubling_delays():
    rule = RULES[Scope.ADDRESS]
    assert rule.delay_seconds(20) == 0 and rule.delay_seconds(21) == 1 and rule.delay_seconds(25) == 16


def test_counters_are_keyed_by_hashes_that_ignore_case_and_spaces():
    key = throttle_key(Scope.NAME_AT_ADDRESS, "Admin ", "203.0.113.9")
    assert key == throttle_key(Scope.NAME_AT_ADDRESS, "admin", "203.0.113.9")
    assert "admin" not in key and "203.0.113" not in key and len(key) == 64
    assert name_hash("ADMIN") == name_hash(" admin")


def test_the_audit_log_keeps_the_network_not_the_machine():
    assert mask_address("203.0.113.77") == "203.0.113.*"
    assert mask_address("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert mask_address(None) == "unknown" and mask_address("not an address") == "invalid"
