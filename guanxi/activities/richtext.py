"""Safe rich text: the HTML users may write in descriptions, cleaned with nh3."""

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h3", "h4", "i", "li", "ol", "p",
    "pre", "s", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}


def clean_html(value: str) -> str:
    """Return user HTML with scripts, styles, event handlers and unknown tags removed."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def render_html(value: str):
    """Return stored rich text ready for a template (cleaned again: never trust storage)."""
    return mark_safe(clean_html(value))


def plain_text(value: str, limit: int = 300) -> str:
    text = " ".join(strip_tags(value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
