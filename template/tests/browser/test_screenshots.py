"""Screenshots of the panel (desktop and phone) for the docs and for a look by eye.

Saved to the project's `screenshots/` folder (git-ignored); when PANEL_SCREENSHOT_DIR is
set they are copied there too (the template's docs use docs/img/panel.png and
docs/img/panel-mobile.png).
"""

import os
import shutil
import struct
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from .panel import clipped, user_rows, wait_for_live_feed

pytestmark = pytest.mark.browser

SHOTS = [
    ("panel.png", {"width": 1280, "height": 900}),
    ("panel-mobile.png", {"width": 390, "height": 844}),
]


def rendered_with(url_name: str) -> bool:
    """Whether this project has the route (features answered "no" have none)."""
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.parametrize(("name", "viewport"), SHOTS, ids=["desktop", "mobile"])
def test_screenshot_of_the_panel(open_panel, project_dir, page_size, name, viewport):
    page = open_panel("admin", viewport=viewport)
    expect(user_rows(page)).to_have_count(page_size)
    if rendered_with("admin_audit_log"):
        wait_for_live_feed(page)
        expect(page.get_by_test_id("audit-entry").first).to_be_visible()
    else:
        expect(page.get_by_test_id("audit-feed")).to_have_count(0)
    if rendered_with("admin_metrics"):
        expect(page.locator("[data-testid=metrics] svg.chart")).to_have_count(3)
    else:
        expect(page.get_by_test_id("metrics")).to_have_count(0)
    # Saved first, so that a layout failure below comes with the picture to look at.
    target = project_dir / "screenshots" / name
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=target, full_page=True, animations="disabled", caret="hide")
    width, height = png_size(target)
    assert width == viewport["width"]
    assert height >= viewport["height"]

    extra = os.environ.get("PANEL_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(extra) / name)

    # Responsive: nothing sticks out sideways, so the page never scrolls horizontally.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the {viewport['width']}px view"
    # Every button of the user table can be seen without scrolling the table sideways.
    hidden = clipped(page, "[data-testid=user-row] button")
    assert not hidden, f"buttons cut off at {viewport['width']}px: {hidden[:4]}"
