"""Augmentations keep behaviour: checked on Python through its AST (parsed, never run), and on
Java through brace balance and the preserved set of methods."""

from __future__ import annotations

import ast
import random
import re

import pytest

from ml.augment import (
    AUGMENTATIONS,
    add_comments,
    augment,
    brace_style,
    reformat,
    reindent,
    rename_variables,
    reorder_functions,
    strip_comments,
    vary_blank_lines,
)

PY = '''import os
from collections import Counter


def count_words(text_value, min_len=2):
    """Count words. # not a comment"""
    counts = Counter()
    for word in text_value.split():  # split on spaces
        if len(word) >= min_len:
            counts[word] += 1
    label = "total: # also not a comment"
    return counts, label


class Box:
    def __init__(self, size):
        self.size = size

    def area(self):
        return self.size * self.size


def main():
    result = count_words("a bb ccc")
    print(result, Box(3).area())
'''

JAVA = '''package ch_04;

import java.util.*;

public class Solver {
    // Adds two numbers.
    public static int add(int first, int second) {
        int total = first + second; // sum
        return total;
    }

    static String greet(String name) {
        String msg = "hi // not a comment { " + name;
        return msg;
    }

    public static void main(String[] args) {
        int count = add(1, 2);
        System.out.println(greet("x") + count);
    }
}
'''


def dump(code: str) -> str:
    return ast.dump(ast.parse(code))


def shape(code: str) -> str:
    """AST with every plain name erased: equal shapes = same program up to renaming."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = "_"
        elif isinstance(node, ast.arg):
            node.arg = "_"
    return ast.dump(tree)


def java_methods(code: str) -> list[str]:
    return sorted(re.findall(r"(?:public |static )+\w+ (\w+)\(", code))


@pytest.mark.parametrize("seed", range(6))
def test_python_layout_changes_keep_the_ast(seed: int) -> None:
    rng = random.Random(seed)
    for fn in (reindent, vary_blank_lines, strip_comments):
        out = fn(PY, "python", rng)
        assert dump(out) == dump(PY), fn.__name__


@pytest.mark.parametrize("seed", range(6))
def test_rename_is_consistent_and_leaves_strings_imports_and_attributes(seed: int) -> None:
    out = rename_variables(PY, "python", random.Random(seed))
    assert out != PY
    assert shape(out) == shape(PY)
    assert '"""Count words. # not a comment"""' in out and '"total: # also not a comment"' in out
    assert "from collections import Counter" in out and "import os" in out
    assert ".split()" in out and "self.size" in out and "def area" in out  # attributes/callees kept


def test_rename_java_keeps_package_and_imports() -> None:
    out = rename_variables(JAVA, "java", random.Random(0), fraction=1.0)
    assert "package ch_04;" in out and "import java.util.*;" in out
    assert "first" not in out and "total" not in out
    assert '"hi // not a comment { "' in out


@pytest.mark.parametrize("seed", range(6))
def test_reorder_python_keeps_every_block(seed: int) -> None:
    out = reorder_functions(PY, "python", random.Random(seed))
    assert out != PY
    top = lambda code: sorted(ast.dump(n) for n in ast.parse(code).body)  # noqa: E731
    assert top(out) == top(PY)


@pytest.mark.parametrize("seed", range(6))
def test_reorder_java_methods_inside_the_class(seed: int) -> None:
    out = reorder_functions(JAVA, "java", random.Random(seed))
    assert out != JAVA
    assert java_methods(out) == java_methods(JAVA)
    assert out.count("{") == JAVA.count("{") and out.count("}") == JAVA.count("}")
    assert out.strip().startswith("package ch_04;") and out.rstrip().endswith("}")
    # the comment travels with its method
    assert re.search(r"// Adds two numbers.\n\s*public static int add", out)


def test_reorder_without_two_functions_is_identity() -> None:
    code = "x = 1\nprint(x)\n"
    assert reorder_functions(code, "python", random.Random(0)) == code


def test_strip_comments_java_keeps_strings() -> None:
    out = strip_comments(JAVA, "java")
    assert "// Adds" not in out and "// sum" not in out
    assert '"hi // not a comment { "' in out
    assert java_methods(out) == java_methods(JAVA)


@pytest.mark.parametrize("seed", range(4))
def test_add_comments_python_still_parses(seed: int) -> None:
    out = add_comments(PY, "python", random.Random(seed), rate=0.5)
    assert out.count("#") > PY.count("#")
    assert dump(strip_comments(out, "python")) == dump(PY)


def test_add_comments_never_inside_a_multiline_string() -> None:
    code = 'x = """line one\nline two\nline three"""\ny = 2\n'
    for seed in range(20):
        out = add_comments(code, "python", random.Random(seed), rate=1.0)
        assert ast.literal_eval(ast.parse(out).body[0].value) == "line one\nline two\nline three"  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(6))
def test_brace_style_round_trip_java(seed: int) -> None:
    rng = random.Random(seed)
    out = brace_style(JAVA, "java", rng)
    assert out.count("{") == JAVA.count("{")
    assert java_methods(out) == java_methods(JAVA)
    assert brace_style(PY, "python", rng) == PY


def test_reindent_changes_unit_level_for_level() -> None:
    rng = random.Random(3)
    outs = {reindent(JAVA, "java", rng).split("\n")[7] for _ in range(12)}
    assert len(outs) >= 3  # 2, 4, 8 spaces or a tab
    for o in outs:
        assert o.strip() == "int total = first + second; // sum"


def test_everything_is_deterministic_per_seed() -> None:
    for name, fn in AUGMENTATIONS.items():
        for code, lang in ((PY, "python"), (JAVA, "java")):
            assert fn(code, lang, random.Random(7)) == fn(code, lang, random.Random(7)), name
    assert augment(PY, "python", random.Random(1)) == augment(PY, "python", random.Random(1))
    assert reformat(JAVA, "java", random.Random(2)) == reformat(JAVA, "java", random.Random(2))


@pytest.mark.parametrize("seed", range(10))
def test_full_augment_python_still_parses(seed: int) -> None:
    out = augment(PY, "python", random.Random(seed), max_ops=3)
    ast.parse(out)


def test_unknown_language_and_empty_input_do_not_crash() -> None:
    for fn in AUGMENTATIONS.values():
        assert isinstance(fn("", "cobol", random.Random(0)), str)
        assert isinstance(fn("MOVE A TO B.\n", "cobol", random.Random(0)), str)


def test_strip_type_hints_removes_signature_annotations_only() -> None:
    from ml.augment import strip_type_hints

    code = (
        "def calcular(velocidad: int, tam: dict[str, int] = {}, *a: int, **kw: str)->int:\n"
        "    total: int = velocidad\n"
        "    return total\n\n"
        "class A:\n"
        "    async def m(\n        self,\n        v: int = 0,\n    ) -> None:\n        return self\n"
    )
    out = strip_type_hints(code, "python")
    tree = ast.parse(out)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.returns is None
            args = node.args.args + node.args.kwonlyargs + [a for a in (node.args.vararg, node.args.kwarg) if a]
            assert all(a.annotation is None for a in args)
    assert "total: int = velocidad" in out  # body annotations are not the artefact
    assert [ast.dump(d) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for d in f.args.defaults] != []
    assert strip_type_hints(JAVA, "java") == JAVA
    plain = "def f(x, y=2):\n    return x\n"
    assert strip_type_hints(plain, "python") == plain
    # a string inside a signature: that one signature is left alone, later ones still change
    mixed = "def f(x: str = 'a,b') -> str:\n    return x\ndef g(y: int) -> int:\n    return y\n"
    assert strip_type_hints(mixed, "python") == "def f(x: str = 'a,b') -> str:\n    return x\ndef g(y):\n    return y\n"


def test_compact_spacing_makes_in_line_spacing_invisible_and_keeps_the_rest() -> None:
    from ml.augment import compact_spacing

    tidy = 'class A {\n    int f(int a, int b) { // two  spaces\n        return a + b; \n    }\n    String s = "x , y";\n}\n'
    terse = 'class A{\n    int f( int a,int b ){// two  spaces\n        return a+b;\n    }\n    String s="x , y";\n}\n'
    assert compact_spacing(tidy, "java") == compact_spacing(terse, "java")
    out = compact_spacing(tidy, "java")
    assert "int a,int b" in out and "return a+b;" in out  # spaces between words stay
    assert '"x , y"' in out and "// two  spaces" in out  # strings and comments are content
    assert [ln[: len(ln) - len(ln.lstrip())] for ln in out.split("\n")] == [
        ln[: len(ln) - len(ln.lstrip())] for ln in tidy.split("\n")]  # indentation untouched
    py = 'def f(a, b = 2):\n    """doc  string"""\n    return a  +  b  # c\n'
    assert compact_spacing(py, "python") == 'def f(a,b=2):\n    """doc  string"""\n    return a+b# c\n'
    assert compact_spacing(out, "java") == out  # idempotent
