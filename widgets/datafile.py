"""Course data files (YAML under widgets/data/): read and check them in one way."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_data_file"]


def load_data_file(
    path: str | Path | None, default: str, validate: Callable[[Any], list[str]]
) -> Any:
    """Read a YAML data file (the packaged ``default`` when ``path`` is None) and check it.

    Raises
    ------
    ValueError
        If the file is not valid YAML or ``validate`` lists problems; the message names the
        file and every problem.
    """
    if path is None:
        text = resources.files("widgets").joinpath("data", default).read_text("utf-8")
        where = default
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}: not valid YAML: {exc}") from None
    problems = validate(data)
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return data
