"""Write a synthetic Jekyll archive shaped like the real one: python bench/make_archive.py N DIR

Sizes follow a log-normal fitted to the real archive (median 21 KB, p99 176 KB, capped at
680 KB, with one post at the cap); most posts are old scraped WordPress-style pages without
the generator's header, the rest use the header; text is mostly Chinese. Deterministic (seeded).
``--scale F`` multiplies every size by F: many small posts measure what grows with the number
of files rather than with their bytes.
"""

import argparse
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

MEDIAN, P99, MAX = 21_000, 176_000, 680_000
SIGMA = math.log(P99 / MEDIAN) / 2.326
HEADERLESS_SHARE = 4948 / 5685  # as in the real archive
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
    "种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把"
    "性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第"
    "向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特"
    "件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南"
    "给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清美再采转更单风切打白"
    "教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石"
    "记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般"
    "史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状"
)
ENGLISH = (
    "The archive keeps every article the reader has ever saved, with its original markup and "
    "the notes written in the margin. Researchers use it to trace how a story changed. "
)


def text_pool(rng: random.Random, size: int = 400_000) -> str:
    chars = rng.choices(COMMON, k=size)
    for i in range(0, size, rng.randint(18, 60)):
        chars[i] = rng.choice("，。、；：“”！？")
    return "".join(chars)


def paragraph(rng, pool, english: bool) -> str:
    if english:
        return ENGLISH * rng.randint(1, 4)
    start = rng.randrange(0, len(pool) - 400)
    return pool[start : start + rng.randint(60, 380)]


def block(rng, pool, n, english) -> str:
    kind = rng.random()
    if kind < 0.70:
        return f"<p>{paragraph(rng, pool, english)}</p>"
    if kind < 0.80:
        src = f"https://img.example.org/{n}/{rng.randrange(10**6)}.jpg"
        return (
            f'<p><img class="lazy" data-src="{src}" src="data:image/gif;base64,R0lGOD=">'
            f'<noscript><img src="{src}"></noscript></p>'
        )
    if kind < 0.85:
        return f"<h2>{paragraph(rng, pool, english)[:24]}</h2>"
    if kind < 0.90:
        items = "".join(f"<li>{paragraph(rng, pool, english)[:60]}</li>" for _ in range(4))
        return f"<ul>{items}</ul>"
    if kind < 0.94:
        return f"<blockquote><p>{paragraph(rng, pool, english)}</p></blockquote>"
    if kind < 0.97:
        return '<script type="text/javascript">window._wpemojiSettings={"x":1};</script>'
    return (
        '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">分享此文：</h3>'
        '<ul><li><a href="https://twitter.com/share">Twitter</a></li>'
        '<li><a href="https://www.facebook.com/sharer.php">Facebook</a></li></ul></div>'
    )


def make_post(rng, pool, n: int, target: int, when: datetime) -> tuple[str, str]:
    english = rng.random() < 0.08
    title = f"Report {n} on the archive" if english else f"{paragraph(rng, pool, False)[:18]}{n}"
    title = title.replace('"', "").replace("\\", "")
    url = f"https://news{n % 7}.example.org/{when:%Y/%m}/{n}/"
    source = ["iYouPort", "泡泡", "Nei.st", "中参馆", "Matters", "燕京书评", "medium"][n % 7]
    front = (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {when:%Y-%m-%dT%H:%M:%S}.000Z\n'
        f"author: 作者{n % 50}\nfrom: {url}\ntags: [ {source} ]\ncomments: True\n"
        f"categories: [ {source} ]\n---\n"
    )
    if rng.random() < HEADERLESS_SHARE:
        head = (
            f'\n<article class="post-{n} post type-post status-publish">\n'
            f' <header class="entry-header"><h1 class="entry-title">{title}</h1></header>\n'
            ' <div class="entry-content">'
        )
        tail = "</div>\n</article>\n"
    else:
        head = f"<!--{int(when.timestamp() * 1000)}-->\n[{title}]({url})\n------\n\n<div>\n"
        tail = "\n</div>\n"
    parts = [front, head]
    size = len((front + head + tail).encode())
    while size < target:
        piece = block(rng, pool, n, english)
        parts.append(piece)
        size += len(piece.encode())
    parts.append(tail)
    name = f"{when:%Y-%m-%d}-{title[:40].replace('/', '-')}.md"
    return name, "".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = text_pool(rng)
    args.folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2014, 1, 1, tzinfo=UTC)
    sizes = [
        int(args.scale * min(MAX, rng.lognormvariate(math.log(MEDIAN), SIGMA)))
        for _ in range(args.count)
    ]
    if args.count >= 100:
        sizes[rng.randrange(args.count)] = int(args.scale * MAX)
    total = 0
    # A post every 97 minutes, closer together for large archives: a date in the future
    # would be (rightly) ignored with a warning.
    step = min(timedelta(minutes=97), timedelta(days=3650) / max(args.count, 1))
    for n, target in enumerate(sizes):
        when = start + n * step
        name, text = make_post(rng, pool, n, target, when)
        data = text.encode()
        (args.folder / name).write_bytes(data)
        total += len(data)
    sizes.sort()
    print(
        f"wrote {args.count} posts, {total / 1e6:.1f} MB to {args.folder} "
        f"(median {sizes[len(sizes) // 2] / 1000:.0f} KB, "
        f"p99 {sizes[int(len(sizes) * 0.99)] / 1000:.0f} KB, max {sizes[-1] / 1000:.0f} KB)"
    )


if __name__ == "__main__":
    main()
