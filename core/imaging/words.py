"""A check's measured numbers in words, for staff: "嘴角上扬，像在笑（0.14，应 ≤ 0.1）".

Reviewers read the number and the allowed range beside a plain description of what was measured;
the raw ``value`` / ``allowed`` of a ``Check`` stay for the detail fold. Chinese texts carry no
Latin letters (units are written 像素, 度, 倍, 千字节).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class Unit:
    zh: str = ""
    en: str = ""


PIXELS = Unit("像素", " px")
DEGREES = Unit("°", "°")
TIMES = Unit("倍", "×")
KILOBYTES = Unit(" 千字节", " KB")
BITS = Unit(" 位", " bits")
NONE = Unit()


@dataclass(frozen=True)
class Reading:
    """One measured number, its allowed range and its names.

    ``low``/``high`` bound the value (``symmetric`` bounds its magnitude by ``high``; ``strict``
    excludes the bounds). ``ok`` overrides the bounds for checks whose rule combines readings.
    """

    value: float | None
    name_zh: str
    name_en: str
    problem_zh: str = ""
    problem_en: str = ""
    low: float | None = None
    high: float | None = None
    symmetric: bool = False
    strict: bool = False
    unit: Unit = NONE
    digits: int = 2
    ok: bool | None = None

    def within(self) -> bool:
        if self.ok is not None:
            return self.ok
        if self.value is None:
            return False
        value = abs(self.value) if self.symmetric else self.value
        if self.strict:
            return (self.low is None or value > self.low) and (self.high is None or value < self.high)
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def allowed(self, unit: str) -> str:
        lt, gt = ("<", ">") if self.strict else ("≤", "≥")
        if self.symmetric:
            return f"±{self.high:g}{unit}"
        if self.low is not None and self.low == self.high:
            return f"= {self.low:g}{unit}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g}–{self.high:g}{unit}"
        if self.high is not None:
            return f"{lt} {self.high:g}{unit}"
        return f"{gt} {self.low:g}{unit}"

    def number(self, unit: str) -> str:
        return "—" if self.value is None else f"{self.value:.{self.digits}f}{unit}"

    def zh(self) -> str:
        name = self.problem_zh if self.problem_zh and not self.within() else self.name_zh
        return f"{name}（{self.number(self.unit.zh)}，应 {self.allowed(self.unit.zh)}）"

    def en(self) -> str:
        name = self.problem_en if self.problem_en and not self.within() else self.name_en
        return f"{name} ({self.number(self.unit.en)}, allowed {self.allowed(self.unit.en)})"


class Words(TypedDict):
    detail_zh: str
    detail_en: str


def in_words(*readings: Reading) -> Words:
    """``detail_zh`` and ``detail_en`` of a check, failing readings first."""
    ordered = sorted(readings, key=lambda r: r.within())
    return Words(detail_zh="；".join(r.zh() for r in ordered), detail_en="; ".join(r.en() for r in ordered))
