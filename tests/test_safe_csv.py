"""Tests of instructor/safe_csv.py: CSV cells that a spreadsheet reads as data."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

from instructor.safe_csv import neutralise, neutralise_frame, write_frame, write_rows


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3", "+1",
                                  "\t=1", "\rx", " =1", "\n-1", "-7"])
def test_formula_text_gets_a_quote(text):
    """Does text a spreadsheet would evaluate (also after leading spaces) get a ' in front?"""
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Ana", "O'Neil, Jr.", "", "a=b", "s001", "'=x", -1, -2.5,
                                   0, None])
def test_other_values_are_unchanged(value):
    """Are plain text, numbers (negative ones too) and missing values written as they are?"""
    assert neutralise(value) == value


def test_frame_keeps_numbers_numbers(tmp_path):
    """Does a written table keep its numeric column numeric and quote only text cells?"""
    frame = pd.DataFrame({"student": ["=1+1", "s002", "-3"], "score": [-1.0, 2.5, math.nan]})
    assert list(neutralise_frame(frame)["score"][:2]) == [-1.0, 2.5]
    path = write_frame(frame, tmp_path / "t.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["student", "score"], ["'=1+1", "-1.0"], ["s002", "2.5"], ["'-3", ""]]


def test_rows_are_quoted_and_neutralised(tmp_path):
    """Do written rows keep commas, quotes and line breaks inside their field?"""
    path = write_rows(tmp_path / "r.csv", ["name", "score"],
                      [["O'Neil, Jr.", 1.0], ['a\r\n"b"', None], ["\r=1", -1]])
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["name", "score"], ["O'Neil, Jr.", "1.0"], ['a\r\n"b"', ""],
                    ["'\r=1", "-1"]]
