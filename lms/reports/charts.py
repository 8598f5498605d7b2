"""Bar charts drawn on the server as small SVG: no script, readable by screen readers, mirrored for Arabic."""

from dataclasses import dataclass

WIDTH = 320
ROW = 44  # a label line above each bar
BAR = 14
VALUE_ROOM = 90  # room after the longest bar for its figure


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the figure as written beside the bar
    label_x: float
    label_y: float
    bar_x: float
    bar_y: float
    bar_width: float
    value_x: float


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    direction: str


def bar_chart(title: str, items: list[tuple[str, int, str]], direction: str) -> Chart:
    """``items`` are (label, value, written figure); bars grow from the start side of the reading direction."""
    largest = max((value for _, value, _ in items), default=0) or 1
    room = WIDTH - VALUE_ROOM
    rtl = direction == "rtl"
    bars = []
    for index, (label, value, text) in enumerate(items):
        top = index * ROW
        width = room * value / largest
        bars.append(Bar(
            label=label, value=value, text=text, label_x=WIDTH if rtl else 0, label_y=top + 15,
            bar_x=WIDTH - width if rtl else 0, bar_y=top + 22, bar_width=round(width, 1),
            value_x=round(WIDTH - width - 4 if rtl else width + 4, 1)))
    description = "; ".join(f"{label}: {text}" for label, _, text in items)
    return Chart(title, description, bars, WIDTH, max(len(items), 1) * ROW, direction)
