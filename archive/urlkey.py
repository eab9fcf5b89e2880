"""One key per article URL, whatever shape another tool wrote it in.

Hypothesis, Readwise and browsers record the same article as ``http://www.site.org/a/``,
``https://site.org/a?utm_source=feed#comments`` or Medium's ``…?source=rss----…``: the key
drops what does not name the article (scheme, ``www.``, a trailing slash, the fragment,
tracking parameters, default ports) and keeps what may (the path's case, other parameters,
sorted). Pure: ``Post.url_key`` stores it, lookups compute it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

# Parameters that track the visit rather than name the page.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING = {
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mkt_tok", "ref", "ref_src",
    "source", "spm", "share", "s_cid", "cmpid", "ocid", "sr_share", "__twitter_impression",
}  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
# ASCII only (re-quoted), so that an index on it holds any key: PostgreSQL's B-tree takes
# at most 2,704 bytes an entry, and 2,000 CJK characters are 6,000.
MAX_KEY_CHARS = 2000
_SAFE = "/:@!$&'()*+,;=-._~%?"


def url_key(url: str) -> str:
    """``example.org/a/b?x=1`` for ``https://www.Example.org:443/a/b/?utm_source=z&x=1#top``.
    Something that is not a web address is kept as it is, trimmed (and quoted)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an impossible port or bracket: not a URL to normalise
        return _ascii(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return _ascii(url)
    host = parts.hostname.lower().removeprefix("www.")
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE).rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _tracking(name)
    )
    key = host.encode("idna").decode("ascii") if not host.isascii() else host
    return _ascii(key + path + (f"?{urlencode(query)}" if query else ""))


def _ascii(text: str) -> str:
    return quote(text, safe=_SAFE)[:MAX_KEY_CHARS]


def _tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)
