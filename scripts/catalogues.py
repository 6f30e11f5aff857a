"""Refresh the interface's gettext catalogues after changing messages, and report what is missing.

    python scripts/catalogues.py          # extract into unspin.pot, merge into every .po, report gaps
    python scripts/catalogues.py --check  # report gaps only (exit 1 if any)

Extraction follows babel.cfg (Python with ``_``/``gettext``/``ngettext``/``N_``, and the Jinja
templates); English is the source language, so it has no catalogue. New or changed messages
arrive in each ``.po`` untranslated (or fuzzy); tests/test_i18n.py fails until every one has
its translation.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "unspin" / "locale"
TEMPLATE = LOCALE / "unspin.pot"


def refresh() -> None:
    babel = [sys.executable, "-m", "babel.messages.frontend", "--quiet"]
    extract = ["extract", "-F", "babel.cfg", "--no-location", "--sort-output", "--omit-header"]
    subprocess.run(
        [*babel, *extract, "-o", str(TEMPLATE.relative_to(ROOT)), "src/unspin"],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [*babel, "update", "-i", str(TEMPLATE), "-d", str(LOCALE), "-D", "unspin", "--no-wrap", "--ignore-obsolete"],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report untranslated and fuzzy messages")
    if not parser.parse_args().check:
        refresh()
    sys.path.insert(0, str(ROOT / "src"))
    from unspin.i18n import catalogue_gaps

    gaps = catalogue_gaps()
    for language, messages in gaps.items():
        print(f"{language}: {len(messages)} messages lack a translation")
        for message in messages[:10]:
            print(f"    {message!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
