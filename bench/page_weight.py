"""Weight and server time of the panel page (/admin-panel/).

    uv run python bench/page_weight.py            # with 1,000,000 users in the table
    uv run python bench/page_weight.py --short    # 2,000 users

Prints every JavaScript and CSS file the page loads, raw and gzipped (level 9, as the
static file server precompresses them), the HTML raw and gzipped, and the page's server
time (p50/p95 through the real view with Django's test Client, as a logged-in superuser)
with the SQL queries it runs.
"""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

from benchlib import Bench, Timing, print_table, start, timed


def options(parser) -> None:
    parser.add_argument("--users", type=int, help="users in the table (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="timed page loads (default 100)")


class AssetParser(HTMLParser):
    """Collects <script src> and <link rel=stylesheet href> URLs, and inline script bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline_js = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"] or "")
            else:
                self._in_script = True
        elif tag == "link" and "stylesheet" in (values.get("rel") or ""):
            self.styles.append(values.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_js += len(data.encode())


def static_bytes(url: str) -> bytes:
    """The content of a static URL, found the way the static file server finds it."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    path = url.split("?", 1)[0]
    prefix = (
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    )
    if not path.startswith(prefix):
        raise SystemExit(f"not a local static file: {url} (the page must not use a CDN)")
    relative = path[len(prefix) :]
    # A hashed name from the manifest storage ("app.3f2a1b.js") maps back to "app.js".
    found = finders.find(relative) or finders.find(
        re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", relative)
    )
    if not found:
        raise SystemExit(f"static file not found: {url}")
    with open(found, "rb") as handle:
        return handle.read()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def main() -> None:
    bench: Bench = start("page_weight", "weight and server time of /admin-panel/", options)
    args = bench.args
    rounds = args.rounds or (5 if bench.short else 100)
    try:
        from django.urls import reverse

        total = bench.ensure_users(args.users or (2_000 if bench.short else 1_000_000))
        client = bench.staff_client()
        url = reverse("admin_panel")
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        html = response.content
        parser = AssetParser()
        parser.feed(html.decode())

        rows: list[list[object]] = []
        js_raw = js_gz = 0
        for src in parser.scripts:
            data = static_bytes(src)
            js_raw += len(data)
            js_gz += gz(data)
            rows.append(["js", src, f"{len(data):,}", f"{gz(data):,}"])
        for href in parser.styles:
            data = static_bytes(href)
            rows.append(["css", href, f"{len(data):,}", f"{gz(data):,}"])
        rows.append(["html", url, f"{len(html):,}", f"{gz(html):,}"])
        rows.append(["js total", f"{len(parser.scripts)} files", f"{js_raw:,}", f"{js_gz:,}"])
        print_table(
            "page weight of /admin-panel/ (bytes)", ["kind", "file", "raw", "gzip -9"], rows
        )
        print(f"inline <script> bytes in the HTML: {parser.inline_js:,}")
        print(f"JavaScript total gzipped: {js_gz / 1024:.1f} KiB")

        timing = timed(f"GET {url}", [lambda: client.get(url) for _ in range(rounds)], warmup=3)
        print_table(
            f"server time of {url}, {total:,} users, {bench.vendor}",
            Timing.headers(),
            [timing.row()],
        )
    finally:
        bench.close()


if __name__ == "__main__":
    main()
