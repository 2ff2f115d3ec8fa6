"""Tests of widgets/datafile.py: the one YAML reader of the package, and its limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from widgets.datafile import MAX_BYTES, DataFileError, load_data_file, parse_yaml, read_text

FIXTURES = Path(__file__).parent / "fixtures"


def accept(_data) -> list[str]:
    return []


def test_packaged_data_files_load():
    """Do the packaged course data files still load through the limited reader?"""
    for name in ("lens_statements.yaml", "ecomap_example.yaml"):
        assert isinstance(load_data_file(None, name, accept), dict)


def test_a_syntax_error_names_the_file_and_the_line(tmp_path):
    """Is a YAML syntax error in a data file one 'file:line: message' line?"""
    path = tmp_path / "bad.yaml"
    path.write_text("lenses:\n  medical: a\n  relational: [b\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_data_file(path, "unused.yaml", accept)
    message = str(caught.value)
    assert message.startswith(f"{path}:4: YAML syntax error: ")
    assert "\n" not in message


def test_an_alias_bomb_in_a_data_file_is_refused(tmp_path):
    """Is a billion-laughs document refused at the alias that expands too far?"""
    path = tmp_path / "bomb.yaml"
    path.write_bytes((FIXTURES / "scenario-alias-bomb.yaml").read_bytes())
    with pytest.raises(ValueError, match=rf"^{path}:6: YAML aliases .*expand to more than"):
        load_data_file(path, "unused.yaml", accept)


def test_many_small_aliases_are_refused():
    """Is a document with more aliases than the limit refused, even if each is small?"""
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(DataFileError, match="more than 100 aliases") as caught:
        parse_yaml(text)
    assert caught.value.line == 2


def test_a_few_aliases_are_still_read():
    """Does a document with a few small aliases read as before?"""
    assert parse_yaml("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a: &a [*a]\n", 1, "alias *a refers to the list that contains it"),
        ("a: &m {b: *m}\n", 1, "alias *m refers to the mapping that contains it"),
        ("a: 1\nb: " + "[" * 50_000 + "]" * 50_000, 2, "nested more than 50 levels deep"),
        ("a: ok\nb: bell \x07 here\n", 2, "control character U+0007"),
        ("a: ok\nb: c1 \x9b here\n", 2, "control character U+009B"),
        ("a: 1\nb: " + "9" * 5000 + "\n", 2, "a number of 5000 digits"),
        ("a: 1\non: 2\n", 2, "key 'on' is not text"),
        ("a: 1\n2024-01-01: x\n", 2, "key '2024-01-01' is not text"),
        ("when: 2024-02-30\n", 1, "cannot read the value '2024-02-30'"),
    ],
    ids=[
        "recursive-list",
        "recursive-mapping",
        "deep-nesting",
        "control-c0",
        "control-c1",
        "huge-number",
        "boolean-key",
        "date-key",
        "impossible-date",
    ],
)
def test_hostile_yaml_is_a_clear_error_with_a_line(text, line, words):
    """Does each kind of hostile YAML end in one clear error with its line, not a traceback?"""
    with pytest.raises(DataFileError) as caught:
        parse_yaml(text)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_aliases_cannot_build_a_structure_deeper_than_the_limit():
    """Can aliases of aliases not nest a document deeper than the depth limit?"""
    lines = ["l0: &l0 [x]"]
    for n in range(1, 20):
        lines.append(f"l{n}: &l{n} [[[[[*l{n - 1}]]]]]")
    with pytest.raises(DataFileError, match="nested more than 50 levels deep"):
        parse_yaml("\n".join(lines) + "\n")


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path):
    """Is a data file over the size limit refused with 'file:1:'?"""
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1), encoding="utf-8")
    with pytest.raises(DataFileError, match="larger than 1 MiB") as caught:
        read_text(path)
    assert caught.value.line == 1
    with pytest.raises(ValueError, match=rf"^{path}:1: the file is larger than 1 MiB"):
        load_data_file(path, "unused.yaml", accept)


def test_validation_problems_still_name_the_file(tmp_path):
    """Are problems found by the caller's check still reported under the file's name?"""
    path = tmp_path / "data.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{path}: one; two$"):
        load_data_file(path, "unused.yaml", lambda _d: ["one", "two"])
