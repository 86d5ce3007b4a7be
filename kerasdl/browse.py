"""`kerasdl open [RUN_DIR]`: show the reports index, or one run's or search's report, in the default
browser (Python's `webbrowser`, which honours $BROWSER).

Nothing is rendered here: a page that does not exist yet is a user error naming the command that
writes it, so `open` never starts TensorFlow or rewrites a report.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

from kerasdl.errors import UserError

__all__ = ["page_for", "open_page"]


def page_for(target: Path | None, out: Path) -> Path:
    """The page to show: `out/index.html` without a target, the file itself for an .html file, else the
    folder's report.html (a run folder or a search folder)."""
    if target is None:
        page, render = out / "index.html", f"kerasdl report --out {out}"
    elif target.suffix == ".html":
        page, render = target, f"kerasdl report {target.parent}"
    else:
        page, render = target / "report.html", f"kerasdl report {target}"
    if not page.is_file():
        if target is not None and not target.exists():
            raise UserError(f"no run or search folder at {target}; pass a folder under reports/ (the run's "
                            "folder holds run.json) or nothing for the index")
        raise UserError(f"no report at {page}; write it with `{render}`")
    return page.resolve()


def open_page(target: Path | None, out: Path) -> Path:
    """Open the page (see `page_for`) in the default browser; returns it."""
    page = page_for(target, out)
    if not webbrowser.open(page.as_uri()):
        raise UserError(f"no web browser could be started; open {page} yourself (or set $BROWSER)")
    return page
