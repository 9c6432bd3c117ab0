"""The panel's layout: nothing sticks out sideways, on a desktop or on a phone."""

import pytest

from .conftest import DESKTOP
from .panel import clipped, user_rows

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_panel_never_scrolls_sideways_and_shows_every_row_button(open_panel):
    page = open_panel("br_staff")
    assert user_rows(page).count() > 0
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        width = viewport["width"]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the {width}px view"
        hidden = clipped(page, "[data-testid=user-row] button")
        assert not hidden, f"buttons cut off at {width}px: {hidden[:4]}"
