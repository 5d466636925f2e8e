"""The README's rule list is generated from the pack files: it must not drift."""

from pathlib import Path

from landtool.policy import rules_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_list_matches_the_packs():
    text = README.read_text(encoding="utf-8")
    listed = text.split("<!-- packs:start -->\n", 1)[1].split("<!-- packs:end -->", 1)[0]
    assert listed == rules_markdown(), "run: python scripts/update_readme.py"


def test_readme_quick_start_is_two_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make run", "make test"]
