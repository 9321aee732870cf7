"""The bulletin's charts (PNG, drawn by ``insday.charts`` with its CJK font): helped regions'
progress toward the unlock line, member units' steps, and the day-by-day trend. Each
function returns the PNG bytes; the same document gives the same bytes."""

from __future__ import annotations

from datetime import date

from insday.charts import figure, png_bytes
from insday.reports.common import day_text

RED, GREEN, BLUE = "#c0392b", "#2e8b57", "#1f4e79"
TOP_UNITS = 15
WAN = 10_000
# Phone first: a narrow figure at a high resolution keeps the text legible when the image
# is shrunk to a phone's width (about 390 CSS pixels).
WIDTH, DPI = 4.8, 200


def _wan(value: float) -> str:
    return f"{value / WAN:,.0f}万"


def regions_png(doc: dict) -> bytes:
    """Helped regions' total steps (own plus their helper's), the unlock line drawn in."""
    steps = doc["steps"]
    regions = list(reversed(steps["regions"]))  # largest at the top
    threshold = steps["threshold"]
    fig = figure(WIDTH, 0.3 * len(regions) + 1.4, DPI)
    ax = fig.add_subplot()
    values = [r["group_steps"] / WAN for r in regions]
    colors = [GREEN if r["unlocked_on"] else RED for r in regions]
    ax.barh([r["name"] for r in regions], values, color=colors)
    ax.axvline(threshold / WAN, color="#333333", linestyle="--", linewidth=1)
    ax.text(threshold / WAN, len(regions) - 0.4, f" 解锁线 {_wan(threshold)}步", va="bottom", fontsize=9)
    for y, r in enumerate(regions):
        ax.text(r["group_steps"] / WAN, y, f" {r['progress']:.2f}%", va="center", fontsize=8)
    ax.set_xlim(0, max([threshold / WAN, *values]) * 1.18)
    ax.set_xlabel("捐步数（万步，含互助地区）")
    ax.set_title("重点扶贫地区捐步进度（绿色为已解锁）")
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)


def units_png(doc: dict) -> bytes:
    """The member units with the most steps reported (top 15)."""
    units = [u for u in doc["units"] if u["steps"]][:TOP_UNITS][::-1]
    fig = figure(WIDTH, 0.3 * max(len(units), 3) + 1.4, DPI)
    ax = fig.add_subplot()
    if units:
        ax.barh([u["name"] for u in units], [u["steps"] / WAN for u in units], color=RED)
        for y, u in enumerate(units):
            ax.text(u["steps"] / WAN, y, f" {u['steps'] / WAN:,.1f}", va="center", fontsize=8)
        ax.set_xlim(0, max(u["steps"] for u in units) / WAN * 1.15)
    else:
        ax.text(0.5, 0.5, "暂无报送数据", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("累计报送步数（万步）")
    ax.set_title(f"会员单位累计步数排名（前{TOP_UNITS}名）")
    ax.spines[["top", "right"]].set_visible(False)
    return png_bytes(fig)


def trend_png(doc: dict) -> bytes:
    """Steps reported per day (bars) and participants (line)."""
    daily = doc["daily"]
    fig = figure(WIDTH, 3.4, DPI)
    ax = fig.add_subplot()
    labels = [day_text(date.fromisoformat(d["day"])) for d in daily]
    steps = [d["steps"] / WAN for d in daily]
    ax.bar(labels, steps, color=RED)
    ax.set_ylim(0, max([1, *steps]) * 1.3)  # room for the legend above the bars
    ax.set_ylabel("步数（万步）")
    ax.tick_params(axis="x", labelrotation=45 if len(daily) > 7 else 0, labelsize=8)
    people = ax.twinx()
    participants = [d["participants"] for d in daily]
    people.plot(labels, participants, color=BLUE, marker="o")
    people.set_ylim(0, max([1, *participants]) * 1.3)
    people.set_ylabel("参与人数")
    ax.set_title("每日报送步数与参与人数")
    ax.legend([*ax.containers, *people.get_lines()], ["步数（万步）", "参与人数"], loc="upper center", ncol=2,
              fontsize=9, frameon=False)
    return png_bytes(fig)


def bulletin_charts(doc: dict) -> dict[str, bytes]:
    """File name -> PNG bytes, in the order the bulletin shows them."""
    return {"trend.png": trend_png(doc), "units.png": units_png(doc), "regions.png": regions_png(doc)}
