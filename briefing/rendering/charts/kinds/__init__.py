"""Chart kinds by name: each is a Plot subclass registered with @chart_kind (the built-in ones below)."""

from __future__ import annotations

from collections.abc import Callable

from briefing.rendering.charts.plot import Plot

KINDS: dict[str, type[Plot]] = {}


def chart_kind(name: str, description: str) -> Callable[[type[Plot]], type[Plot]]:
    """Register a Plot subclass as the chart kind `name`, the value a meeting file's `data:`
    entry gives as its `kind`; `description` names the kind in alt text ("Bar chart")."""

    def register(plot: type[Plot]) -> type[Plot]:
        plot.name, plot.description = name, description
        KINDS[name] = plot
        return plot

    return register


def kind_named(name: str) -> type[Plot]:
    return KINDS[name]


def kind_names() -> tuple[str, ...]:
    """Every registered kind's name, in alphabetical order."""
    return tuple(sorted(KINDS))


# The built-in kinds register themselves as they are imported.
from briefing.rendering.charts.kinds import bars, line, stacked  # noqa: E402, F401
