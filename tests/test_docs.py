"""The documentation (README.md, docs/*.md): its links lead somewhere, the repository names no
place outside itself, and the worked example of docs/rules.md is what the code computes."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from budgets import rates
from performance.scoring import ScoringInput, score_self_evaluation
from performance.values import parse_actual, parse_target

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RULES = DOCS / "rules.md"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


# --- (1) links ---------------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
EXTERNAL = ("http://", "https://", "mailto:")


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → '-'."""
    text = heading.replace("`", "").strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in "-_ ")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> Iterator[str]:
    yield from LINK.findall(prose(path.read_text(encoding="utf-8")))


def test_docs_exist():
    names = {path.name for path in DOCS.glob("*.md")}
    assert {
        "README.md",
        "workbook.md",
        "export-json.md",
        "rules.md",
        "roles.md",
        "operations.md",
        "divisions.md",
    } <= names


def test_docs_index_links_every_guide():
    index = set(links(DOCS / "README.md"))
    for path in DOCS.glob("*.md"):
        if path.name != "README.md":
            assert path.name in index, f"docs/README.md does not link {path.name}"


def test_readme_links_the_docs():
    targets = set(links(ROOT / "README.md"))
    assert "docs/README.md" in targets
    for name in ("workbook.md", "rules.md", "roles.md", "export-json.md", "operations.md"):
        assert f"docs/{name}" in targets


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path):
    broken = []
    for target in links(path):
        if target.startswith(EXTERNAL):
            continue
        file_part, _, fragment = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.is_relative_to(ROOT) or not destination.exists():
            broken.append(f"{target}: no such file in the repository")
            continue
        if fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.name}")
    assert not broken, f"{path.relative_to(ROOT)}:\n" + "\n".join(broken)


# --- (2) nothing names a place outside the repository ------------------------------------------

# Built by concatenation, so that this file does not contain them itself.
FORBIDDEN = (".." + "/shared", "/wo" + "rk/")
EXCLUDED_DIRS = {".git", ".venv", "node_modules", "var", "staticfiles", "__pycache__"}
# Git-ignored caches, skipped too when the files have to be found without git.
IGNORED_DIRS = {".hypothesis", ".pytest_cache", ".ruff_cache", "out"}
BINARY_SUFFIXES = {
    ".xlsx",
    ".xls",
    ".ico",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".zip",
    ".gz",
    ".sqlite3",
    ".pyc",
    ".woff",
    ".woff2",
    ".ttf",
}


def repository_files() -> list[Path]:
    """The repository's files — tracked, or new and not ignored — else a walk of the tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        paths = [ROOT / name for name in listed.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        paths = []
        for directory, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS | IGNORED_DIRS]
            paths.extend(Path(directory) / name for name in filenames)
    return [
        path
        for path in paths
        if path.is_file()
        and not EXCLUDED_DIRS & set(path.relative_to(ROOT).parts)
        and path.suffix.lower() not in BINARY_SUFFIXES
    ]


def offending_lines(path: Path) -> list[str]:
    """`file:line: text` of every line of a text file holding a forbidden string."""
    content = path.read_bytes()
    if b"\0" in content[:8192]:
        return []  # binary
    text = content.decode("utf-8", errors="replace")
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for number, line in enumerate(text.splitlines(), start=1)
        if any(needle in line for needle in FORBIDDEN)
    ]


def test_no_file_names_a_place_outside_the_repository():
    offenders = [line for path in repository_files() for line in offending_lines(path)]
    assert not offenders, "\n".join(offenders)


def test_the_check_reports_an_offender(monkeypatch, tmp_path):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    sample = tmp_path / "notes.md"
    sample.write_text("见 " + FORBIDDEN[0] + "/spec/x.md\n无\n" + FORBIDDEN[1] + "main\n", "utf-8")
    assert [line.split(": ")[0] for line in offending_lines(sample)] == ["notes.md:1", "notes.md:3"]


# --- (3) the worked example of docs/rules.md ----------------------------------------------------

EXAMPLE_START = "<!-- worked-example:start -->"
EXAMPLE_END = "<!-- worked-example:end -->"
RESULT = re.compile(r"^总分：(\d+\.\d{2}) 分，等级：([优良中差])$", re.M)

YEAR = 2024
AS_OF = date(2024, 12, 31)
# The budget as the example lists it (万元).
INITIAL_BUDGET = Decimal(100)
CARRYOVER = Decimal(20)
GENERAL_ADJUSTMENT = Decimal(10)
POLICY_ADJUSTMENT = Decimal(20)
EXECUTED = Decimal(120)
BUDGET_LINES = (
    "- 年初预算：100 万元",
    "- 上年结转：20 万元",
    "- 一般调整：+10 万元",
    "- 政策性调整：+20 万元",
    "- 截至 12 月 31 日的支出合计：120 万元",
)
# (一级指标, 三级指标, 指标值, 实际完成值), as the example's table has them.
INDICATORS = (
    ("成本指标", "设备购置及培训成本", "80万元", "76万元"),
    ("产出指标", "培训人次", "≥1200人次", "1080人次"),
    ("产出指标", "培训完成时间", "11月30日前", "2024-12-15"),
    ("效益指标", "群众就医负担", "明显减轻", "部分达成"),
    ("效益指标", "医保政策知晓率", "≥90%", "81%"),
    ("满意度指标", "参训人员满意度", "≥95%", "96%"),
)


def shown(value: Decimal) -> str:
    return f"{rates.round_half_up(value):.2f}"


@pytest.fixture(scope="module")
def example() -> str:
    text = RULES.read_text(encoding="utf-8")
    assert text.count(EXAMPLE_START) == 1 and text.count(EXAMPLE_END) == 1
    return text.split(EXAMPLE_START)[1].split(EXAMPLE_END)[0]


@pytest.fixture(scope="module")
def figures() -> rates.BudgetFigures:
    initial = INITIAL_BUDGET + CARRYOVER
    return rates.BudgetFigures(
        initial=initial,
        adjusted=initial + GENERAL_ADJUSTMENT + POLICY_ADJUSTMENT,
        executed=EXECUTED,
        policy=POLICY_ADJUSTMENT,
    )


@pytest.fixture(scope="module")
def scored(figures):
    inputs = []
    for level1, name, target_text, actual_text in INDICATORS:
        target = parse_target(target_text, YEAR)
        actual = parse_actual(actual_text, target, year=YEAR, level1=level1)
        inputs.append(ScoringInput(key=name, level1=level1, target=target, actual=actual))
    return score_self_evaluation(
        indicators=inputs, execution_rate=figures.execution_rate, fiscal_year=YEAR
    )


def test_example_inputs_are_the_documented_ones(example):
    for line in BUDGET_LINES:
        assert line in example
    for level1, name, target_text, actual_text in INDICATORS:
        assert f"| {level1} | {name} | {target_text} | {actual_text} |" in example


def test_example_budget_figures(example, figures):
    progress = rates.time_progress(AS_OF)
    for value in (
        figures.execution_rate,
        figures.adjustment_rate,
        figures.carryover_rate,
        progress,
    ):
        assert f"{rates.format_rate(value)}%" in example
    assert figures.warning(progress) == rates.GREEN
    assert "| 执行进度预警 |" in example and "| 正常 |" in example


def test_example_indicator_points_and_scores(example, scored):
    rows = {
        line.split("|")[2].strip(): line
        for line in example.splitlines()
        if line.startswith("| ") and line.count("|") == 8
    }
    assert f"| 预算执行率得分 | 10 × 80.00% | {shown(scored.execution_score)} |" in example
    for item in scored.indicators:
        cells = [cell.strip() for cell in rows[item.key].split("|")]
        assert cells[5] == shown(item.points), item.key
        assert cells[7] == shown(item.score), item.key


def test_example_total_and_grade(example, scored):
    found = RESULT.findall(example)
    assert len(found) == 1, "the example needs exactly one line 总分：NN.NN 分，等级：X"
    total, grade = found[0]
    assert Decimal(total) == scored.total
    assert grade == scored.grade
