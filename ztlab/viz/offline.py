"""Check that an HTML page loads nothing from the network.

A page is offline when no element refers to a remote URL: no ``src``, ``href``,
``action``, ``poster``, ``data`` or ``srcset`` attribute with a scheme other
than ``data:``, and no ``url(...)`` or ``@import`` of one in a ``style``
attribute or element. ``srcdoc`` frames are checked as pages of their own.
URLs in script text (licence comments, the SVG namespace) load nothing by
themselves and are not counted; :func:`script_urls` lists them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["remote_references", "script_urls"]

_URL_ATTRS = {"src", "href", "action", "poster", "data", "formaction", "srcset"}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)|@import\s+['\"]([^'\"]+)", re.I)
_ANY_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]+", re.I)


def _remote(url: str) -> bool:
    url = url.strip().lower()
    if url.startswith(("data:", "#", "about:", "blob:")):
        return False
    return url.startswith("//") or bool(re.match(r"[a-z][a-z0-9+.-]*:", url))


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRS:
                parts = value.split(",") if name == "srcset" else [value]
                self.found += [
                    f"<{tag} {name}={p.strip()}>" for p in parts if _remote(p)
                ]
            elif name == "style":
                self._css(tag, value)
            elif name == "srcdoc":
                self.found += [f"<{tag} srcdoc> {r}" for r in remote_references(value)]

    def handle_endtag(self, tag: str) -> None:
        self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag == "style":
            self._css("style", data)
        elif self._tag == "script":
            self.scripts.append(data)

    def _css(self, tag: str, text: str) -> None:
        for a, b in _CSS_URL.findall(text):
            url = a or b
            if _remote(url):
                self.found.append(f"<{tag}> css {url}")


def remote_references(document: str) -> list[str]:
    """Every reference in ``document`` that would make the browser fetch a URL.

    >>> remote_references('<link href="https://cdn.example/x.css"><img src="data:,">')
    ['<link href=https://cdn.example/x.css>']
    >>> remote_references('<script>// see https://example.org</script>')
    []
    """
    scanner = _Scanner()
    scanner.feed(document)
    scanner.close()
    return scanner.found


def script_urls(document: str) -> list[str]:
    """URLs that appear as text inside ``<script>`` elements (not fetched).

    >>> script_urls('<script>var ns = "http://www.w3.org/2000/svg";</script>')
    ['http://www.w3.org/2000/svg']
    """
    scanner = _Scanner()
    scanner.feed(document)
    scanner.close()
    return [url for text in scanner.scripts for url in _ANY_URL.findall(text)]
