from __future__ import annotations

import re

from bot.reports.anonymise import KEY_ENV, Pseudonymiser


def test_same_key_gives_same_pseudonyms_different_key_does_not() -> None:
    names = ["alice", "bob", "carol"]
    a = Pseudonymiser(names, key="course-key")
    b = Pseudonymiser(list(reversed(names)) + ["dave"], key="course-key")
    c = Pseudonymiser(names, key="other-key")
    assert all(a.name(n) == b.name(n) for n in names)  # adding a student changes nothing
    assert [a.name(n) for n in names] != [c.name(n) for n in names]
    assert all(re.fullmatch(r"student-[0-9a-f]{6,}", a.name(n)) for n in names)


def test_random_key_by_default_and_env_key(monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert Pseudonymiser(["alice"]).name("alice") != Pseudonymiser(["alice"]).name("alice")
    monkeypatch.setenv(KEY_ENV, "k" * 40)
    assert Pseudonymiser.from_env(["alice"]).name("alice") == Pseudonymiser(["alice"], key="k" * 40).name(
        "alice"
    )


def test_mapping_is_injective_even_with_prefix_collisions() -> None:
    # 20k names in a 16M space of 6-hex tags collide with near certainty; the
    # colliding names must get longer tags rather than share one.
    names = [f"s{i}" for i in range(20000)]
    p = Pseudonymiser(names, key="x")
    values = list(p.mapping.values())
    assert len(set(values)) == len(values)
    assert any(len(v) > len("student-") + 6 for v in values)


def test_paths_replace_whole_leading_components_only() -> None:
    p = Pseudonymiser(["al", "team/a", "team", "bob.py"], key="k")
    assert p.path("al/src/x.py") == p.name("al") + "/src/x.py"
    assert p.path("alice/x.py") == "alice/x.py"
    assert p.path("team/a/x.py") == p.name("team/a") + "/x.py"
    assert p.path("team/b/x.py") == p.name("team") + "/b/x.py"
    assert p.path("bob.py") == p.name("bob.py")
    assert p.name("bob.py").endswith(".py")  # single-file submissions keep their language


def test_non_code_suffix_is_not_kept_and_unknown_names_are_hashed() -> None:
    p = Pseudonymiser(["j.smith"], key="k")
    assert "smith" not in p.name("j.smith")
    assert p.name("stranger").startswith("student-") and "stranger" not in p.name("stranger")
