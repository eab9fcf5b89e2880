"""How well annotations survive changes to their post's text, and how fast re-anchoring is.

    python bench/anchoring_bench.py ../shared/corpus [--per-post 40] [--seed 1]

On every post of the archive (its cleaned ``Post.text``, made by the real cleaner), random
annotations are created: short quotes (2–4 characters) and long ones (several paragraphs).
Each is then put through benign edits of the text, one kind at a time:

- ``insert``: a new paragraph inserted at a paragraph break elsewhere;
- ``remove``: another paragraph removed;
- ``spacing``: whitespace and punctuation changed all over the text, inside the quote too;
- ``typo``: one character inside the quote replaced (a typo fixed);
- ``chrome``: share widgets and related links added before and after the body;

and destructive ones: ``delete-quote`` (exactly the quoted text removed) and
``delete-paragraphs`` (the paragraphs holding the quote removed).

After a benign edit the expected place is known (offsets are mapped through the edit): an
annotation is *correct* when it is found there (intersection over union ≥ 0.9), *orphaned*
when not found, *mis-anchored* when found elsewhere. After a destructive edit any anchor is
a mis-anchor. Goals (issue 4): ≥ 99 % correct after benign edits, 0 mis-anchored after
destructive ones, and all annotations of the largest (700 KB) post re-anchored in ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.anchoring import Selector, anchor_all, describe, normalise
from archive import cleaning, parsing

CHROME_BEFORE = "分享到：微博 微信 Facebook Twitter 复制链接\n\n字号 大 中 小\n\n"
CHROME_AFTER = "\n\n相关文章：\n\n更多新闻请关注我们的频道 © 版权所有 All rights reserved"
NEW_PARAGRAPH = "\n\n这是后来插入的一段新文字，讨论的是另一件完全不同的事情，与原文无关。\n\n"
PUNCTUATION_SWAPS = {"，": ",", "。": ".", "：": ":", "、": "，", ",": "，", ".": "。"}
PARAGRAPH_BREAK = re.compile(r"\n+")


def load_texts(folder: Path) -> list[tuple[str, str]]:
    texts = []
    for path in sorted(folder.rglob("*.md")):
        try:
            post = parsing.parse_post(path.read_bytes(), str(path))
        except parsing.PostError:
            continue
        text = cleaning.clean(post.raw_body, title=post.title, url=post.url).text
        if len(text.strip()) >= 300:
            texts.append((post.title, text))
    return texts


# --- annotations --------------------------------------------------------------------------------


def random_selectors(text: str, count: int, rng: random.Random) -> list[Selector]:
    selectors = []
    attempts = 0
    while len(selectors) < count and attempts < count * 50:
        attempts += 1
        if len(selectors) % 2 == 0:  # short: 2–4 characters of words, no breaks
            length = rng.randint(2, 4)
            start = rng.randrange(0, len(text) - length)
            quote = text[start : start + length]
            if not quote.strip() or any(c.isspace() for c in quote):
                continue
        else:  # long: from inside one paragraph to inside another, 2–6 paragraphs on
            breaks = [m.start() for m in PARAGRAPH_BREAK.finditer(text)]
            if len(breaks) < 3:
                continue
            first = rng.randrange(0, len(breaks) - 2)
            last = min(len(breaks) - 1, first + rng.randint(2, 6))
            start = breaks[first] + rng.randint(3, 20)
            length = breaks[last] - start - rng.randint(3, 20)
            if length < 40 or not text[start : start + length].strip():
                continue
        # A reader selects words: a selection starts and ends on visible text, though it may
        # cross the layout whitespace between paragraphs.
        end = start + length
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start < 2:
            continue
        selectors.append(describe(text, start, end))
    return selectors


# --- edits: each returns the new text and a function mapping old offsets to new ones -------------


def splice(text: str, at: int, remove: int, insert: str):
    new = text[:at] + insert + text[at + remove :]
    delta = len(insert) - remove

    def moved(offset: int) -> int:
        if offset <= at:
            return offset
        if offset >= at + remove:
            return offset + delta
        return at + len(insert)  # inside what was removed

    return new, moved


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        spans.append((position, match.end()))
        position = match.end()
    spans.append((position, len(text)))
    return [s for s in spans if s[1] > s[0]]


def outside(selector: Selector, start: int, end: int) -> bool:
    return end <= selector.start - 40 or start >= selector.end + 40


def edit_insert(text, selector, rng):
    breaks = [m.start() for m in PARAGRAPH_BREAK.finditer(text)]
    places = [b for b in breaks if outside(selector, b, b)] or [0]
    return splice(text, rng.choice(places), 0, NEW_PARAGRAPH)


def edit_remove(text, selector, rng):
    spans = [s for s in paragraph_spans(text) if outside(selector, *s)]
    if not spans:
        return None
    start, end = rng.choice(spans)
    return splice(text, start, end - start, "")


def edit_spacing(text, selector, rng):
    """Whitespace and punctuation changed at random (1 in 4 of each), inside the quote too."""
    pieces, offsets, new_length = [], [], 0
    for char in text:
        offsets.append(new_length)
        replacement = char
        if char in PUNCTUATION_SWAPS and rng.random() < 0.25:
            replacement = PUNCTUATION_SWAPS[char]
        elif char == "\n" and rng.random() < 0.25:
            replacement = "\n\n"
        elif char == " " and rng.random() < 0.25:
            replacement = "  "
        pieces.append(replacement)
        new_length += len(replacement)
    offsets.append(new_length)
    return "".join(pieces), lambda offset: offsets[offset]


def edit_typo(text, selector, rng):
    inside = [
        i for i in range(selector.start, selector.end) if not text[i].isspace() and text[i] != "\n"
    ]
    at = rng.choice(inside)
    replacement = "错" if text[at] != "错" else "误"
    return splice(text, at, 1, replacement)


def edit_insert_above_and_typo(text, selector, rng):
    """A paragraph inserted above the quote and one character changed inside it (并非 → 并不):
    both at once, as a re-import of a corrected article brings them."""
    typo_text, typo_moved = edit_typo(text, selector, rng)
    breaks = [m.start() for m in PARAGRAPH_BREAK.finditer(typo_text) if m.start() < selector.start]
    new, insert_moved = splice(typo_text, breaks[-1] if breaks else 0, 0, NEW_PARAGRAPH)
    return new, lambda offset: insert_moved(typo_moved(offset))


def edit_move(text, selector, rng):
    """The paragraphs holding the quote moved elsewhere in the text, whole."""
    spans = [s for s in paragraph_spans(text) if s[1] > selector.start and s[0] < selector.end]
    start, end = spans[0][0], spans[-1][1]
    block, rest = text[start:end], text[:start] + text[end:]
    places = [0] + [m.end() for m in PARAGRAPH_BREAK.finditer(rest)]
    places = [at for at in places if abs(at - start) > 200] or None
    if places is None:
        return None
    to = rng.choice(places)
    new = rest[:to] + block + rest[to:]

    def moved(offset: int) -> int:
        if start <= offset < end:
            return to + (offset - start)
        after_cut = offset if offset < start else offset - (end - start)
        return after_cut if after_cut < to else after_cut + (end - start)

    return new, moved


def edit_chrome(text, selector, rng):
    new = CHROME_BEFORE + text + CHROME_AFTER
    return new, lambda offset: offset + len(CHROME_BEFORE)


def edit_delete_quote(text, selector, rng):
    return splice(text, selector.start, selector.end - selector.start, "")


def edit_delete_paragraphs(text, selector, rng):
    spans = [s for s in paragraph_spans(text) if s[1] > selector.start and s[0] < selector.end]
    start, end = spans[0][0], spans[-1][1]
    return splice(text, start, end - start, "")


BENIGN = {
    "insert": edit_insert,
    "remove": edit_remove,
    "spacing": edit_spacing,
    "typo": edit_typo,
    "insert-above+typo": edit_insert_above_and_typo,
    "move": edit_move,
    "chrome": edit_chrome,
}
DESTRUCTIVE = {"delete-quote": edit_delete_quote, "delete-paragraphs": edit_delete_paragraphs}


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def run_quality(texts, per_post: int, rng: random.Random, *, with_previous: bool):
    outcomes: dict[str, Counter] = {name: Counter() for name in [*BENIGN, *DESTRUCTIVE]}
    examples: dict[str, list[str]] = {name: [] for name in outcomes}
    for _title, text in texts:
        for selector in random_selectors(text, per_post, rng):
            size = "short" if len(selector.exact) <= 4 else "long"
            for name, edit in {**BENIGN, **DESTRUCTIVE}.items():
                edited = edit(text, selector, rng)
                if edited is None:
                    continue
                new_text, moved = edited
                previous = text if with_previous else None
                (found,) = anchor_all(new_text, [selector], previous=previous)
                if name in DESTRUCTIVE:
                    if found is None:
                        outcomes[name][f"{size} orphaned"] += 1
                    elif normalise(new_text[found.start : found.end]) == normalise(
                        selector.exact
                    ) and normalise(selector.prefix + selector.exact + selector.suffix) in (
                        normalise(new_text)
                    ):  # the very passage, with all its context, stands elsewhere too
                        outcomes[name][f"{size} identical copy found"] += 1
                    else:
                        outcomes[name][f"{size} mis-anchored"] += 1
                        if len(examples[name]) < 5:
                            got = new_text[found.start : found.end][:30]
                            examples[name].append(
                                f"{selector.exact[:30]!r} → {got!r} ({found.method})"
                            )
                    continue
                expected = (moved(selector.start), moved(selector.end))
                if found is None:
                    outcomes[name][f"{size} orphaned"] += 1
                    if len(examples[name]) < 5:
                        examples[name].append(f"orphaned: {selector.exact[:30]!r}")
                elif overlap((found.start, found.end), expected) >= 0.9:
                    outcomes[name][f"{size} correct"] += 1
                else:
                    outcomes[name][f"{size} mis-anchored"] += 1
                    if len(examples[name]) < 5:
                        examples[name].append(
                            f"{selector.exact[:30]!r} → {new_text[found.start : found.end][:30]!r}"
                            f" ({found.method})"
                        )
    return outcomes, examples


def run_speed(texts, count: int, rng: random.Random, repeat: int = 5):
    """Re-anchor ``count`` annotations of the longest post after a paragraph is inserted at
    its top (every position moves) and one quote in ten has a typo fixed."""
    title, text = max(texts, key=lambda item: len(item[1]))
    selectors = random_selectors(text, count, rng)
    new_text, _ = splice(text, 0, 0, NEW_PARAGRAPH)
    typoed = new_text
    for selector in selectors[::10]:
        at = selector.start + len(NEW_PARAGRAPH) + (selector.end - selector.start) // 2
        if not typoed[at].isspace():
            typoed = typoed[:at] + "错" + typoed[at + 1 :]
    timings = {}
    cases = [
        ("unchanged", text, None),
        ("moved", new_text, None),
        ("moved + typos", typoed, None),
        ("moved + typos, with the previous text", typoed, text),
    ]
    for label, target, previous in cases:
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            results = anchor_all(target, selectors, previous=previous)
            runs.append((time.perf_counter() - started) * 1000)
        found = sum(result is not None for result in results)
        timings[label] = (statistics.median(runs), found)
    return title, len(text), len(selectors), timings


def report_quality(texts, per_post: int, rng: random.Random, *, with_previous: bool) -> None:
    started = time.perf_counter()
    outcomes, examples = run_quality(texts, per_post, rng, with_previous=with_previous)
    seconds = time.perf_counter() - started
    benign_total = benign_correct = destructive_total = destructive_wrong = 0
    for name, counts in outcomes.items():
        total = sum(counts.values())
        print(f"  {name:18} {total:6} " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        for example in examples[name]:
            print(f"      e.g. {example}")
        if name in BENIGN:
            benign_total += total
            benign_correct += sum(v for k, v in counts.items() if k.endswith("correct"))
        else:
            destructive_total += total
            destructive_wrong += sum(v for k, v in counts.items() if k.endswith("mis-anchored"))
    print(
        f"  benign: {benign_correct}/{benign_total} correct"
        f" = {100 * benign_correct / benign_total:.2f} % (goal ≥ 99 %);"
        f" destructive: {destructive_wrong}/{destructive_total} mis-anchored (goal 0);"
        f" {seconds:.1f} s"
    )


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("folder", type=Path)
    arguments.add_argument("--per-post", type=int, default=40, help="annotations per post")
    arguments.add_argument("--speed-count", type=int, default=200, help="annotations timed")
    arguments.add_argument("--seed", type=int, default=1)
    options = arguments.parse_args()

    texts = load_texts(options.folder)
    print(f"{len(texts)} posts, {options.per_post} annotations each (half short, half long)")
    print("from the selectors alone (an import of notes, the API):")
    report_quality(texts, options.per_post, random.Random(options.seed), with_previous=False)
    print("with the previous text too (what a re-import or a re-clean does):")
    report_quality(texts, options.per_post, random.Random(options.seed), with_previous=True)

    title, length, count, timings = run_speed(
        texts, options.speed_count, random.Random(options.seed)
    )
    print(f"speed: {count} annotations on the longest post ({length:,} characters: {title[:40]})")
    for label, (ms, found) in timings.items():
        print(f"  {label:38} {ms:7.1f} ms for all ({found}/{count} anchored)  (goal ≤ 50 ms)")


if __name__ == "__main__":
    main()
