from __future__ import annotations

from bot.comment import CommentContext, best_matches, render, summary
from bot.repo_config import RepoConfig
from ml.submission import FileRisk, Fragment, PairMatch, Report, Skipped

OURS = "org/repo#3"


def report() -> Report:
    return Report(
        files=[FileRisk("src/a.py", "python", 0.91, "high"), FileRisk("src/b|c.py", "python", None, None)],
        pairs=[
            PairMatch(OURS, "org/repo#1", 0.62, 0.62, fragments=[Fragment("src/a.py", (3, 9), "a.py", (10, 16), 40)]),
            PairMatch("org/other#2", OURS, 0.83, 0.83,
                      fragments=[Fragment("x.py", (1, 4), "src/a.py", (20, 23), 30),
                                 Fragment("x.py", (8, 9), "src/a.py", (30, 31), 12)]),
            PairMatch(OURS, "org/repo#5", 0.2, 0.2, fragments=[Fragment("src/b|c.py", (1, 2), "b.py", (1, 2), 9)]),
        ],
        skipped=[Skipped("logo.png", "not a recognised code file")],
    )


def ctx(**cfg) -> CommentContext:  # type: ignore[no-untyped-def]
    return CommentContext(OURS, "org/repo", "github", "f" * 40, "dual-head-v1", RepoConfig(**cfg))


def test_best_match_per_file_and_threshold() -> None:
    matches = best_matches(report(), OURS, 0.5)
    assert set(matches) == {"src/a.py"}  # the 0.2 pair is under the threshold
    best = matches["src/a.py"]
    assert best.other == "org/other#2" and best.ours == [(20, 23), (30, 31)] and best.theirs == [(1, 4), (8, 9)]


def test_render_is_neutral_and_names_only() -> None:
    text = render(report(), ctx())
    assert "| `src/a.py` | high (0.91) | `org/other#2` | 0.83 | 20–23, 30–31 ↔ 1–4, 8–9 |" in text
    assert "| `src/b\\|c.py` | not assessed | — | — | — |" in text
    assert "`logo.png`: not a recognised code file" in text
    assert "not a judgement" in text and "/codeguard recheck" in text and "`dual-head-v1`" in text
    for word in ("plagiar", "cheat", "guilty"):
        assert word not in text.lower()
    same_repo = render(Report(files=report().files, pairs=[report().pairs[0]]), ctx())
    assert "`PR #1`" in same_repo


def test_repo_thresholds_and_ai_off() -> None:
    text = render(report(), ctx(ai_risk_high=0.95, ai_risk_medium=0.5))
    assert "medium (0.91)" in text
    assert "AI-generated risk" not in render(report(), ctx(ai_detection=False))
    broken = render(Report(), CommentContext(OURS, "org/repo", "gitlab", "f" * 40, "m", RepoConfig(errors=("bad",))))
    assert "No code files" in broken and "- bad" in broken and "merge request" in broken


def test_summary_states() -> None:
    state, line = summary(report(), ctx())
    assert state == "attention" and "highest AI-generated risk: high" in line and "org/other#2 (0.83)" in line
    quiet = Report(files=[FileRisk("a.py", "python", 0.1, "low")])
    assert summary(quiet, ctx()) == ("success", "1 file analysed; highest AI-generated risk: low; "
                                                "no signals above the thresholds")


WHY = {"style_reference": "python", "lines": [{"line": 7, "effect": 1.2}, {"line": 2, "effect": 0.4}],
       "style": [{"feature": "comment_capitalised_ratio", "effect": 0.9,
                  "description": "comments starting with a capital letter: 100% here, typically 0%"}]}


def explained_report() -> Report:
    from dataclasses import replace

    r = report()
    r.files = [replace(r.files[0], explanation=WHY), *r.files[1:], FileRisk("src/d.py", "python", 0.3, "low", WHY)]
    return r


def test_high_files_say_why_in_their_own_line_numbers() -> None:
    text = render(explained_report(), ctx())
    assert "<summary>Why 1 file scored high</summary>" in text
    assert ("- `src/a.py`: lines 7, 2 read most like generated code; unlike a typical human python file: "
            "comments starting with a capital letter: 100% here, typically 0%.") in text
    assert "`src/d.py`:" not in text  # low risk: explained or not, no reason is given
    assert "not proof" in text and "this pull request" in text
    # The repository's own thresholds decide what is high; AI off or no explanation: nothing.
    assert "scored high" not in render(explained_report(), ctx(ai_risk_high=0.95, ai_risk_medium=0.5))
    assert "scored high" not in render(explained_report(), ctx(ai_detection=False))
    assert "scored high" not in render(report(), ctx())


def test_the_level_against_the_authors_earlier_work_sits_beside_the_level() -> None:
    from dataclasses import replace

    r = report()
    r.files = [replace(r.files[0], relative_score=0.6, relative_level="low"), *r.files[1:]]
    text = render(r, ctx())
    assert "| `src/a.py` | high (0.91); against the author's earlier work: low | `org/other#2` |" in text
    assert "earlier work" not in render(report(), ctx())


def test_line_numbers_link_to_this_changes_own_lines_where_the_web_page_is_known() -> None:
    from dataclasses import replace

    gh = replace(ctx(), web_url="https://github.com/org/repo")
    text = render(explained_report(), gh)
    row = next(line for line in text.splitlines() if line.startswith("| `src/a.py`"))
    sha = "f" * 40
    assert (f"[20–23](https://github.com/org/repo/blob/{sha}/src/a.py#L20-L23), "
            f"[30–31](https://github.com/org/repo/blob/{sha}/src/a.py#L30-L31) ↔ 1–4, 8–9 |") in row
    assert f"lines [7](https://github.com/org/repo/blob/{sha}/src/a.py#L7), [2](" in text
    gl = CommentContext(OURS, "org/repo", "gitlab", sha, "m", RepoConfig(), web_url="https://gl.example/g/p/")
    assert gl.line_link("dir with space/ü.py", 4, 9) == f"[4–9](https://gl.example/g/p/-/blob/{sha}/dir%20with%20space/%C3%BC.py#L4-9)"
    assert gl.line_link("a.py", 4) == f"[4](https://gl.example/g/p/-/blob/{sha}/a.py#L4)"
    # No web page, or one that could break out of the link: plain numbers.
    for url in ("", "javascript:alert(1)", "https://x.test/a) [y](https://evil.test"):
        assert replace(gh, web_url=url).line_link("a.py", 3, 5) == "3–5"
    assert gh.line_link("hw/Lab 3.ipynb", 3, 5) == "3–5"  # a notebook's lines are its code cells', not its JSON's
    assert "](" not in render(explained_report(), ctx())
