"""Jinja2 set-up shared by every page, and the atomic write of a finished page.

Autoescaping is on for every template (they end in .j2, which `select_autoescape` would not
recognise, so it is switched on outright). The only markup let through unescaped is the SVG that
`figures` gets from matplotlib, marked `|safe` in the templates and nowhere else, and the <code>
elements of `inline_code`, which it adds only after escaping the text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

import kerasdl
from kerasdl.runs import atomic_write

from . import formatting

__all__ = ["render_page", "write_page"]

TEMPLATES = Path(__file__).parent / "templates"


def inline_code(text: Any) -> markupsafe.Markup:
    """Prose with `backticked` names shown as code, as the experiment scripts write them.

    The text is escaped first, so backticks can only wrap already-escaped text in <code> elements.
    """
    escaped = str(markupsafe.escape(str(text)))
    return markupsafe.Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped))


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the tests instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        status_class=formatting.status_class,
        number=formatting.number,
        mean_std=formatting.mean_std,
        duration=formatting.duration,
        timestamp=formatting.timestamp,
        plain=formatting.plain_value,
        metric_title=formatting.metric_title,
        inline_code=inline_code,
    )
    env.globals["kerasdl_version"] = kerasdl.__version__
    return env


def render_page(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def write_page(path: Path, html: str) -> Path:
    """Replace `path` atomically so a browser or an index never sees half a page."""
    return atomic_write(path, html)
