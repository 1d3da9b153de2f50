"""Bytes to text, whatever the student's editor did to the file."""
from __future__ import annotations

import codecs


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode `data` as UTF-8 (BOM dropped, CRLF/CR normalised); return text and notes."""
    notes = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # what Windows editors write
            notes.append("the file is not UTF-8; read it as Windows-1252")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            notes.append(f"the file is not valid UTF-8: {text.count(chr(0xFFFD))} bad byte(s) were replaced")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL bytes in the file were removed")
    return text, notes
