"""Names a Jupyter cell can use without importing them, for the namespace student code runs in."""
from __future__ import annotations

from typing import Any


def display(*objs: Any, **kwargs: Any) -> Any:
    """Jupyter's `display`: IPython's when IPython is installed (outside a notebook it prints the
    objects), else each object's repr on its own line (the options are ignored)."""
    try:
        from IPython.display import display as ipython_display
    except ImportError:
        for obj in objs:
            print(repr(obj))
        return None
    return ipython_display(*objs, **kwargs)


def builtins_for_cells() -> dict[str, object]:
    """What Jupyter puts in every notebook's builtins: `display`."""
    return {"display": display}
