"""How well the cleaner does on a real archive: chrome left, prose kept, time.

    python bench/cleaning_report.py ../shared/corpus [--show N]

Prose kept is measured against independent extractions of each raw page (bench/quality.py:
jusText and trafilatura), sentence by sentence. Prints, per source, the posts, the share of
their prose kept and the posts below 80 %; then every post below 80 % with what it lost
(how much of it trafilatura reads as comments, and the first lost sentences), and posts with
chrome left; then the totals.
"""

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import cleaning, parsing
from bench import quality


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("folder", type=Path)
    arguments.add_argument("--show", type=int, default=3, help="lost sentences shown per post")
    options = arguments.parse_args()

    by_source = defaultdict(list)
    chrome, seconds = [], 0.0
    for path in sorted(options.folder.rglob("*.md")):
        try:
            post = parsing.parse_post(path.read_bytes(), str(path))
        except parsing.PostError:
            continue
        started = time.perf_counter()
        cleaned = cleaning.clean(post.raw_body, title=post.title, url=post.url)
        seconds += time.perf_counter() - started
        if left := quality.chrome_left(cleaned.body_html, post.title):
            chrome.append((path.name, left))
        measured = quality.kept_share(post.raw_body, cleaned.text, title=post.title)
        by_source[post.source_name].append((path.name, measured))

    print(f"{'source':16} {'posts':>5} {'prose kept':>22} {'below 80 %':>10}")
    low = []
    for source, posts in sorted(by_source.items()):
        kept = sum(m.kept for _, m in posts)
        total = sum(m.total for _, m in posts)
        below = [(name, m) for name, m in posts if m.share < quality.MIN_SHARE]
        low += below
        share = kept / total if total else 1.0
        print(f"{source:16} {len(posts):5} {kept:9}/{total:<9} {share:6.1%} {len(below):6}")
    for name, measured in low:
        verdict = (
            f"reviewed: {quality.REVIEWED[name]}"
            if quality.acceptable(name, measured)
            else "NOT ACCEPTABLE"
        )
        print(
            f"\n{name}: kept {measured.share:.1%} ({measured.kept}/{measured.total}); "
            f"of the lost, {measured.lost_in_comments} chars are comments to trafilatura; {verdict}"
        )
        for sentence in measured.lost[: options.show]:
            print(f"    lost: {sentence[:100]}")
    for name, left in chrome:
        print(f"\n{name}: chrome left {left}")
    posts = [m for rows in by_source.values() for _, m in rows]
    unacceptable = sum(
        not quality.acceptable(name, m) for rows in by_source.values() for name, m in rows
    )
    print(
        f"\n{len(posts)} posts: prose kept {sum(m.kept for m in posts)}/"
        f"{sum(m.total for m in posts)} chars; {len(low)} below 80 % "
        f"({unacceptable} not acceptable); {len(chrome)} with chrome left; "
        f"cleaning {seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
