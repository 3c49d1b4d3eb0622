"""Types and shapes of checked expressions, inferred before anything runs.

Every expression has a kind (bool, int or float) and a shape per trial: one number, or a
vector whose length follows from the spec (a number, or a parameter such as `dim_ring`,
known only when the env is made). Whether a value varies from trial to trial (or step to
step) is tracked too, since a vector's length and a draw's options must be fixed for the task.

`infer` walks a checked tree and raises `TypeProblem` at the node where two shapes cannot
meet, in the spec's words: the generated code never learns a shape by failing.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

Length = int | str  # a fixed number of entries, or the expression (a parameter) that gives it


@dataclass(frozen=True)
class Type:
    kind: str  # "bool", "int" or "float"
    length: Length | None = None  # None: one number; else a vector of that many entries
    varies: bool = False  # differs between trials (or steps): not usable as a size or a set of options

    @property
    def vector(self) -> bool:
        return self.length is not None


Types = Mapping[str, "Type | None"]  # what each visible name holds; None: not known (checked where it is used)

Keywords = dict[str, tuple[ast.expr, "Type | None"]]  # a call's keyword arguments and their types
NUMBER, INT, BOOL = Type("float"), Type("int"), Type("bool")
KIND_ORDER = {"bool": 0, "int": 1, "float": 2}
# Element-wise functions and their result kind (None: the arguments' kind)
UNARY: dict[str, str | None] = {
    "sqrt": "float",
    "exp": "float",
    "log": "float",
    "sin": "float",
    "cos": "float",
    "tan": "float",
}
UNARY |= {"tanh": "float", "floor": "float", "ceil": "float", "round": "float", "abs": None, "sign": None}
BINARY: dict[str, str | None] = {"arctan2": "float", "circdist": "float", "mod": None, "minimum": None, "maximum": None}
DRAWS = {"uniform": "float", "normal": "float", "trunc_exp": "float", "bernoulli": "int", "integers": "int"}


class TypeProblem(Exception):
    """A shape or type mismatch at (line, col) inside the expression, both 0-based."""

    def __init__(self, node: ast.AST, message: str):
        super().__init__(message)
        self.message = message
        self.line = getattr(node, "lineno", 1) - 1
        self.col = getattr(node, "col_offset", 0)


def describe(t: Type) -> str:
    """A type in the spec's words: 'one number per trial', 'a vector of 6 values', ..."""
    if t.length is None:
        what = "one truth value" if t.kind == "bool" else "one number"
    else:
        what = f"a vector of {t.length} values"
    return what + (" per trial" if t.varies else "")


def show(node: ast.AST) -> str:
    return f"'{brief(node)}'"


def brief(node: ast.AST) -> str:
    """An expression's text, cut to 40 characters."""
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def length_of(node: ast.expr) -> Length:
    """The length a size argument gives a vector: a number, or the expression naming it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return int(node.value)
    return ast.unparse(node)


def infer(node: ast.expr, types: Types) -> Type | None:
    """The type of `node`; None where a name's type is not known (then nothing is checked above it)."""
    return _Infer(types).visit(node)


def settle(node: ast.expr, types: Types, columns: bool) -> tuple[bool, str]:
    """What batch code needs to know about `node`'s types, written onto the tree before rendering.

    Each `onehot`/`multihot` call is named after its index's type (`multihot` marks every entry of
    a vector of indices), truth values added, subtracted or negated are marked `ts_number` (arrays
    of them would give a logical or, or refuse), and each one-number-per-trial operand combined with a vector is marked
    `ts_column`: batch code holds such values as one entry per trial, which must become a column
    to meet a vector entry by entry (`columns`: where trials are drawn; placements and rules hold
    them as columns already). Returns (whether a call was renamed, the marks as text).
    """
    inference = _Infer(types)
    inference.visit(node)
    renamed = False
    for call, many in inference.hot_calls:
        assert isinstance(call.func, ast.Name)
        wanted = "multihot" if many else "onehot"
        renamed |= call.func.id != wanted
        call.func.id = wanted
    marked = {id(n) for n in inference.columns} if columns else set()
    counted = {id(n) for n in inference.numbers}
    order = []
    for i, child in enumerate(ast.walk(node)):
        if id(child) in marked:
            child.ts_column = True  # type: ignore[attr-defined]  # read by render.py
            order.append(f"c{i}")
        if id(child) in counted:
            child.ts_number = True  # type: ignore[attr-defined]  # read by render.py
            order.append(f"n{i}")
    return renamed, ",".join(order)


def agreements(node: ast.expr, types: Types, lengths: dict[str, ast.expr]) -> list[tuple[ast.expr, ast.expr]]:
    """Pairs of lengths (as expressions of parameters) that `node` combines entry by entry and that
    are known only when the env is made; `lengths` holds the expressions of lengths learnt so far
    (a name's type records its length as text) and gains this expression's."""
    inference = _Infer(types)
    inference.visit(node)
    lengths.update(inference.length_nodes)

    def expression(length: Length) -> ast.expr | None:
        return ast.Constant(length) if isinstance(length, int) else lengths.get(length)

    pairs = [(expression(a), expression(b)) for a, b in inference.agreements]
    return [(a, b) for a, b in pairs if a is not None and b is not None]


class _Infer:
    def __init__(self, types: Types):
        self.types = types
        self.hot_calls: list[tuple[ast.Call, bool]] = []  # onehot/multihot calls, and whether the index is a vector
        self.columns: list[ast.expr] = []  # one number per trial, combined with a vector
        self.numbers: list[ast.expr] = []  # truth values added, subtracted or negated: counted as 0 and 1
        # Lengths known only when the env is made (a parameter): each one's expression, and the pairs
        # that meet entry by entry, which the generated class compares when it is made.
        self.length_nodes: dict[str, ast.expr] = {}
        self.agreements: list[tuple[Length, Length]] = []

    def visit(self, node: ast.expr) -> Type | None:
        method = getattr(self, "_" + type(node).__name__, None)
        return None if method is None else method(node)

    def _Constant(self, node: ast.Constant) -> Type | None:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        return INT if isinstance(value, int) else NUMBER if isinstance(value, float) else None

    def _Name(self, node: ast.Name) -> Type | None:
        if node.id in ("True", "False"):
            return BOOL
        if node.id in ("pi", "e", "inf"):
            return NUMBER
        return self.types.get(node.id)

    def combine(self, node: ast.expr, parts: list[tuple[ast.expr, Type | None]], kind: str | None) -> Type | None:
        """Parts applied element-wise: one number combines with anything, vectors of the same length combine."""
        if any(t is None for _, t in parts):
            return None
        known = [(n, t) for n, t in parts if t is not None]
        vectors = [(n, t) for n, t in known if t.vector]
        for (n1, t1), (n2, t2) in zip(vectors, vectors[1:], strict=False):
            if t1.length is None or t2.length is None or t1.length == t2.length:
                continue
            if not (isinstance(t1.length, int) and isinstance(t2.length, int)):
                self.agreements.append((t1.length, t2.length))
            if isinstance(t1.length, int) and isinstance(t2.length, int) and t1.length != t2.length:
                raise TypeProblem(
                    node,
                    f"{show(n1)} is {describe(t1)} and {show(n2)} is {describe(t2)}: vectors combine "
                    "entry by entry only when they have the same length",
                )
        if vectors:
            self.columns += [n for n, t in known if not t.vector and t.varies]
        if kind is None:
            kind = max((t.kind for _, t in known), key=KIND_ORDER.__getitem__, default="float")
            kind = "int" if kind == "bool" else kind
        length: Length | None = next((t.length for _, t in vectors if isinstance(t.length, int)), None)
        if length is None and vectors:
            length = vectors[0][1].length
        return Type(kind, length, any(t.varies for _, t in known))

    def length(self, node: ast.expr) -> Length:
        length = length_of(node)
        if isinstance(length, str):
            self.length_nodes[length] = node
        return length

    def one_value(self, node: ast.expr, t: Type | None, what: str) -> None:
        if t is not None and t.vector:
            raise TypeProblem(
                node,
                f"{what} is one value, but {show(node)} is {describe(t)}; "
                "index one entry, e.g. x[i], or use sum(), mean() or 'in'",
            )

    def fixed(self, node: ast.expr, t: Type | None, what: str) -> None:
        if t is not None and t.varies:
            raise TypeProblem(node, f"{what} must be the same for every trial, but {show(node)} is {describe(t)}")

    def _BinOp(self, node: ast.BinOp) -> Type | None:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)) and left is not None and right is not None:
            if left.kind == "bool" and right.kind == "bool":  # arrays of truth values would or / refuse
                self.numbers += [node.left, node.right]
        kind = "float" if isinstance(node.op, (ast.Div, ast.Pow)) else None
        return self.combine(node, [(node.left, left), (node.right, right)], kind)

    def _UnaryOp(self, node: ast.UnaryOp) -> Type | None:
        operand = self.visit(node.operand)
        if operand is None:
            return None
        if isinstance(node.op, ast.Not):
            self.one_value(node.operand, operand, "what 'not' negates")
            return Type("bool", None, operand.varies)
        if operand.kind == "bool" and isinstance(node.op, ast.USub):
            self.numbers.append(node.operand)
        return Type("int" if operand.kind == "bool" else operand.kind, operand.length, operand.varies)

    def _BoolOp(self, node: ast.BoolOp) -> Type | None:
        word = "and" if isinstance(node.op, ast.And) else "or"
        types = [self.visit(v) for v in node.values]
        for value, t in zip(node.values, types, strict=True):
            self.one_value(value, t, f"each side of '{word}'")
        return Type("bool", None, any(t is None or t.varies for t in types))

    def _Compare(self, node: ast.Compare) -> Type | None:
        left_node, left = node.left, self.visit(node.left)
        out: Type | None = Type("bool")
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            if isinstance(op, (ast.In, ast.NotIn)):
                self.one_value(left_node, left, "the value left of 'in'")
                piece = None if left is None or right is None else Type("bool", None, left.varies or right.varies)
            else:
                piece = self.combine(node, [(left_node, left), (right_node, right)], "bool")
            if out is not None and piece is not None:
                vectors = [t for t in (out, piece) if t.vector]
                out = Type("bool", vectors[0].length if vectors else None, out.varies or piece.varies)
            else:
                out = None
            left_node, left = right_node, right
        return out

    def _IfExp(self, node: ast.IfExp) -> Type | None:
        test = self.visit(node.test)
        self.one_value(node.test, test, "the condition of 'if'")
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        out = self.combine(node, [(node.body, body), (node.orelse, orelse)], None)
        if out is None or test is None:
            return out
        kinds = {t.kind for t in (body, orelse) if t is not None}
        kind = "bool" if kinds == {"bool"} else out.kind
        return Type(kind, out.length, out.varies or test.varies)

    def _Subscript(self, node: ast.Subscript) -> Type | None:
        values, index = self.visit(node.value), self.visit(node.slice)
        if values is not None and not values.vector:
            raise TypeProblem(
                node, f"{show(node.value)} is {describe(values)}, not a list or vector: it cannot be indexed"
            )
        if index is not None and index.vector and values is not None and values.varies:
            raise TypeProblem(
                node.slice,
                f"{show(node.value)} is {describe(values)}: it takes one index, but {show(node.slice)} is "
                f"{describe(index)} (several positions can be picked only from a list fixed for the task)",
            )
        if index is not None and index.kind == "float" and isinstance(node.slice, ast.Constant):
            raise TypeProblem(node.slice, f"an index is a whole number, got {show(node.slice)}")
        bound = values.length if values is not None else None
        if isinstance(node.slice, ast.Constant) and isinstance(bound, int) and isinstance(node.slice.value, int):
            if not -bound <= node.slice.value < bound:
                raise TypeProblem(
                    node.slice,
                    f"index {node.slice.value} is outside {show(node.value)}, which has {bound} values "
                    f"(numbered 0 to {bound - 1})",
                )
        if values is None:
            return None
        if index is not None and index.vector:  # picks several entries: a vector like the index
            return Type(values.kind, index.length, index.varies)
        return Type(values.kind, None, values.varies or (index is None or index.varies))

    def _List(self, node: ast.List | ast.Tuple) -> Type | None:
        types = [self.visit(e) for e in node.elts]
        for element, t in zip(node.elts, types, strict=True):
            if t is not None and t.vector:
                raise TypeProblem(
                    element,
                    f"a list holds numbers (one per trial at most), but {show(element)} is {describe(t)}; "
                    "index it (x[i]) or sum it",
                )
        kinds = [t.kind for t in types if t is not None]
        kind = max(kinds, key=KIND_ORDER.__getitem__, default="int")
        return Type(kind, len(node.elts), any(t is None or t.varies for t in types))

    _Tuple = _List

    def _Call(self, node: ast.Call) -> Type | None:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.visit(a) for a in node.args]
        keywords: Keywords = {kw.arg: (kw.value, self.visit(kw.value)) for kw in node.keywords if kw.arg}
        pairs = list(zip(node.args, args, strict=True))
        if name in ("start", "end"):
            return Type("float", None, True)
        if name in UNARY and len(pairs) == 1:
            return self.combine(node, pairs, UNARY[name])
        if name in BINARY or name in ("clip", "where"):
            if name == "where" and pairs:
                return self._where(node, pairs)
            return self.combine(node, pairs, BINARY.get(name))
        if name in ("ring", "arange") and len(pairs) == 1:
            self.one_value(*pairs[0], f"the size given to {name}()")
            self.fixed(*pairs[0], f"the size given to {name}()")
            return Type("float" if name == "ring" else "int", self.length(node.args[0]))
        if name in ("onehot", "multihot") and len(pairs) == 2:
            self.one_value(*pairs[1], f"the size given to {name}()")
            self.fixed(*pairs[1], f"the size given to {name}()")
            index = pairs[0][1]
            if index is not None:
                self.hot_calls.append((node, index.vector))
            return Type("float", self.length(node.args[1]), index is None or index.varies)
        if name in ("sum", "mean", "len") and len(pairs) == 1:
            return self._reduce(node, name, *pairs[0])
        if name in ("cumsum", "lag") and len(pairs) == (1 if name == "cumsum" else 2):
            return self._sequence(node, name, pairs)
        if name == "nback_items" and len(pairs) == 4:
            for arg, t in pairs:
                self.one_value(arg, t, "each argument of nback_items()")
            for arg, t in (pairs[0], pairs[1], pairs[2]):
                self.fixed(arg, t, "the number of symbols, items and steps back of nback_items()")
            return Type("int", self.length(node.args[1]), True)
        if name == "interp" and len(pairs) == 3:
            for table, t in pairs[1:]:
                if t is not None and not t.vector:
                    raise TypeProblem(table, f"interp() reads a table: {show(table)} must be a list, not {describe(t)}")
                self.fixed(table, t, "an interp() table")
            x = pairs[0][1]
            return None if x is None else Type("float", x.length, x.varies)
        if name == "choice":
            return self._choice(node, pairs, keywords)
        if name in DRAWS:
            return self._draw(node, name, pairs, keywords)
        return None

    def _where(self, node: ast.Call, pairs: list[tuple[ast.expr, Type | None]]) -> Type | None:
        out = self.combine(node, pairs, None)
        values = [t for _, t in pairs[1:] if t is not None]
        if out is not None and values and all(t.kind == "bool" for t in values):
            return Type("bool", out.length, out.varies)
        if out is not None and values:
            kind = max((t.kind for t in values), key=KIND_ORDER.__getitem__)
            return Type("int" if kind == "bool" else kind, out.length, out.varies)
        return out

    def _sequence(self, node: ast.Call, name: str, pairs: list[tuple[ast.expr, Type | None]]) -> Type | None:
        """cumsum(x) and lag(x, k): a vector in, a vector of the same length out (whole numbers stay whole)."""
        arg, t = pairs[0]
        if t is not None and not t.vector:
            raise TypeProblem(node, f"{name}() takes a list or vector, but {show(arg)} is {describe(t)}")
        if name == "lag":
            self.one_value(*pairs[1], "the steps back of lag()")
            self.fixed(*pairs[1], "the steps back of lag()")
        if t is None:
            return None
        return Type("float" if t.kind == "float" else "int", t.length, t.varies)

    def _reduce(self, node: ast.Call, name: str, arg: ast.expr, t: Type | None) -> Type | None:
        if t is not None and not t.vector:
            raise TypeProblem(node, f"{name}() takes a list or vector, but {show(arg)} is {describe(t)}")
        if name == "len":
            return Type("int")
        if t is None:
            return None
        kind = "float" if name == "mean" or t.kind == "float" else "int"
        return Type(kind, None, t.varies)

    def _size(self, keywords: Keywords, name: str) -> Length | None:
        if "size" not in keywords:
            return None
        node, t = keywords["size"]
        self.one_value(node, t, f"size= of {name}()")
        self.fixed(node, t, f"size= of {name}()")
        return self.length(node)

    def _choice(
        self,
        node: ast.Call,
        pairs: list[tuple[ast.expr, Type | None]],
        keywords: Keywords,
    ) -> Type | None:
        size = self._size(keywords, "choice")
        if not pairs:
            return None
        options, t = pairs[0]
        if t is not None and t.varies:
            hint = "; for a bound that varies by trial use integers(0, n)" if not t.vector else ""
            raise TypeProblem(
                options,
                f"choice() picks from options fixed for the whole task, but {show(options)} is {describe(t)}{hint}",
            )
        if "p" in keywords:
            self.fixed(*keywords["p"], "p= of choice()")
        kind = "int" if t is None or not t.vector else t.kind
        return Type(kind, size, True)

    def _draw(
        self,
        node: ast.Call,
        name: str,
        pairs: list[tuple[ast.expr, Type | None]],
        keywords: Keywords,
    ) -> Type | None:
        size = self._size(keywords, name)
        shaped = self.combine(node, pairs, DRAWS[name]) if pairs else Type(DRAWS[name])
        if shaped is None:
            return Type(DRAWS[name], size, True) if size is not None else None
        if size is not None and shaped.vector:
            if isinstance(size, int) and isinstance(shaped.length, int) and size != shaped.length:
                raise TypeProblem(
                    node, f"{name}() draws {size} values (size={size}) but its arguments hold {shaped.length} per trial"
                )
        return Type(DRAWS[name], size if size is not None else shaped.length, True)
