"""Is a function answer still a template's stub? Decided from its cell's source alone (nothing of the
student's runs in the grader's process): a body of placeholders only (a docstring, `pass`, `...`,
`raise NotImplementedError`, a bare `return` or `return None`) is not written yet."""
from __future__ import annotations

import ast

from autograder.pyparse import PARSE_ERRORS, parse

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (*_DEFS, ast.ClassDef, ast.Lambda)  # names bound inside these are not the cell's


def placeholder_body(source: str, name: str) -> str | None:
    """What function `name`'s body holds ("a docstring", "a docstring and `pass`", ...) when the last
    top-level statement of `source` binding `name` is an undecorated `def name` of placeholders only;
    None when the body does anything else, or `source` does not parse or bind `name` that way."""
    try:
        tree = parse(source)
    except PARSE_ERRORS:
        return None
    last = next((node for node in reversed(tree.body) if _binds(node, name)), None)
    if not isinstance(last, _DEFS) or last.name != name or last.decorator_list:
        return None
    kinds = [_placeholder(stmt, first=i == 0) for i, stmt in enumerate(last.body)]
    if not all(kinds):
        return None
    return _listed(list(dict.fromkeys(kinds)))


def _binds(statement: ast.stmt, name: str) -> bool:
    """Whether a top-level statement may bind `name` in the cell's namespace: a definition, assignment,
    import, `del`, `except ... as`, match capture or `global` declaration of it, anywhere in it."""
    stack: list[ast.AST] = [statement]
    while stack:  # iterative: an expression may nest far deeper than the recursion limit
        node = stack.pop()
        if isinstance(node, _SCOPES):
            if getattr(node, "name", None) == name or any(isinstance(n, ast.Global) and name in n.names
                                                          for n in ast.walk(node)):
                return True
            stack.extend(getattr(node, "decorator_list", []))
            continue
        if _names(node) & {name, "*"}:
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _names(node: ast.AST) -> set[str]:
    """The names `node` itself binds (not its children)."""
    if isinstance(node, ast.Name):
        return set() if isinstance(node.ctx, ast.Load) else {node.id}
    if isinstance(node, ast.alias):
        return {node.asname or node.name.split(".")[0]}
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return {node.name} if node.name else set()
    if isinstance(node, ast.MatchMapping):
        return {node.rest} if node.rest else set()
    return set()


def _placeholder(statement: ast.stmt, first: bool) -> str | None:
    """How a placeholder statement reads ("`pass`", ...); None for one that does something."""
    if isinstance(statement, ast.Pass):
        return "`pass`"
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        value = statement.value.value
        if value is Ellipsis:
            return "`...`"
        if isinstance(value, str):
            return "a docstring" if first else "a string"
    if isinstance(statement, ast.Return) and (statement.value is None or _is_none(statement.value)):
        return "`return None`"
    if isinstance(statement, ast.Raise) and _not_implemented(statement.exc):
        return "`raise NotImplementedError`"
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _not_implemented(node: ast.expr | None) -> bool:
    """`NotImplementedError` or `NotImplementedError(...)`."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Name) and node.id == "NotImplementedError"


def _listed(kinds: list[str]) -> str:
    """"a, b and c"."""
    return kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
