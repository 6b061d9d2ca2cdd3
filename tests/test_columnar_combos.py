"""A row's grading conditions as the bits of Int64 words (`evaluate/columnar.combo_words`):
every condition value comes back from its word, past one word's 62 conditions too, and a
missing (null) condition counts as false, as the grading reads it."""

from __future__ import annotations

import random

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")

from indicator_dsl.evaluate.columnar import WORD, combo_flags, combo_words  # noqa: E402


@pytest.mark.parametrize("count", [0, 1, WORD, WORD + 1, 3 * WORD + 5])
def test_each_condition_comes_back_from_its_word(count: int) -> None:
    generator = random.Random(count)
    rows = [[generator.choice([True, False, None]) for _ in range(count)] for _ in range(40)]
    frame = (
        pl.DataFrame(
            [[row[i] for row in rows] for i in range(count)], schema=[f"c{i}" for i in range(count)], orient="col"
        )
        if count
        else pl.DataFrame({"x": [0] * 40})
    )
    words = combo_words([pl.col(f"c{i}") for i in range(count)])
    assert len(words) == max(1, -(-count // WORD))
    coded = frame.with_columns([word.alias(name) for name, word in words.items()]).select(list(words))
    assert all(dtype == pl.Int64 for dtype in coded.dtypes)
    for row, combo in zip(rows, coded.iter_rows(), strict=True):
        assert combo_flags(combo, count) == tuple(value is True for value in row)


def test_the_top_bit_of_a_word_stays_positive() -> None:
    frame = pl.DataFrame({f"c{i}": [True] for i in range(WORD)})
    (word,) = combo_words([pl.col(f"c{i}") for i in range(WORD)]).values()
    assert frame.select(word).item() == 2**WORD - 1
