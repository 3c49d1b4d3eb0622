"""The expression language accepts arithmetic on known names and rejects everything else."""

import numpy as np
import pytest

import taskspec
from taskspec.compiler.expressions import Context, ExprError, check_expression
from taskspec.compiler.render import render
from taskspec.runtime import functions as fn

NAMES = {"coh": "var", "sigma": "param", "choice": "group", "dt": "builtin", "t": "builtin"}
CTX = Context(NAMES, frozenset({"stimulus"}), timing=True)

HOSTILE = [
    "__import__('os').system('ls')", "os.system('ls')", "coh.__class__", "coh.real", "().__class__.__bases__",
    "getattr(coh, 'x')", "eval('1')", "exec('x=1')", "open('/etc/passwd')", "lambda: 1", "(lambda x: x)(1)",
    "[x for x in (1, 2)]", "{x for x in (1,)}", "{1: 2}", "{1, 2}", "f'{coh}'", "'%s' % coh", "'a' * 3",
    "(x := 1)", "*coh", "coh if True else __builtins__", "__builtins__", "_rng", "self", "np", "fn",
    "globals()", "coh[1:2]", "coh is None", "b'x'", "print(1)", "type(coh)", "vars()", "compile('1','','eval')",
    "coh; import os", "import os",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_rejected(source):
    with pytest.raises(ExprError):
        check_expression(source, CTX)


def test_error_points_at_the_offending_node():
    with pytest.raises(ExprError) as err:
        check_expression("cos(coh) + sigm", CTX)
    assert (err.value.line, err.value.col) == (0, 11)
    assert "did you mean 'sigma'" in err.value.message


def test_huge_powers_cannot_hang():
    code = render(check_expression("10 ** 10 ** 10", CTX), array=True)
    assert eval(code, {"fn": fn}) == np.inf  # float power overflows instead of computing a huge integer


def test_rendering_of_array_and_scalar_forms():
    both = check_expression("coh > 0 and sigma < 1", CTX)
    assert render(both, array=True) == "fn.all_of(coh > 0, sigma < 1)"
    assert render(both, array=False) == "coh > 0 and sigma < 1"
    assert render(check_expression("1 if coh else 2", CTX), array=True) == "fn.where(coh, 1, 2)"


@pytest.mark.parametrize("source", ["-(coh - 1) * 2", "(coh + 1) / (sigma - 2)", "not (coh > 1 or sigma < 2)",
                                    "coh - (sigma - 1)", "2 ** -coh", "-coh ** 2", "(1 if coh else 2) + 3",
                                    "coh < sigma < 3", "abs(-coh) % 3 // 2", "[coh, -sigma][1] * 2"])
def test_scalar_rendering_keeps_python_meaning_with_fewer_parentheses(source):
    """The scalar rendering evaluates like the source (precedence kept), without redundant parentheses."""
    code = render(check_expression(source, CTX), array=False)
    for coh, sigma in ((0.5, 1.5), (2.0, -1.0), (0.0, 0.0)):
        expected = eval(source, {"abs": abs}, {"coh": coh, "sigma": sigma})  # the test's own trusted text
        got = eval(code, {"fn": fn}, {"coh": coh, "sigma": sigma})
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(expected, float))
    assert "((" not in code.replace("fn.array((", "fn.array(")  # a list literal is a call on a tuple


def test_random_and_timing_functions_only_where_allowed():
    with pytest.raises(ExprError, match="only allowed in trial and session variables"):
        check_expression("uniform(0, 1)", CTX)
    with pytest.raises(ExprError, match="unknown period 'stimulu'"):
        check_expression("start('stimulu')", CTX)
    trial_ctx = Context(NAMES, random=True)
    with pytest.raises(ExprError, match="only allowed in inputs"):
        check_expression("start('stimulus')", trial_ctx)
    assert render(check_expression("choice([1, 2], p=[0.2, 0.8])", trial_ctx), True).startswith("fn.choice(_rng, _n,")
    with pytest.raises(ExprError, match="takes no keyword"):
        check_expression("uniform(0, 1, step=10)", trial_ctx)


def test_functions_work_on_batches_and_scalars():
    rng = np.random.default_rng(0)
    draws = fn.trunc_exp(rng, 20000, 600, 300, 3000)
    assert draws.min() >= 300 and draws.max() < 3000
    assert abs(draws.mean() - 887) < 15  # mean of Exp(600) restricted to [300, 3000)
    assert fn.onehot(1, 3).tolist() == [0, 1, 0]
    assert fn.onehot(np.array([[[0]], [[2]]]), 3).shape == (2, 1, 3)
    with pytest.raises(ValueError):
        fn.arange(10**9)


def test_interp_reads_a_table_and_rejects_bad_tables():
    from taskspec.runtime import functions as fn

    np.testing.assert_allclose(fn.interp(np.array([0.5, 2.0, 9.0]), [0, 1, 3], [0.0, 1.0, 0.0]), [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="two lists of the same length"):
        fn.interp(1.0, [0, 1], [0.0])


def test_comparisons_count_as_numbers_in_arithmetic(tmp_path):
    """True + True is 2, as in Python, also on arrays (numpy would add booleans as a logical or)."""
    spec = tmp_path / "count.yaml"
    spec.write_text(
        "task: Count\ndt: 100\nobservation: {x: 1}\naction: {a: 1}\n"
        "trial:\n  k: uniform(0, 1)\n  count: '(k > -1) + (k > -2) + (k > 2)'\n"
        "periods: {p: 100}\ninputs:\n  - {where: x, value: '(k > -1) + (k > -2)'}\n")
    batch = taskspec.generate_trials(spec, 10, seed=0)
    assert set(batch.variables["count"].tolist()) == {2}
    assert np.all(batch.ob[:, 0, 0] == 2)
