"""Tests of widgets/html.py: Markdown rendering and the field chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from widgets.html import field_chart, markdown, markdown_inline

SVG = "{http://www.w3.org/2000/svg}"
HISTORY = [{"safety": 4, "mutuality": 3}, {"safety": 5, "mutuality": 2}]


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)


@pytest.mark.parametrize(
    "text",
    [
        "![A map](http://example.com/map.png)",
        "![A map](HTTPS://example.com/map.png)",
        "![A map](//example.com/map.png)",
        "![A map][ref]\n\n[ref]: https://example.com/map.png",
        "![](https://example.com/map.png)",
        "![A map](data:image/png;base64,iVBORw0KGgo=)",
    ],
    ids=["http", "upper-case-scheme", "protocol-relative", "reference", "no-alt", "data"],
)
def test_an_image_from_another_site_is_not_loaded(text):
    """Is an image with an address of its own shown as a link, so the page requests nothing?"""
    html = markdown(text)
    assert image_sources(html) == []
    assert re.search(r'<a [^>]*href="[^"]*(example\.com|data:)', html), html
    assert "A map" in html or "Image" in html


def test_an_image_from_another_site_inside_a_link_becomes_text():
    """Inside a link, is an outside image shown as its words, with no link in a link?"""
    html = markdown("[![A badge](https://example.com/b.svg)](https://example.com/)")
    assert image_sources(html) == []
    assert html.count("<a ") == 1 and "A badge" in html


def test_the_courses_own_relative_images_stay():
    """Does an image with a relative address (the course's own file) still show?"""
    html = markdown('![A diagram](images/field.png "The field")')
    assert image_sources(html) == ["images/field.png"]
    assert 'alt="A diagram"' in html


def test_inline_markdown_loads_no_image_from_another_site():
    """Does one-line Markdown (prompts, labels) also load no outside image?"""
    html = markdown_inline("Look ![here](https://example.com/x.png) now")
    assert image_sources(html) == []
    assert "here" in html


def test_the_alt_text_of_an_outside_image_is_escaped():
    """Is markup in an outside image's words shown as text?"""
    html = markdown("![<script>x</script> **bold**](https://example.com/x.png)")
    assert "<script>" not in html
    assert image_sources(html) == []


def ids_of(html: str) -> list[str]:
    return re.findall(r'\bid="([^"]*)"', html)


def test_two_field_charts_on_one_page_share_no_element_id():
    """Can two charts sit on one page (two vignettes' debriefs) without clashing ids?"""
    page = field_chart(HISTORY) + field_chart([{"safety": 1}, {"safety": 9}])
    ids = ids_of(page)
    assert len(ids) == len(set(ids))
    page = field_chart(HISTORY) + field_chart(HISTORY)
    ids = ids_of(page)
    assert len(ids) == len(set(ids))


def test_the_same_history_draws_the_same_chart():
    """Is the chart a function of the history alone (same input, same SVG)?"""
    assert field_chart(HISTORY) == field_chart([dict(f) for f in HISTORY])


def test_the_chart_is_named_and_described_by_its_own_title_and_desc():
    """Does the chart carry its name and description as its first children, for screen readers?"""
    html = field_chart(HISTORY)
    svg = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    assert svg.get("role") == "img"
    first, second = list(svg)[:2]
    assert first.tag == f"{SVG}title" and "relational field" in first.text
    assert second.tag == f"{SVG}desc" and "Safety from 4 to 5" in second.text
    referenced = " ".join(filter(None, (svg.get("aria-labelledby"), svg.get("aria-describedby"))))
    assert all(f'id="{ref}"' in html for ref in referenced.split())
