"""Cheap, language-agnostic style features of a code file.

Why these exist: the classifier head sees code through a WordPiece tokenizer that is blind to
layout, and cheap style statistics (line lengths, comments, naming) are strong evidence of
AI generation on their own. They are concatenated to the encoder's embedding, and they power
the stylometric baseline in benchmarks/eval_aigen.py.

Design rules:
- every feature is a ratio, a bounded statistic or a log-scaled count divided by a typical
  value, so each lies roughly in [0, 1] and can sit next to an L2-normalised embedding;
- nothing that is a pure collection artefact of the training data: tabs vs spaces as such
  (indentation is measured in levels, tabs expanded), `package` headers, trailing newlines;
- the text is only read, never executed.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter

import numpy as np

# Languages whose line comments start with '#', '--' or '//' (the default).
_HASH_COMMENT = {"python", "ruby", "r", "perl", "shell", "bash", "sh", "dockerfile", "yaml", "toml", "make"}
_DASH_COMMENT = {"sql", "haskell", "lua", "ada"}
_NO_LINE_COMMENT = {"css", "html", "xml"}

_KEYWORDS = frozenset(
    """
    abstract and as assert async await auto bool boolean break byte case catch char class const
    continue def default del delete do double elif else enum except export extends extern false
    final finally float for from func function fun global go goto if implements import in include
    instanceof int interface is lambda let long namespace new nil none not null object of or
    package pass private protected public raise return self short signed sizeof static struct
    super switch synchronized template this throw throws true try type typedef typeof union
    unsigned using val var void volatile while with yield string std cout cin endl printf main
    system out println print console log len range list dict set map vector string_view
    """.split()
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S")
_STRING = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`[^`]*`'
)
_BLOCK_COMMENT = re.compile(r"/\*[\s\S]*?\*/")
_NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)?")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_CAMEL = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$")
_PASCAL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
_UPPER = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]*$")
_LOWER_WORD = re.compile(r"^[a-z]{3,}$")
_DEF = re.compile(
    r"^\s*(?:def |async def |function\b|func |fun |fn |sub |"
    r"(?:(?:public|private|protected|static|final|override|virtual|inline|export|async)\s+)+[\w<>\[\], ]+\s*\()"
)
_PRINT = re.compile(r"\b(?:print|println|printf|puts|echo|console\.log|System\.out|cout|fmt\.Print)")
_CODE_LIKE_COMMENT = re.compile(r"[;{}]\s*$|\w\s*\(.*\)|^\s*\w+\s*=\s*\S|^\s*(?:if|for|while|return)\b")
_OPERATOR = re.compile(r"==|!=|<=|>=|&&|\|\||\+=|-=|\*=|/=|[=+\-*/%<>]")
_ASSIGN = re.compile(r"(?<![=!<>+\-*/%&|^:])=(?![=>])")
_COMMA = re.compile(r",")
_KW_PAREN = re.compile(r"\b(if|for|while|switch|catch|elif)\s*\(")
# A binary operator between two operands, with the whitespace on either side captured. The
# operand before it must end a word or bracket and the one after must start one, so unary
# minus, `->`, generics' `<T>` after a keyword and the like mostly fall outside.
_BINOP = re.compile(
    r"(?<=[\w)\]])([ \t]*)(==|!=|<=|>=|&&|\|\||\+=|-=|\*=|/=|%=|<<|>>|[+\-*/%<>]|=)([ \t]*)(?=[\w(\"'\[!-])"
)
_CALL = re.compile(r"\b([A-Za-z_]\w*)([ \t]*)\(")
_NOT_CALLS = frozenset("if for while switch catch return elif and or not in is sizeof new print".split())

FEATURE_NAMES: list[str] = [
    # size
    "log_chars",
    "log_lines",
    # line lengths (non-blank lines)
    "line_len_mean",
    "line_len_std",
    "line_len_p90",
    "line_len_max",
    "frac_lines_over_80",
    "frac_lines_over_120",
    "frac_short_lines",
    # vertical whitespace
    "blank_line_ratio",
    "double_blank_ratio",
    "brace_only_line_ratio",
    # indentation (levels, tabs expanded to 4 columns)
    "indent_mean",
    "indent_std",
    "indent_max",
    "indent_unit_2",
    "indent_unit_4",
    "indent_unit_other",
    "indent_inconsistent_ratio",
    # comments
    "comment_line_ratio",
    "inline_comment_ratio",
    "block_comment_ratio",
    "comment_char_ratio",
    "comment_words_mean",
    "comment_capitalised_ratio",
    "comment_period_ratio",
    "commented_code_ratio",
    "docstring_count",
    "todo_ratio",
    # identifiers and naming
    "log_identifiers",
    "ident_len_mean",
    "ident_len_std",
    "ident_unique_ratio",
    "ident_snake_ratio",
    "ident_camel_ratio",
    "ident_pascal_ratio",
    "ident_upper_ratio",
    "ident_single_char_ratio",
    "ident_short_ratio",
    "ident_long_ratio",
    "ident_digit_ratio",
    "ident_word_ratio",
    "ident_entropy",
    # tokens
    "token_entropy",
    "token_per_line",
    "keyword_ratio",
    "number_literal_ratio",
    "string_literal_per_line",
    "compression_ratio",
    "duplicate_line_ratio",
    # punctuation and spacing
    "semicolon_line_end_ratio",
    "brace_open_eol_ratio",
    "brace_open_own_line_ratio",
    "paren_density",
    "bracket_depth_max",
    "operator_density",
    "assign_spaced_ratio",
    "comma_spaced_ratio",
    "keyword_paren_spaced_ratio",
    # spacing habits: people type irregular spacing (`a+b` next to `c = d`, `i ++`, `foo (x)`);
    # generated and formatter-run code is uniform. Not layout: indentation is measured above.
    "binop_spaced_both_ratio",
    "binop_spaced_none_ratio",
    "binop_spaced_one_side_ratio",
    "binop_spacing_mixed",
    "double_space_inline_ratio",
    "space_before_semicolon_ratio",
    "space_before_comma_ratio",
    "space_inside_paren_ratio",
    "call_space_paren_ratio",
    "paren_brace_unspaced_ratio",
    "comment_unspaced_ratio",
    "incdec_spaced_ratio",
    "quote_style_mixed",
    "trailing_whitespace_ratio",
    "whitespace_char_ratio",
    "uppercase_char_ratio",
    "non_ascii_ratio",
    # structure
    "def_per_line",
    "log_defs",
    "lines_per_def",
    "print_per_line",
    "import_line_ratio",
    "return_per_def",
]


def _clip01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    if total == 0:
        return 0.0
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def _line_comment_marker(language: str) -> str | None:
    lang = language.lower()
    if lang in _HASH_COMMENT:
        return "#"
    if lang in _DASH_COMMENT:
        return "--"
    if lang in _NO_LINE_COMMENT:
        return None
    return "//"


def _split_comment(line: str, marker: str | None) -> tuple[str, str | None]:
    """(code part, comment text or None) of one line, ignoring markers inside strings."""
    if marker is None:
        return line, None
    in_str: str | None = None
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == in_str:
                in_str = None
        elif ch in "\"'`":
            in_str = ch
        elif line.startswith(marker, i):
            # '#include' and friends are not comments in C-like files, but they never use '#'.
            return line[:i], line[i + len(marker) :]
        i += 1
    return line, None


def _indent_columns(line: str) -> int:
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
    return col


def style_features(code: str, language: str) -> np.ndarray:
    """Return len(FEATURE_NAMES) float32 features, each roughly in [0, 1].

    Empty or whitespace-only code gives all zeros rather than an error: the caller decides
    whether such a file is worth scoring.
    """
    f: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0)
    text = code.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    n_lines = max(len(lines), 1)
    marker = _line_comment_marker(language)

    f["log_chars"] = math.log1p(len(text)) / 10.0
    f["log_lines"] = math.log1p(n_lines) / 7.0

    nonblank = [ln for ln in lines if ln.strip()]
    n_nonblank = max(len(nonblank), 1)
    # Clipped at 300 columns: one minified or data line must not dominate the statistics.
    lens = np.array([min(len(ln.expandtabs(4).rstrip()), 300) for ln in nonblank] or [0], dtype=np.float64)
    f["line_len_mean"] = float(lens.mean()) / 80.0
    f["line_len_std"] = float(lens.std()) / 40.0
    f["line_len_p90"] = float(np.percentile(lens, 90)) / 120.0
    f["line_len_max"] = float(lens.max()) / 200.0
    f["frac_lines_over_80"] = float((lens > 80).mean())
    f["frac_lines_over_120"] = float((lens > 120).mean())
    f["frac_short_lines"] = float((lens <= 10).mean())

    blank = [not ln.strip() for ln in lines]
    f["blank_line_ratio"] = sum(blank) / n_lines
    f["double_blank_ratio"] = sum(1 for a, b in zip(blank, blank[1:], strict=False) if a and b) / n_lines
    f["brace_only_line_ratio"] = (
        sum(1 for ln in nonblank if re.fullmatch(r"\s*[{}()\[\];,]+\s*", ln)) / n_nonblank
    )

    # Indentation in columns with tabs expanded, so a tab-indented file and its 4-space twin agree.
    cols = [_indent_columns(ln) for ln in nonblank]
    indented = [c for c in cols if c > 0]
    unit = 0
    if indented:
        steps = Counter(c for c in indented if c <= 8)
        diffs = Counter(abs(a - b) for a, b in zip(cols, cols[1:], strict=False) if a != b)
        candidates = diffs or steps
        unit = min(candidates.most_common(3), key=lambda kv: (-kv[1], kv[0]))[0] if candidates else 0
    if unit > 0:
        levels = np.array(cols, dtype=np.float64) / unit
        f["indent_mean"] = float(levels.mean()) / 4.0
        f["indent_std"] = float(levels.std()) / 3.0
        f["indent_max"] = min(float(levels.max()), 16.0) / 8.0
        f["indent_inconsistent_ratio"] = sum(1 for c in indented if c % unit) / len(indented)
    f["indent_unit_2"] = float(unit == 2)
    f["indent_unit_4"] = float(unit == 4)
    f["indent_unit_other"] = float(unit not in (0, 2, 4))

    # Comments: line comments per the language, C-style blocks, Python docstrings.
    comment_lines = 0
    inline_comments = 0
    comment_texts: list[str] = []
    comment_texts_raw: list[str] = []
    code_parts: list[str] = []
    for ln in lines:
        code_part, comment = _split_comment(ln, marker)
        if marker == "#" and comment is not None and ln.lstrip().startswith("#!"):
            comment = None
            code_part = ln
        code_parts.append(code_part)
        if comment is not None:
            comment_texts_raw.append(comment)
            comment_texts.append(comment.strip().lstrip("/#-! ").strip())
            if code_part.strip():
                inline_comments += 1
            else:
                comment_lines += 1
    code_only = "\n".join(code_parts)
    blocks = _BLOCK_COMMENT.findall(code_only) if language.lower() not in _HASH_COMMENT else []
    block_lines = sum(b.count("\n") + 1 for b in blocks)
    for b in blocks:
        for bl in b.strip("/*").split("\n"):
            t = bl.strip().lstrip("*").strip()
            if t:
                comment_texts.append(t)
    docstrings = re.findall(r'^\s*(?:"""|\'\'\')', text, flags=re.M) if language.lower() == "python" else []
    code_only = _BLOCK_COMMENT.sub(" ", code_only) if blocks else code_only
    comment_chars = sum(len(t) for t in comment_texts)

    f["comment_line_ratio"] = comment_lines / n_nonblank
    f["inline_comment_ratio"] = inline_comments / n_nonblank
    f["block_comment_ratio"] = _clip01(block_lines / n_nonblank)
    f["comment_char_ratio"] = _clip01(comment_chars / max(len(text), 1))
    words = [len(t.split()) for t in comment_texts if t]
    f["comment_words_mean"] = min(float(np.mean(words)) if words else 0.0, 30.0) / 10.0
    real_comments = [t for t in comment_texts if t and t[0].isalpha()]
    if real_comments:
        f["comment_capitalised_ratio"] = sum(t[0].isupper() for t in real_comments) / len(real_comments)
        f["comment_period_ratio"] = sum(t.endswith(".") for t in real_comments) / len(real_comments)
    if comment_texts:
        f["commented_code_ratio"] = sum(bool(_CODE_LIKE_COMMENT.search(t)) for t in comment_texts) / len(
            comment_texts
        )
    f["docstring_count"] = math.log1p(len(docstrings) // 2 + len(docstrings) % 2) / 3.0
    f["todo_ratio"] = _clip01(
        10 * sum(bool(re.search(r"\b(TODO|FIXME|XXX|HACK)\b", t)) for t in comment_texts) / n_nonblank
    )

    # Identifiers: outside strings and comments, keywords removed.
    no_strings = _STRING.sub(" ", code_only)
    n_strings = len(_STRING.findall(code_only))
    idents = [t for t in _IDENT.findall(no_strings) if t.lower() not in _KEYWORDS]
    n_id = len(idents)
    f["log_identifiers"] = math.log1p(n_id) / 8.0
    if n_id:
        ilens = np.array([len(t) for t in idents], dtype=np.float64)
        f["ident_len_mean"] = float(ilens.mean()) / 10.0
        f["ident_len_std"] = float(ilens.std()) / 6.0
        uniq = set(idents)
        f["ident_unique_ratio"] = len(uniq) / n_id
        # Naming style over distinct names, so one loop variable used 50 times counts once.
        nu = len(uniq)
        f["ident_snake_ratio"] = sum(bool(_SNAKE.match(t)) for t in uniq) / nu
        f["ident_camel_ratio"] = sum(bool(_CAMEL.match(t)) for t in uniq) / nu
        f["ident_pascal_ratio"] = sum(bool(_PASCAL.match(t)) for t in uniq) / nu
        f["ident_upper_ratio"] = sum(bool(_UPPER.match(t)) for t in uniq) / nu
        f["ident_single_char_ratio"] = sum(len(t) == 1 for t in uniq) / nu
        f["ident_short_ratio"] = sum(len(t) <= 2 for t in uniq) / nu
        f["ident_long_ratio"] = sum(len(t) >= 15 for t in uniq) / nu
        f["ident_digit_ratio"] = sum(any(ch.isdigit() for ch in t) for t in uniq) / nu
        f["ident_word_ratio"] = sum(bool(_LOWER_WORD.match(t)) for t in uniq) / nu
        f["ident_entropy"] = _entropy(Counter(idents)) / 10.0

    tokens = _TOKEN.findall(no_strings)
    n_tok = max(len(tokens), 1)
    f["token_entropy"] = _entropy(Counter(tokens)) / 10.0
    f["token_per_line"] = min(len(tokens) / n_nonblank, 40.0) / 20.0
    f["keyword_ratio"] = sum(t.lower() in _KEYWORDS for t in tokens) / n_tok
    f["number_literal_ratio"] = len(_NUMBER.findall(no_strings)) / n_tok
    f["string_literal_per_line"] = min(n_strings / n_nonblank, 3.0) / 3.0
    raw = text.encode("utf-8", "replace")
    f["compression_ratio"] = len(zlib.compress(raw, 6)) / max(len(raw), 1)
    stripped = [ln.strip() for ln in nonblank if len(ln.strip()) > 3]
    f["duplicate_line_ratio"] = (len(stripped) - len(set(stripped))) / max(len(stripped), 1)

    code_lines = [c.rstrip() for c in code_only.split("\n") if c.strip()]
    n_code = max(len(code_lines), 1)
    f["semicolon_line_end_ratio"] = sum(c.endswith(";") for c in code_lines) / n_code
    opens = sum(c.count("{") for c in code_lines)
    if opens:
        f["brace_open_eol_ratio"] = sum(c.endswith("{") and c.strip() != "{" for c in code_lines) / opens
        f["brace_open_own_line_ratio"] = sum(c.strip() == "{" for c in code_lines) / opens
    f["paren_density"] = min(no_strings.count("(") / n_code, 6.0) / 3.0
    depth = max_depth = 0
    for ch in no_strings:
        if ch in "([{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    f["bracket_depth_max"] = min(max_depth, 20) / 10.0
    f["operator_density"] = len(_OPERATOR.findall(no_strings)) / n_tok
    assigns = list(_ASSIGN.finditer(no_strings))
    if assigns:
        spaced = sum(
            1
            for m in assigns
            if m.start() > 0
            and no_strings[m.start() - 1] == " "
            and m.end() < len(no_strings)
            and no_strings[m.end()] in " \n"
        )
        f["assign_spaced_ratio"] = spaced / len(assigns)
    commas = list(_COMMA.finditer(no_strings))
    if commas:
        f["comma_spaced_ratio"] = sum(
            1 for m in commas if m.end() >= len(no_strings) or no_strings[m.end()] in " \n"
        ) / len(commas)
    kws = list(_KW_PAREN.finditer(no_strings))
    if kws:
        f["keyword_paren_spaced_ratio"] = sum(" " in m.group(0) for m in kws) / len(kws)
    _spacing_features(f, code_only, comment_texts_raw, language)
    f["trailing_whitespace_ratio"] = sum(ln != ln.rstrip() for ln in lines) / n_lines
    f["whitespace_char_ratio"] = sum(ch.isspace() for ch in text) / len(text)
    letters = [ch for ch in no_strings if ch.isalpha()]
    f["uppercase_char_ratio"] = sum(ch.isupper() for ch in letters) / max(len(letters), 1)
    f["non_ascii_ratio"] = _clip01(20 * sum(ord(ch) > 127 for ch in text) / len(text))

    defs = sum(bool(_DEF.match(c)) for c in code_lines)
    f["def_per_line"] = min(defs / n_code, 0.5) * 4.0
    f["log_defs"] = math.log1p(defs) / 4.0
    f["lines_per_def"] = math.log1p(n_code / defs) / 6.0 if defs else 1.0
    f["print_per_line"] = min(len(_PRINT.findall(no_strings)) / n_code, 0.5) * 2.0
    f["import_line_ratio"] = (
        sum(
            bool(re.match(r"\s*(import|from\s+\S+\s+import|#include|using|require)\b", c)) for c in code_lines
        )
        / n_code
    )
    returns = len(re.findall(r"\breturn\b", no_strings))
    f["return_per_def"] = min(returns / defs, 5.0) / 5.0 if defs else 0.0

    out = np.array([f[name] for name in FEATURE_NAMES], dtype=np.float32)
    # A hard ceiling keeps pathological files (one 10k-column line, 1-char files) in range.
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 2.0)


def _spacing_features(f: dict[str, float], code_only: str, comments: list[str], language: str) -> None:
    """Fill the spacing-habit features from code without comments (`code_only`)."""
    strings = _STRING.findall(code_only)
    # Each string literal becomes an empty one: its contents are not spacing habits, and an
    # operand is still there for the operator patterns to see.
    no_strings = _STRING.sub('""', code_only)
    ops = [(bool(m.group(1)), bool(m.group(3))) for m in _BINOP.finditer(no_strings)]
    if ops:
        n = len(ops)
        both = sum(a and b for a, b in ops)
        none = sum(not a and not b for a, b in ops)
        f["binop_spaced_both_ratio"] = both / n
        f["binop_spaced_none_ratio"] = none / n
        f["binop_spaced_one_side_ratio"] = (n - both - none) / n
        f["binop_spacing_mixed"] = 2.0 * min(both, n - both) / n
    body = [c.strip() for c in no_strings.split("\n") if c.strip()]
    if body:
        f["double_space_inline_ratio"] = sum("  " in b for b in body) / len(body)
    semis = no_strings.count(";")
    if semis:
        f["space_before_semicolon_ratio"] = len(re.findall(r"[ \t];", no_strings)) / semis
    commas = no_strings.count(",")
    if commas:
        f["space_before_comma_ratio"] = len(re.findall(r"[ \t],", no_strings)) / commas
    parens = no_strings.count("(")
    if parens:
        inside = len(re.findall(r"\([ \t]+\S", no_strings)) + len(re.findall(r"\S[ \t]+\)", no_strings))
        f["space_inside_paren_ratio"] = _clip01(inside / (2 * parens))
    calls = [m for m in _CALL.finditer(no_strings) if m.group(1).lower() not in _NOT_CALLS]
    if calls:
        f["call_space_paren_ratio"] = sum(bool(m.group(2)) for m in calls) / len(calls)
    braces = len(re.findall(r"\)[ \t]*\{", no_strings))
    if braces:
        f["paren_brace_unspaced_ratio"] = no_strings.count("){") / braces
    if comments:
        f["comment_unspaced_ratio"] = sum(1 for c in comments if c and c[0] not in " \t/!*#-") / len(comments)
    incdec = re.findall(r"\w([ \t]*)(?:\+\+|--)", no_strings)
    if incdec:
        f["incdec_spaced_ratio"] = sum(bool(sp) for sp in incdec) / len(incdec)
    if language.lower() == "python" and strings:
        single = sum(t.startswith("'") for t in strings)
        double = sum(t.startswith('"') for t in strings)
        if single + double:
            f["quote_style_mixed"] = 2.0 * min(single, double) / (single + double)


def style_matrix(codes: list[str], languages: list[str]) -> np.ndarray:
    """Stack features of many files: shape [len(codes), len(FEATURE_NAMES)]."""
    if len(codes) != len(languages):
        raise ValueError(f"{len(codes)} codes but {len(languages)} languages")
    if not codes:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.stack([style_features(c, lang) for c, lang in zip(codes, languages, strict=True)])
