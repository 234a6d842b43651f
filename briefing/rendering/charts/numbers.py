"""Figures in words as charts print them: UK number style, short forms, currencies and units."""

from __future__ import annotations

import math
import re

CURRENCIES = {"£": "Pounds", "$": "Dollars", "€": "Euros"}


def format_number(value: float | None) -> str:
    """UK style: thousands separated by commas, a decimal point, no needless decimals."""
    if value is None:
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def compact_number(value: float) -> str:
    """Three significant figures with k, m or bn: 1,480,000 as 1.48m (for labels short of room)."""
    for least, unit, suffix in ((1e9, 1e9, "bn"), (1e6, 1e6, "m"), (1e4, 1e3, "k")):
        if abs(value) >= least:
            text = f"{value / unit:.3g}"
            if "e" not in text:
                return text + suffix
            if unit < 1e9:  # 999,999 rounds to a thousand k: one m
                return compact_number(math.copysign(unit * 1000, value))
            return format_number(round(value / unit)) + suffix
    return format_number(value)


def format_value(value: float | None, unit: str | None, short: bool = False) -> str:
    """A number as labelled on a chart: £ before it, % after it, as the unit says."""
    if value is None:
        return "no data"
    text = compact_number(value) if short else format_number(value)
    if unit == "%":
        return f"{text}%"
    if unit in CURRENCIES:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    return text


def unit_phrase(unit: str | None) -> str:
    """What the figures count, for a subtitle: "Number of people", "Per cent", "Pounds (£)"."""
    if not unit:
        return "Number"
    if unit == "%":
        return "Per cent"
    if unit in CURRENCIES:
        return f"{CURRENCIES[unit]} ({unit})"
    if re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", unit):
        return f"Number of {unit}"
    return f"Unit: {unit}"


def long_date(value) -> str:
    return f"{value.day} {value:%B %Y}"
