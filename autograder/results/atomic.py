"""Result files written so that a reader never sees half of one, readable as the user's umask allows."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it (see `partial_glob`), renamed into place.

    The file gets the mode a plain `open` would give (0o666 less the umask), not mkstemp's 0600; a
    character UTF-8 cannot encode (a lone surrogate from an undecodable file name) is written as `?`.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    """Write `data` as indented UTF-8 JSON with `write_atomic`, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def umask() -> int:
    """The process's umask, from /proc (`os.umask` reads it only by changing it, under other threads'
    feet); 0o077, files private to their owner, where /proc does not tell."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o077


def partial_glob(name: str) -> str:
    """The temporary files of writes of `name` that were killed halfway (never a result)."""
    return f".{Path(name).stem}-*.tmp"
