"""CSV files that a spreadsheet opens as data, never as formulas.

Every CSV the instructor tools write goes through this module. A spreadsheet
evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some also one
that starts with a tab or a carriage return) as a formula, so a student who names
themself ``=HYPERLINK(...)`` could run a formula on the grader's machine. Following
OWASP's advice on CSV injection, such a text cell is written with a single quote in
front (``'=HYPERLINK(...)``), which spreadsheets show as text.

Two choices go beyond the letter of OWASP's rule:

- a text cell whose first character after leading spaces or line breaks is one of
  ``= + - @`` is quoted too (``" =1+1"``), since some spreadsheets trim cells
  before reading them;
- only text is quoted: numbers (scores) stay numbers, so a spreadsheet can still
  sum them. A text cell that merely looks numeric (``"-7"``) is quoted, because it
  holds a name or an id, not a value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")
#: Characters that make some spreadsheets read the rest of the cell as a formula.
CONTROL_STARTS = ("\t", "\r")


def neutralise(value: Any) -> Any:
    """Return a cell value that no spreadsheet evaluates as a formula.

    Parameters
    ----------
    value : Any
        One cell. Only ``str`` values are changed; numbers, dates and missing
        values are returned as they are.

    Returns
    -------
    Any
        ``value`` with a ``'`` in front when it is text starting with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return (or with ``=``, ``+``, ``-``, ``@``
        after leading whitespace); otherwise ``value`` itself.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(CONTROL_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a table with every text cell neutralised (:func:`neutralise`).

    Numeric columns are left as they are; so are the numbers in a mixed column.
    """
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column])
                or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_frame(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a table as a UTF-8 CSV file with neutralised text cells; return its path.

    Missing values are written as empty fields. Lines end in CRLF, as RFC 4180 has
    it: the csv module then quotes any field holding a line break, including a lone
    carriage return (with LF endings it would leave that field unquoted).
    """
    neutralise_frame(frame).to_csv(path, index=False, lineterminator="\r\n")
    return Path(path)


def write_rows(path: Path | str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a header and rows as a UTF-8 CSV file with neutralised text cells.

    Fields are quoted where needed (commas, quotes, line breaks), as the csv module
    does; ``None`` is written as an empty field; lines end in CRLF.
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(name) for name in header])
        for row in rows:
            writer.writerow([neutralise(value) for value in row])
    return Path(path)
