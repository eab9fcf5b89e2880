"""How well the cleaner does on a real archive: chrome left, article text kept, time.

    python bench/cleaning_report.py ../shared/corpus [--show N]

Prints one line per post with chrome left or paragraphs lost, then the totals.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import cleaning, parsing
from bench import quality


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("folder", type=Path)
    arguments.add_argument("--show", type=int, default=40, help="posts to list at most")
    options = arguments.parse_args()

    paths = sorted(options.folder.rglob("*.md"))
    posts_with_chrome, kept_total, paragraph_total, seconds, shown = 0, 0, 0, 0.0, 0
    for path in paths:
        try:
            post = parsing.parse_post(path.read_bytes(), str(path))
        except parsing.PostError:
            continue
        started = time.perf_counter()
        cleaned = cleaning.clean(post.raw_body, title=post.title, url=post.url)
        seconds += time.perf_counter() - started
        left = quality.chrome_left(cleaned.body_html, post.title)
        kept, total = quality.kept_share(post.raw_body, cleaned.text)
        kept_total += kept
        paragraph_total += total
        posts_with_chrome += bool(left)
        if (left or kept < total) and shown < options.show:
            shown += 1
            print(f"{path.name}: chrome {left} kept {kept}/{total}")
    share = kept_total / paragraph_total if paragraph_total else 1.0
    print(
        f"{len(paths)} posts: {posts_with_chrome} with chrome left; article paragraph text kept "
        f"{kept_total}/{paragraph_total} chars = {share:.2%}; cleaning {seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
