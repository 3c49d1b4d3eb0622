"""Errors raised while evaluating expressions, said in the spec's terms: numpy's shapes of per-trial values
become the spec's sizes, and a message in numpy's own words never reaches the spec's author."""

from __future__ import annotations

import re

# Words of NumPy's messages that a spec's author should never have to read: such a message is replaced.
_NUMPY_WORDS = re.compile(r"ndarray|0-dimensional|broadcast|`indices`|ufunc|dtype|bitwise|shape \(|numpy", re.I)
_GENERIC = "values of different shapes meet here; check the lengths of the vectors it combines"
_SHAPE = re.compile(r"\((\d+(?:,\s*\d+)*),?\)")
_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis \d+ with size (\d+)")


def in_spec_terms(exc: Exception) -> str:
    """An error's message, with numpy's shapes of per-trial values said as the spec's sizes.

    Trial variables are computed for a batch of trials at once, so numpy names shapes such as
    (4,) and (4, 3): one number per trial and a vector of 3 (a size=3 draw) per trial. The batch
    is the author's business only through those sizes. Other messages pass unchanged.
    """
    text = str(exc)
    bounds = _OUT_OF_BOUNDS.search(text) if isinstance(exc, IndexError) else None
    if bounds:
        size = int(bounds[2])
        return f"index {bounds[1]} is outside a list of {size} values (numbered 0 to {size - 1})"
    if "truth value of an array" in text:
        return (
            "a condition compares several values at once (a vector, or an action group of several actions); "
            "compare one entry, e.g. x[i], or test membership with 'in'"
        )
    if not isinstance(exc, ValueError) or "broadcast" not in text:
        return _GENERIC if _NUMPY_WORDS.search(text) else text
    shapes = [tuple(int(d) for d in match.split(",")) for match in _SHAPE.findall(text)]
    if len(shapes) < 2 or any(len(shape) > 2 for shape in shapes) or len({shape[0] for shape in shapes}) != 1:
        lengths = sorted({shape[-1] for shape in shapes if shape and shape[-1] != 1})
        if len(lengths) == 2:  # vectors whose lengths follow parameters given to make()
            return (
                f"a vector of {lengths[0]} values meets one of {lengths[1]} entry by entry; a vector's "
                "length may follow a parameter, so check the values given to make()"
            )
        return _GENERIC
    sizes = dict.fromkeys(
        "a number that varies by trial" if len(s) == 1 else f"a vector of {s[1]} per trial" for s in shapes
    )
    return (
        f"{' and '.join(sizes)} do not combine (a vector, e.g. a size= draw, combines with fixed numbers "
        "and with vectors of its own size)"
    )
