"""Rename an answer in a project's `.copier-answers.yml` (a `before` migration step).

    _migrations:
      - version: v0.3.0
        when: "{{ _stage == 'before' }}"
        command:
          - "{{ _copier_python }}"
          - "{{ _copier_conf.src_path }}/copier/migrations/rename_answer.py"
          - page_size
          - users_per_page

Runs in the project's folder before the new version renders, so the new version finds the
answer under its new name and the project keeps the value it chose. Idempotent: a project
without the old key (or that already has the new one) is left as it is. Standard library
only, because it runs with Copier's own Python.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ANSWERS = Path(".copier-answers.yml")


def rename(text: str, old: str, new: str) -> str:
    """The answers text with top-level key `old` renamed to `new` (no other change)."""
    if re.search(rf"^{re.escape(new)}:", text, re.MULTILINE):
        return text
    return re.sub(rf"^{re.escape(old)}:", f"{new}:", text, count=1, flags=re.MULTILINE)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: rename_answer.py OLD NEW", file=sys.stderr)
        return 2
    old, new = argv
    text = ANSWERS.read_text(encoding="utf-8")
    ANSWERS.write_text(rename(text, old, new), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
