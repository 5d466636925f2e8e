"""JSON objects encoded column by column read back as the table they were made from."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from landtool.json_rows import RowEncoder, joined, json_objects


def test_texts_numbers_and_blanks():
    frame = pd.DataFrame(
        {
            "text": ['a "quoted" \\ back', "万元/亩", "line\nbreak\ttab\x01", None],
            "code": pd.Categorical(["x", None, "x", "y"], categories=["unused", "x", "y"]),
            "number": [1.5, np.nan, np.inf, -0.000001],
            "count": np.array([1, 2, 3, 2**60], dtype=np.int64),
        }
    )
    lines = joined(json_objects(frame), "\n").split("\n")
    assert [json.loads(line) for line in lines] == [
        {"text": 'a "quoted" \\ back', "code": "x", "number": 1.5, "count": 1},
        {"text": "万元/亩", "code": None, "number": None, "count": 2},
        {"text": "line\nbreak\ttab\x01", "code": "x", "number": None, "count": 3},
        {"text": None, "code": "y", "number": -0.000001, "count": 2**60},
    ]
    assert '"万元/亩"' in lines[1]  # the slash and the characters written plainly


@given(st.lists(st.tuples(st.text(), st.floats(allow_nan=False, allow_infinity=False)), max_size=20))
def test_any_text_and_float_read_back_exactly(rows):
    frame = pd.DataFrame(rows, columns=["text", "number"]).astype({"text": object, "number": float})
    text = joined(json_objects(frame), "\n")
    back = [json.loads(line) for line in text.split("\n")] if rows else []
    assert back == [{"text": t, "number": x} for t, x in rows]


def test_categories_encoded_once_for_the_chunks_sharing_them():
    column = pd.Series(pd.Categorical(["a", "b", "a", "b"]))
    encode = RowEncoder()
    first, second = encode(pd.DataFrame({"c": column[:2]})), encode(pd.DataFrame({"c": column[2:]}))
    assert len(encode._categories) == 1
    assert first.to_pylist() == second.to_pylist() == ['{"c":"a"}', '{"c":"b"}']
    assert joined(json_objects(pd.DataFrame({"c": []})), ",") == ""
