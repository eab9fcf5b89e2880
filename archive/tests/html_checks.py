"""Parser-based safety checks on HTML, shared by the cleaning and corpus tests."""

from selectolax.lexbor import LexborHTMLParser

DANGEROUS_TAGS = frozenset(
    [
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "button",
        "svg",
        "math",
        "meta",
        "base",
        "link",
        "textarea",
        "select",
    ]
)
URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "cite", "action", "formaction", "poster"})


def elements(html: str):
    return [node for node in LexborHTMLParser(html).body.traverse() if node.tag != "-text"]


def tags_in(html: str) -> set[str]:
    return {node.tag for node in elements(html)}


def unsafe_markup(html: str) -> list[str]:
    """Everything in ``html`` that could run script or load a frame, as readable strings."""
    problems = []
    for node in elements(html):
        if node.tag in DANGEROUS_TAGS:
            problems.append(f"<{node.tag}>")
        for name, value in (node.attributes or {}).items():
            if name.startswith("on") or name == "style":
                problems.append(f"<{node.tag} {name}>")
            elif name in URL_ATTRIBUTES and _script_url(value or ""):
                problems.append(f"<{node.tag} {name}={value!r}>")
    return problems


def _script_url(value: str) -> bool:
    squeezed = "".join(value.split()).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:"))
