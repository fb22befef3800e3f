"""Renaming, literal, comment and layout changes must not change the token stream, per language."""

from __future__ import annotations

import pytest

from ml.languages import tree_sitter_languages
from ml.tokens import TokenizeError, backend_for, tokenize

# (original, disguised): identifiers renamed, literal values changed, comments added or
# removed, whitespace and line breaks changed. The streams must be identical.
CASES: dict[str, tuple[str, str]] = {
    "python": (
        'def total(items, rate):\n    """Sum with tax."""\n    acc = 0\n    for it in items:\n        acc += it * rate  # tax\n    return acc + 1.5\n',
        "def f(xs,r):\n\n    s   = 7\n    for y in xs:   s += y*r\n    # done\n    return s + 99.0\n",
    ),
    "java": (
        "class Account { int balance = 0; /* doc */ void add(int amount) { balance += amount * 2; } }",
        "class X\n{\n  int q = 5;\n  // changed\n  void m(int z)\n  {\n    q += z * 7;\n  }\n}\n",
    ),
    "c": (
        'int sum(int *v, int n) { int s = 0; for (int i = 0; i < n; i++) s += v[i]; printf("%d", s); return s; }',
        "int f(int *a, int len)\n{\n  int t = 42; /* x */\n  for (int j = 1; j < len; j++)\n    t += a[j];\n  printf(\"hi\", t);\n  return t;\n}\n",
    ),
    "cpp": (
        "#include <vector>\nint sum(const std::vector<int>& v) { int s = 0; for (auto x : v) s += x; return s; }",
        "#include <vector>\n// c\nint g(const std::vector<int>& data)\n{\n    int acc = 10;\n    for (auto e : data)\n        acc += e;\n    return acc;\n}\n",
    ),
    "csharp": (
        'class Shop { decimal Price(int qty) { var tax = 0.2m; return qty * 10 * (1 + tax); } string Name() => "shop"; }',
        'class Store\n{\n    // pricing\n    decimal Cost(int n)\n    {\n        var t = 0.5m;\n        return n * 3 * (7 + t);\n    }\n    string Label() => "x";\n}\n',
    ),
    "javascript": (
        "function area(w, h) { const k = 2; return w * h * k; } // area\nconsole.log(area(3, 4));",
        "function f(a,b){\n  const z = 9\n  return a*b*z\n}\n/* call */ console.log(f(5, 6))\n",
    ),
    "typescript": (
        "function scale(xs: number[], by: number): number[] { return xs.map((x) => x * by); }",
        "// scale\nfunction s(values: number[], factor: number): number[] {\n  return values.map((v) => v * factor);\n}\n",
    ),
    "go": (
        'package main\nimport "fmt"\nfunc sum(xs []int) int { s := 0; for _, x := range xs { s += x }; fmt.Println("sum"); return s }\n',
        'package pkg\n\nimport "fmt"\n\n// sum\nfunc total(values []int) int {\n\tacc := 5\n\tfor _, v := range values {\n\t\tacc += v\n\t}\n\tfmt.Println("t")\n\treturn acc\n}\n',
    ),
    "rust": (
        "fn sum(v: &[i32]) -> i32 { let mut s = 0; for x in v { s += x; } s }",
        "// sum\nfn total(values: &[i32]) -> i32 {\n    let mut acc = 7; /* init */\n    for e in values {\n        acc += e;\n    }\n    acc\n}\n",
    ),
    "kotlin": (
        'fun sum(xs: List<Int>): Int { var s = 0; for (x in xs) { s += x }; println("done"); return s }',
        'fun total(values: List<Int>): Int {\n    var acc = 3 // start\n    for (v in values) {\n        acc += v\n    }\n    println("fin")\n    return acc\n}\n',
    ),
    "ruby": (
        'def sum(xs)\n  s = 0\n  xs.each { |x| s += x }\n  puts "sum"\n  s\nend\n',
        'def total(values) # adds\n  acc = 10; values.each { |v| acc += v }\n  puts "t"\n  acc\nend\n',
    ),
    "php": (
        '<?php function sum($xs) { $s = 0; foreach ($xs as $x) { $s += $x; } echo "sum"; return $s; }',
        '<?php\n// sum\nfunction total($values)\n{\n    $acc = 4;\n    foreach ($values as $v) {\n        $acc += $v;\n    }\n    echo "t";\n    return $acc;\n}\n',
    ),
}


def test_all_twelve_languages_have_cases() -> None:
    assert set(CASES) <= set(tree_sitter_languages())
    assert len(CASES) == 12


@pytest.mark.parametrize("language", sorted(CASES))
def test_disguise_does_not_change_stream(language: str) -> None:
    original, disguised = CASES[language]
    a, b = tokenize(original, language), tokenize(disguised, language)
    assert backend_for(language) == "tree-sitter"
    assert len(a) > 8
    assert a.texts() == b.texts()
    assert "ID" in a.texts()


@pytest.mark.parametrize("language", sorted(CASES))
def test_structure_change_does_change_stream(language: str) -> None:
    original, _ = CASES[language]
    # Swapping * for - is a real change a copier would not make by accident.
    changed = original.replace("*", "-", 1) if "*" in original else original.replace("+=", "-=", 1)
    assert tokenize(original, language).texts() != tokenize(changed, language).texts()


def test_lines_follow_tokens() -> None:
    stream = tokenize('x = 1\n\n# c\ny = """a\nb""" if x else 2\n', "python")
    assert stream.texts()[:3] == ["ID", "=", "NUM"]
    assert stream.start_lines.tolist()[:3] == [1, 1, 1]
    # the second statement starts on line 4; its string spans lines 4-5
    assert stream.start_lines[3] == 4
    string_at = stream.texts().index("STR")
    assert (stream.start_lines[string_at], stream.end_lines[string_at]) == (4, 5)


def test_docstrings_and_comments_are_dropped() -> None:
    with_doc = tokenize('def f():\n    """Doc."""\n    # note\n    return 1\n', "python")
    without = tokenize("def f():\n    return 1\n", "python")
    assert with_doc.texts() == without.texts()


def test_pygments_fallback_normalises() -> None:
    a = tokenize("let total = 1 // c\nfunc add(x: Int) -> Int { return x + total }", "swift")
    b = tokenize("let s = 9\nfunc f(y: Int) -> Int {\n  return y + s\n}", "swift")
    assert backend_for("swift") == "pygments"
    assert a.texts() == b.texts()
    assert "func" in a.texts()


def test_plain_text_last_resort() -> None:
    stream = tokenize('foo = bar + "baz" 12', "no-such-language")
    assert backend_for("no-such-language") == "text"
    assert stream.texts() == ["ID", "=", "ID", "+", "STR", "NUM"]


def test_prose_is_unparsable() -> None:
    with pytest.raises(TokenizeError):
        tokenize("Dear grader, I could not finish this assignment because my laptop broke.\n", "java")


def test_nul_bytes_are_refused() -> None:
    with pytest.raises(TokenizeError):
        tokenize("int x;\x00\x00", "c")


def test_small_syntax_error_still_tokenises() -> None:
    code = "\n".join(f"int f{i}(int a) {{ return a + {i}; }}" for i in range(20)) + "\nint broken( {\n"
    assert len(tokenize(code, "c")) > 100


@pytest.mark.parametrize(
    ("language", "plain", "decorated"),
    [
        ("java", "class A { int n = 1; void f() { n = 2; } }",
         "public final class A { private static final int n = 1; public synchronized void f() { n = 2; } }"),
        ("cpp", "int f(int x) { int y = x; return y; }", "static inline int f(const int x) { const int y = x; return y; }"),
        ("csharp", "class A { int N = 1; }", "public sealed class A { private static readonly int N = 1; }"),
    ],
)  # fmt: skip
def test_declaration_modifiers_are_ignored(language: str, plain: str, decorated: str) -> None:
    # SPPlagiarise level 3 ("declarations changed") adds and drops modifiers freely.
    assert tokenize(decorated, language).texts() == tokenize(plain, language).texts()
    texts = tokenize(decorated, language).texts()
    assert not {"public", "private", "static", "final", "const", "readonly"} & set(texts)
    assert "ID" in texts and "=" in texts  # the declarations themselves still count


def test_max_error_share_sets_how_much_may_fail_to_parse() -> None:
    code = "\n".join(f"int f{i}(int a) {{ return a + {i}; }}" for i in range(5)) + "\nthis line is an English sentence .\n"
    assert len(tokenize(code, "c")) > 20  # the default share forgives a sentence among code
    with pytest.raises(TokenizeError, match="fail to parse"):
        tokenize(code, "c", max_error_share=0.05)
