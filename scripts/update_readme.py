"""Regenerate the README's per-pack rule list from the pack files.

    python scripts/update_readme.py
"""

from pathlib import Path

from landtool.policy import rules_markdown

START, END = "<!-- packs:start -->", "<!-- packs:end -->"


def main() -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{rules_markdown()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
