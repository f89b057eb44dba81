"""A user's condition on a table (``marketsim discover --where "EXPR"``), checked before it is evaluated.

The condition is a Python-like expression over the table's column names, evaluated by
:meth:`pandas.DataFrame.eval` (python engine) with no access to variables, attributes or functions
beyond the ones listed here. Before evaluation the expression is parsed (:mod:`ast`) and every node
is checked against a short list:

* names: column names; a name with dots (``hardware.growth_per_year``) may be written bare or in
  backticks (`` `hardware.growth_per_year` ``), as may any name that is not a Python identifier;
* numbers, ``True`` / ``False``; arithmetic ``+ - * / // % **``; comparisons ``< <= > >= == !=``
  (chained ones too: ``0.2 < x < 0.5``); ``and``, ``or``, ``not`` and ``&``, ``|``, ``~``;
* the functions :data:`FUNCTIONS` (``abs``, ``sqrt``, ``log``, ``log10``, ``exp``, ``floor``,
  ``ceil``) with positional arguments.

Anything else (attribute access on a value, subscripts, calls to other functions, ``@variables``,
strings) is refused with a message. A run whose value is missing (empty cell) in any column the
condition uses counts as false: "the condition held" must be a positive finding.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["FUNCTIONS", "Condition", "ConditionError", "evaluate_condition"]

#: Functions a condition may call (a subset of those pandas.eval knows).
FUNCTIONS = frozenset({"abs", "sqrt", "log", "log10", "exp", "floor", "ceil"})
_EXAMPLE = 'e.g. --where "hhi_final > 0.5" or --where "spend_cut > 0.5 and adoption_final < 0.3"'
_BACKTICKED = re.compile(r"`([^`]*)`")
_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Invert,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr,
    ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.Constant, ast.Name, ast.Load,
    ast.Call, ast.Attribute,
)


class ConditionError(ValueError):
    """The condition cannot be evaluated on the table (the message says why and what is allowed)."""


@dataclass(frozen=True)
class Condition:
    """A condition evaluated on a table.

    Attributes:
        text: the condition as the user wrote it.
        columns: the table columns it uses, in order of first use.
        holds: one bool per table row (False where a used column is missing).
        missing: rows counted false because a used column is empty there.
    """

    text: str
    columns: tuple[str, ...]
    holds: pd.Series
    missing: int


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


class _Names(ast.NodeTransformer):
    """Replace every column reference by a placeholder name ``c0, c1, ...``; collect unknown names."""

    def __init__(self, columns: Sequence[str], quoted: dict[str, str]) -> None:
        self.known = set(columns)
        self.quoted = quoted  # placeholder for a backticked name -> that name
        self.used: dict[str, str] = {}  # column -> placeholder
        self.unknown: list[str] = []

    def _column(self, name: str, node: ast.AST) -> ast.AST:
        name = self.quoted.get(name, name)
        if name not in self.known:
            self.unknown.append(name)
            return node
        placeholder = self.used.setdefault(name, f"c{len(self.used)}")
        return ast.copy_location(ast.Name(id=placeholder, ctx=ast.Load()), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self._column(node.id, node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        name = _dotted(node)
        if name is None:
            raise ConditionError("attribute access on a value is not allowed; write column names only")
        return self._column(name, node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # the function name is not a column (calls were checked by _parse)
        node.args = [self.visit(arg) for arg in node.args]
        return node


def _parse(text: str) -> tuple[ast.Expression, dict[str, str]]:
    """The expression's tree, backticked names replaced by placeholders ``q0, q1, ...`` (returned)."""
    quoted: dict[str, str] = {}

    def quote(match: re.Match[str]) -> str:
        placeholder = f"q{len(quoted)}_"
        quoted[placeholder] = match.group(1)
        return placeholder

    try:
        tree = ast.parse(_BACKTICKED.sub(quote, text).strip(), mode="eval")
    except SyntaxError as err:
        raise ConditionError(f"not a valid expression ({err.msg}); {_EXAMPLE}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ConditionError(f"{type(node).__name__} ({ast.unparse(node) if hasattr(node, 'lineno') else ''}) "
                                 f"is not allowed; use column names (in backticks if they hold brackets or "
                                 f"spaces), numbers, comparisons, arithmetic, and/or/not; {_EXAMPLE}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                                               and not node.keywords):
            raise ConditionError(f"calling {ast.unparse(node.func)}(...) is not allowed; the functions allowed are "
                                 f"{', '.join(sorted(FUNCTIONS))} (positional arguments only)")
        if isinstance(node, ast.Constant) and (isinstance(node.value, str) or node.value is None):
            raise ConditionError(f"{node.value!r}: only numbers and True/False may appear as values")
    return tree, quoted


def _list(columns: Sequence[str]) -> str:
    return ", ".join(f"`{c}`" if not c.isidentifier() and "." not in c else c for c in columns)


def evaluate_condition(table: pd.DataFrame, text: str, groups: dict[str, Sequence[str]] | None = None) -> Condition:
    """Evaluate ``text`` on ``table``: one bool per row.

    Args:
        table: the runs, one per row.
        text: the condition (see the module docstring for what it may contain).
        groups: for the message about an unknown name: a heading (e.g. "outcomes") -> its columns;
            None lists all columns at once.

    Raises:
        ConditionError: the expression is empty, invalid, uses something not allowed, names a
            column the table does not have (the message lists the available ones), uses no column,
            or is not a true/false condition.
    """
    if not text.strip():
        raise ConditionError(f"the condition is empty; {_EXAMPLE}")
    tree, quoted = _parse(text)
    names = _Names([str(c) for c in table.columns], quoted)
    tree = names.visit(tree)
    if names.unknown:
        listing = {"columns": list(table.columns)} if groups is None else groups
        available = "; ".join(f"{head}: {_list(cols)}" for head, cols in listing.items() if len(cols))
        raise ConditionError(f"unknown column(s) {', '.join(dict.fromkeys(names.unknown))}; available: {available}")
    if not names.used:
        raise ConditionError(f"the condition uses no column, so it is the same for every run; {_EXAMPLE}")
    frame = table[list(names.used)].set_axis(list(names.used.values()), axis=1)
    try:
        # python engine, no local or global variables: only the placeholder columns resolve
        result = frame.eval(ast.unparse(tree), engine="python", local_dict={}, global_dict={})
    except Exception as err:  # noqa: BLE001 - pandas raises many types for a bad expression
        raise ConditionError(f"cannot be evaluated: {err}") from None
    if not isinstance(result, pd.Series) or not pd.api.types.is_bool_dtype(result.dtype):
        raise ConditionError(f"is not a true/false condition (it gives {getattr(result, 'dtype', type(result))} "
                             f"values); compare with a value, {_EXAMPLE}")
    present = frame.notna().all(axis=1)
    holds = (result.fillna(False).astype(bool) & present).set_axis(table.index)
    return Condition(text=text.strip(), columns=tuple(names.used), holds=holds, missing=int((~present).sum()))
