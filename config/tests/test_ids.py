"""config.ids: what may name a row, from a URL or a query string."""

import pytest

from config.ids import MAX_ID, IdConverter, parse_id


@pytest.mark.parametrize("text", ["1", "42", str(MAX_ID)])
def test_ids_a_row_can_have_are_read(text):
    assert parse_id(text) == int(text)
    assert IdConverter().to_python(text) == int(text)


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "+1", " 1", "1.0", "²", "١٢", str(MAX_ID + 1), "9" * 20, "0x10"]
)
def test_anything_else_names_no_row(text):
    assert parse_id(text) is None
    with pytest.raises(ValueError):
        IdConverter().to_python(text)
