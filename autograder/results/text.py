"""Text from untrusted sources (file names, students' names, their code's messages) made safe to
show on a terminal or in a spreadsheet cell."""
from __future__ import annotations

import re

# Terminal escape sequences, 7-bit and 8-bit: CSI (colours, cursor, clear screen); OSC, DCS, SOS,
# PM and APC strings up to their terminator (window titles, hyperlinks); any other ESC sequence.
# A string's body holds no character that starts one, so unterminated strings cost linear time.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\x90\x98\x9d\x9e\x9f]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")  # undecodable bytes of a file name: cannot be written as UTF-8


def printable(text: str, newlines: bool = False) -> str:
    """`text` without terminal escape sequences or C0/C1 control characters (keeping newlines if
    asked); a character that cannot be written as UTF-8 becomes U+FFFD."""
    text = (_CONTROLS_BUT_NEWLINE if newlines else _CONTROLS).sub("", _SEQUENCES.sub("", text))
    return _SURROGATES.sub("\ufffd", text)
