"""annotations.anchoring: pure functions, no database."""

import random

import pytest

from annotations.anchoring import (
    CONTEXT_CHARS,
    Normalised,
    SelectionError,
    Selector,
    anchor,
    anchor_all,
    describe,
    error_budget,
    normalise,
    validate_selection,
)

ARTICLE = (
    "第一段说了一些话，和经济无关。\n\n"
    "第二段讲中国的经济，中国的经济增长放缓了很多，专家说这是结构性的问题，短期内难以扭转。\n\n"
    "第三段谈中国的外交政策和它与邻国的关系，以及美国的反应。\n\n"
    "The fourth paragraph is in English and quotes a minister who said growth will recover."
)


def select(text, quote, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return describe(text, start, start + len(quote))


def found(text, selector):
    result = anchor(text, selector)
    return None if result is None else text[result.start : result.end]


# --- describing and validating selections ---------------------------------------------------


def test_describe_takes_32_visible_characters_of_context_on_each_side():
    selector = select(ARTICLE, "外交政策")
    assert selector.exact == "外交政策"
    for context in (selector.prefix, selector.suffix):
        assert len("".join(context.split())) == CONTEXT_CHARS
    assert ARTICLE[selector.start - len(selector.prefix) : selector.end + len(selector.suffix)] == (
        selector.prefix + selector.exact + selector.suffix
    )


def test_context_reaches_past_layout_whitespace():
    text = "标题\n" + " " * 40 + "\n" + " " * 40 + "正文开始的第一句话。"
    selector = describe(text, text.index("正文"), text.index("正文") + 2)
    assert selector.prefix.startswith("标题")


def test_describe_at_the_very_start_has_a_short_prefix():
    assert describe(ARTICLE, 0, 3).prefix == ""


def test_validate_accepts_the_quote_that_is_text_between_start_and_end():
    start = ARTICLE.index("增长放缓")
    selector = validate_selection(ARTICLE, start, start + 4, "增长放缓", max_chars=100)
    assert selector == describe(ARTICLE, start, start + 4)


def test_validate_accepts_the_quote_as_shown_in_traditional_characters():
    start = ARTICLE.index("增长放缓")
    selector = validate_selection(ARTICLE, start, start + 4, "增長放緩", max_chars=100)
    assert selector.exact == "增长放缓"  # the server's text, not the view's


@pytest.mark.parametrize(
    ("start", "end", "exact", "field", "reason"),
    [
        (-1, 4, "第一段说", "start", "≥ 0"),
        ("0", 4, "第一段说", "start", "whole number"),
        (True, 4, "第一段说", "start", "whole number"),
        (4, 4, "", "end", "greater than start"),
        (0, 10_000, "第一段说", "end", "past the end"),
        (0, 4, "第二段讲", "exact", "not the text between"),
        (15, 17, "\n\n", "exact", "more than whitespace"),
        (0, 4, None, "exact", "must be a string"),
    ],
)
def test_validate_rejects_a_selection_that_does_not_describe_the_text(
    start, end, exact, field, reason
):
    with pytest.raises(SelectionError) as error:
        validate_selection(ARTICLE, start, end, exact, max_chars=100)
    assert error.value.field == field
    assert reason in error.value.message


def test_validate_enforces_the_quote_limit():
    with pytest.raises(SelectionError, match="limited to 10"):
        validate_selection(ARTICLE, 0, 11, ARTICLE[:11], max_chars=10)


# --- normalisation --------------------------------------------------------------------------


def test_normalise_folds_width_case_whitespace_and_invisible_characters():
    assert normalise("Ｇｒｏｗｔｈ，  ＡＢＣ\u200b１２３\n\n下一段") == "growth, abc123 下一段"


def test_normalised_positions_map_back_to_the_original_text():
    original = "A  b\u200bc\n\nＤ e"
    norm = Normalised(original)
    assert norm.text == "a bc d e"
    # every normalised slice maps back to an original slice that normalises to it
    for start in range(len(norm.text)):
        for end in range(start + 1, len(norm.text) + 1):
            a, b = norm.original(start, is_end=False), norm.original(end, is_end=True)
            assert normalise(original[a:b]).strip() == norm.text[start:end].strip()


def test_error_budget_is_zero_for_short_quotes_and_grows_with_length():
    assert [error_budget(n) for n in (2, 4, 7)] == [0, 0, 0]
    assert error_budget(8) == 1
    assert error_budget(80) == 10
    assert error_budget(100_000) == 256


# --- anchoring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("的", 0, 2), ("这是一句话", 3, 9), ("这是一句话", -3, 5)],
)
def test_a_position_outside_the_text_never_places_the_quote_there(text, start, end):
    """A restored file may carry any position: slicing clamps an end past the text (and
    counts a negative start from the end), so the quote seems to be there."""
    selector = Selector(text[start:end], "", "", start, end)
    result = anchor(text, selector)
    assert result is not None and 0 <= result.start < result.end <= len(text)
    assert text[result.start : result.end] == selector.exact


def test_an_unchanged_text_keeps_the_position():
    selector = select(ARTICLE, "中国的经济", occurrence=1)
    result = anchor(ARTICLE, selector)
    assert (result.start, result.end, result.method) == (selector.start, selector.end, "position")


def test_a_paragraph_inserted_before_moves_the_annotation_with_its_text():
    selector = select(ARTICLE, "增长放缓")
    changed = "新插入的一段话，和原文完全无关。\n\n" + ARTICLE
    result = anchor(changed, selector)
    assert result.method == "quote"
    assert result.start == selector.start + len("新插入的一段话，和原文完全无关。\n\n")
    assert changed[result.start : result.end] == "增长放缓"


def test_a_repeated_short_quote_is_told_apart_by_its_context():
    selector = select(ARTICLE, "中国的", occurrence=1)  # the second of three
    changed = ARTICLE.replace("第一段说了一些话", "第一段说了一些关于中国的话，中国的事情")
    shift = len(changed) - len(ARTICLE)
    result = anchor(changed, selector)
    assert (result.start, result.end) == (selector.start + shift, selector.end + shift)
    assert changed.count("中国的") == 5


def test_the_nearest_of_equally_good_occurrences_wins():
    text = "重复的句子在这里。" * 6
    selector = describe(text, 9 * 4, 9 * 4 + 5)  # the fifth sentence
    shifted = "前言。" + text
    result = anchor(shifted, selector)
    assert result.start == selector.start + 3


def test_a_deleted_short_quote_is_orphaned_even_if_its_words_appear_elsewhere():
    selector = select(ARTICLE, "中国的", occurrence=1)
    changed = ARTICLE.replace(
        "中国的经济增长放缓了很多，专家说这是结构性的问题，短期内难以扭转。", ""
    )
    assert "中国的" in changed
    assert anchor(changed, selector) is None


def test_a_deleted_paragraph_orphans_its_long_quote():
    selector = select(ARTICLE, "专家说这是结构性的问题，短期内难以扭转")
    paragraph = (
        "第二段讲中国的经济，中国的经济增长放缓了很多，专家说这是结构性的问题，短期内难以扭转。\n\n"
    )
    assert anchor(ARTICLE.replace(paragraph, ""), selector) is None


def test_a_typo_fixed_inside_a_long_quote_is_found_fuzzily():
    selector = select(ARTICLE, "专家说这是结构性的问题，短期内难以扭转")
    changed = ARTICLE.replace("短期内难以扭转", "短期内很难扭转")
    assert found(changed, selector) == "专家说这是结构性的问题，短期内很难扭转"
    assert anchor(changed, selector).method == "fuzzy"


def test_a_typo_fixed_inside_a_short_quote_is_found_between_its_context():
    selector = select(ARTICLE, "增长放缓")
    changed = ARTICLE.replace("增长放缓", "增长放慢")
    result = anchor(changed, selector)
    assert changed[result.start : result.end] == "增长放慢"
    assert result.method == "context"


def test_width_and_whitespace_changes_inside_a_quote_are_normalised_away():
    selector = select(ARTICLE, "minister who said growth will recover")
    changed = ARTICLE.replace("minister who said", "ｍｉｎｉｓｔｅｒ   who\u200b said")
    assert found(changed, selector) == "ｍｉｎｉｓｔｅｒ   who\u200b said growth will recover"
    assert anchor(changed, selector).method == "normalised"


def test_a_quote_rewritten_beyond_its_budget_is_orphaned():
    selector = select(ARTICLE, "专家说这是结构性的问题")
    changed = ARTICLE.replace("专家说这是结构性的问题", "分析人士认为属于周期现象")
    assert anchor(changed, selector) is None


def test_a_short_quote_with_one_changed_character_and_a_changed_context_is_orphaned():
    selector = select(ARTICLE, "增长放缓")
    changed = ARTICLE.replace(
        "中国的经济增长放缓了很多，专家说", "印度的出口增长放慢了不少，学者称"
    )
    assert anchor(changed, selector) is None


def test_a_quote_with_more_distinct_characters_than_edlib_has_symbols_still_anchors():
    rng = random.Random(7)  # noqa: S311 (test data, not secrets)
    chars = [chr(0x4E00 + i) for i in range(600)]
    text = "".join(rng.choice(chars) for _ in range(5000))
    selector = describe(text, 1000, 2500)  # far more than 256 distinct characters
    changed = text[:1500] + "错" + text[1501:1800] + "误" + text[1801:]  # two edits: fuzzy
    result = anchor(changed, selector)
    assert (result.start, result.end, result.method) == (1000, 2500, "fuzzy")


def test_anchor_all_answers_for_each_selector_in_order():
    selectors = [select(ARTICLE, "增长放缓"), select(ARTICLE, "外交政策")]
    changed = ARTICLE.replace("外交政策和它与邻国的关系，以及美国的反应。", "")
    results = anchor_all(changed, selectors)
    assert changed[results[0].start : results[0].end] == "增长放缓"
    assert results[1] is None


# --- with the previous text (a re-import) ----------------------------------------------------

TABLE = "".join(f"第{n}行：状态 正常，备注 无。\n" for n in range(1, 8))


def test_the_previous_text_tells_a_deleted_row_from_its_look_alikes():
    selector = select(TABLE, "正常", occurrence=3)  # the fourth row
    changed = TABLE.replace("第4行：状态 正常，备注 无。\n", "")
    assert anchor_all(changed, [selector], previous=TABLE) == [None]


def test_the_previous_text_follows_a_typo_fixed_at_the_end_of_a_short_quote():
    selector = select(ARTICLE, "增长放缓")
    changed = "编者按。\n\n" + ARTICLE.replace("增长放缓", "增长放慢")
    (result,) = anchor_all(changed, [selector], previous=ARTICLE)
    assert changed[result.start : result.end] == "增长放慢"
    assert result.method == "diff"


def test_the_previous_text_follows_whitespace_and_punctuation_changes():
    selector = select(ARTICLE, "专家说这是结构性的问题，短期内难以扭转")
    changed = ARTICLE.replace("，", ",").replace("\n\n", "\n \n\n")
    (result,) = anchor_all(changed, [selector], previous=ARTICLE)
    assert normalise(changed[result.start : result.end]) == normalise(selector.exact)


def test_a_paragraph_moved_whole_is_still_found():
    paragraph = "第三段谈中国的外交政策和它与邻国的关系，以及美国的反应。\n\n"
    selector = select(ARTICLE, "外交政策和它与邻国的关系")
    changed = paragraph + ARTICLE.replace(paragraph, "")
    (result,) = anchor_all(changed, [selector], previous=ARTICLE)
    assert changed[result.start : result.end] == "外交政策和它与邻国的关系"


def test_a_diff_cut_short_by_its_time_limit_is_not_trusted(monkeypatch):
    from annotations import anchoring

    monkeypatch.setattr(anchoring, "DIFF_SECONDS", 0.0)
    selector = select(ARTICLE, "增长放缓")
    changed = "编者按。\n\n" + ARTICLE
    edits = anchoring.Edits(ARTICLE, anchoring.Text(changed))
    assert not edits.usable
    (result,) = anchor_all(changed, [selector], previous=ARTICLE)
    assert result.method == "quote"  # the selectors alone found it


def test_a_quote_starting_with_an_invisible_character_keeps_it():
    text = "香港专上学生联会及中学生组织学民思潮 \u200b宣布罢课后，又有匿名人以“民主真兄弟”发文。"
    selector = describe(text, text.index("\u200b宣"), text.index("\u200b宣") + 2)
    changed = "新的一段在最前面。\n\n" + text.replace("学民思潮 \u200b宣", "学民思潮  \u200b宣", 1)
    (result,) = anchor_all(changed, [selector], previous=text)
    assert changed[result.start : result.end] == "\u200b宣"


def test_a_typo_fixed_in_a_quote_after_deep_indentation_is_followed():
    text = (
        "上一段的结尾。\n"
        + " " * 40
        + "\n"
        + " " * 40
        + "这一段讲的是一件很长的事情，细节很多。\n"
        + " " * 40
    )
    selector = select(text, "这一段讲的是一件很长的事情，细节很多。")
    changed = text.replace("细节很多", "细节很少")
    (result,) = anchor_all(changed, [selector], previous=text)
    assert (result.method, changed[result.start : result.end]) == (
        "diff",
        "这一段讲的是一件很长的事情，细节很少。",
    )


# --- a paragraph inserted above and a character changed inside, at once (issue 13) ------------

SENTENCE = "这并非结构性的问题，专家说短期内难以扭转。"
ABOVE = "这是后来插入的一段，和原文无关。\n\n"  # starts with 这, like the sentence


@pytest.mark.parametrize("quote", ["这并非结构性的问题", SENTENCE, "并非结构", "这并非"])
def test_a_paragraph_inserted_above_and_one_character_changed_inside_keep_the_highlight(quote):
    """并非 → 并不, and a new paragraph just above that starts with the same character: a
    character diff may pair the two 这 and put the paragraph inside the quote's place."""
    text = "第一段说了一些话。\n\n" + SENTENCE + "\n\n第三段谈外交。"
    selector = select(text, quote)
    changed = text.replace(SENTENCE, ABOVE + SENTENCE.replace("并非", "并不"))
    (result,) = anchor_all(changed, [selector], previous=text)
    assert result is not None and result.method == "diff"
    assert changed[result.start : result.end] == quote.replace("并非", "并不")


def test_a_whole_paragraph_moved_elsewhere_is_found_where_it_went():
    text = "开头一段。\n\n被引用的整段文字在这里。\n\n中间一段。\n\n结尾一段。"
    selector = select(text, "被引用的整段文字在这里。")
    changed = "开头一段。\n\n中间一段。\n\n结尾一段。\n\n被引用的整段文字在这里。"
    (result,) = anchor_all(changed, [selector], previous=text)
    assert (changed[result.start : result.end], result.method) == (selector.exact, "moved")


POLLS = "".join(
    f"投票：第{n}题\n\n2014中国互联网的敌人\n\n投票统计： 1{n}7\n\n" for n in range(1, 4)
)


def test_a_deleted_heading_that_stands_three_times_is_orphaned_not_moved_to_a_copy():
    selector = select(POLLS, "2014中国互联网的敌人", occurrence=1)
    changed = POLLS.replace("投票：第2题\n\n2014中国互联网的敌人", "投票：第2题\n\n", 1)
    assert anchor_all(changed, [selector], previous=POLLS) == [None]


def test_an_edited_poll_line_among_look_alikes_is_followed_to_its_place():
    selector = select(POLLS, "投票统计： 127")
    changed = "新的一段。\n\n" + POLLS.replace("投票统计： 127", "投票统计： 1错7")
    (result,) = anchor_all(changed, [selector], previous=POLLS)
    assert result.start == changed.index("投票统计： 1错7")


def test_a_short_whole_line_with_a_changed_character_needs_more_than_blank_edges():
    """A line between blank lines, one character changed, and its neighbours changed too:
    nothing around it says it is the same line, not a look-alike the diff paired it with;
    better an orphan than the wrong poll."""
    text = "甲说了一句话。\n\n投票统计： 127\n\n乙说了一句话。"
    selector = select(text, "投票统计： 127")
    changed = "丙说了另一句。\n\n投票统计： 1错7\n\n丁说了另一句。"
    assert anchor_all(changed, [selector], previous=text) == [None]
