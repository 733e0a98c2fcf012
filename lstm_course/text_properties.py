"""What a reader keeps track of in a text: properties of every position, and long-range pairs.

Two uses in lesson 11:

- :func:`position_properties` gives, for every character, quantities a good model of the
  text must track (are we inside parentheses? inside a ``literal``? how far into the line?).
  We then look for LSTM units whose activation follows them (:mod:`lstm_course.cells`).
- :func:`closing_pairs` finds the characters that close something opened earlier (a ``)``
  closing a ``(``, a closing pair of backticks, a closing ``"``) and how far back the opening
  was. Predicting such a character needs memory of the opening: a model that reads only the
  last n - 1 characters cannot know about an opening further back.

Every property at position t describes the text *up to and including* character t, which is
what a model's state after reading character t can know.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROPERTIES", "position_properties", "closing_pairs"]

#: The properties of `position_properties`, with a description for tables.
PROPERTIES = {
    "in_parens": "inside ( ... ), at any depth",
    "in_literal": "inside an inline literal ``...``",
    "in_quotes": 'inside "..." on the current line',
    "column": "position in the line (characters since the newline)",
    "in_code_line": "on a line indented by 3+ spaces (mostly code samples)",
    "in_word": "the character is a letter or digit (not a word boundary)",
}


def position_properties(text: str) -> dict[str, np.ndarray]:
    """The value of every property of `PROPERTIES` after each character of `text`.

    Returns
    -------
    dict mapping each name of `PROPERTIES` to a float array of shape (len(text),): 0/1 for the
    "in_*" properties, a count for "column".
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    out = {name: np.zeros(len(text)) for name in PROPERTIES}
    depth, literal, quotes, column, indent, line_start, backtick = 0, False, False, 0, 0, True, False
    for k, ch in enumerate(text):
        if ch == "\n":
            quotes, column, indent, line_start = False, 0, 0, True
        else:
            column += 1
            line_start = line_start and ch == " "
            indent += line_start
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == '"':
            quotes = not quotes
        if ch == "`" and backtick:  # the second backtick of a pair opens or closes a literal
            literal, backtick = not literal, False
        else:
            backtick = ch == "`"
        out["in_parens"][k] = depth > 0
        out["in_literal"][k] = literal
        out["in_quotes"][k] = quotes
        out["column"][k] = column
        out["in_code_line"][k] = indent >= 3
        out["in_word"][k] = ch.isalnum()
    return out


def closing_pairs(text: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Characters that close something opened earlier, with the distance back to the opening.

    Returns
    -------
    dict with keys ")" (a parenthesis matched by a stack), "``" (the first backtick of a
    closing pair; literals alternate open/close) and '"' (a double quote closing one opened on
    the same line), each mapping to ``(positions, distances)``: int arrays of the index of the
    closing character in `text` and of how many characters before it the opening one is.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    found = {")": ([], []), "``": ([], []), '"': ([], [])}
    stack, literal_open, quote_open, backtick = [], None, None, False
    for k, ch in enumerate(text):
        if ch == "\n":
            quote_open = None
        elif ch == "(":
            stack.append(k)
        elif ch == ")" and stack:
            found[")"][0].append(k)
            found[")"][1].append(k - stack.pop())
        elif ch == '"':
            if quote_open is None:
                quote_open = k
            else:
                found['"'][0].append(k)
                found['"'][1].append(k - quote_open)
                quote_open = None
        if ch == "`" and backtick:  # a pair of backticks: k - 1 is where the marker starts
            backtick = False
            if literal_open is None:
                literal_open = k - 1
            else:
                found["``"][0].append(k - 1)
                found["``"][1].append(k - 1 - literal_open)
                literal_open = None
        else:
            backtick = ch == "`"
    return {key: (np.array(pos, dtype=np.int64), np.array(dist, dtype=np.int64))
            for key, (pos, dist) in found.items()}
