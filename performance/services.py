"""Writes of the performance app: a project's indicators and the indicator library.

Writes check budgets.access (STATEMENTS: a department's statements) and, for indicators, the
lock of a submitted self-evaluation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from budgets.access import STATEMENTS, may_access_department
from budgets.models import Project, User

from .choices import LEVEL1_NAMES
from .models import Indicator, IndicatorTemplate
from .values import ValueError_, parse_target
from .workbook import UNKNOWN_LEVEL1, WEIGHT_NOT_POSITIVE, normalize_level1

INDICATOR_LOCKED = "该项目的绩效自评已提交，绩效目标已锁定，不能修改"
INDICATOR_NO_PERMISSION = "您无权修改部门“{department}”的项目绩效目标"
INDICATOR_DUPLICATE = "该项目的{level1}中已有三级指标“{name}”，同一一级指标下的三级指标不能重复"
INDICATOR_NAME_REQUIRED = "三级指标不能为空"
INDICATOR_NAME_TOO_LONG = "三级指标过长（最多200个字符）"
INDICATOR_LEVEL2_TOO_LONG = "二级指标过长（最多50个字符）"
INDICATOR_NOTE_TOO_LONG = "指标值说明过长（最多2000个字符）"
INDICATOR_WEIGHT_INVALID = "权重最多保留3位小数，且不能超过9999.999，不能是“{value}”"

NAME_MAX = 200
LEVEL2_MAX = 50
NOTE_MAX = 2000
WEIGHT_MAX = Decimal("9999.999")
TEMPLATE_SEARCH_LIMIT = 20


# --- indicators -----------------------------------------------------------------------------


def _check_may_change(user: User, project: Project) -> None:
    if not may_access_department(user, project.department_id, STATEMENTS):
        raise PermissionDenied(INDICATOR_NO_PERMISSION.format(department=project.department.name))


def _locked_project(project: Project) -> Project:
    """Re-read the project under a row lock, so a submit cannot slip in between check and write."""
    project = Project.objects.select_for_update().select_related("department").get(pk=project.pk)
    if project.targets_locked:
        raise ValidationError(INDICATOR_LOCKED, code="locked")
    return project


def parse_weight(text: str) -> Decimal | None:
    """A 权重 typed into a form: blank is None; anything not a positive number is refused."""
    text = text.strip()
    if not text:
        return None
    try:
        weight = Decimal(text.replace("，", "").replace(",", ""))
    except InvalidOperation:
        raise ValidationError(WEIGHT_NOT_POSITIVE.format(value=text), code="weight") from None
    if not weight.is_finite() or weight <= 0:
        raise ValidationError(WEIGHT_NOT_POSITIVE.format(value=text), code="weight")
    return weight


def _clean_fields(
    *,
    project: Project,
    level1: str,
    level2: str,
    name: str,
    value: str,
    weight: Decimal | None,
    note: str,
    exclude_pk: int | None = None,
) -> dict:
    """Check one indicator's fields together, so a form shows every problem at once."""
    errors: dict[str, str] = {}
    level1_text = level1.strip()
    level1 = normalize_level1(level1_text)
    if level1 not in LEVEL1_NAMES:
        errors["level1"] = UNKNOWN_LEVEL1.format(value=level1_text)
    level2 = level2.strip()
    if len(level2) > LEVEL2_MAX:
        errors["level2"] = INDICATOR_LEVEL2_TOO_LONG
    name = name.strip()
    if not name:
        errors["name"] = INDICATOR_NAME_REQUIRED
    elif len(name) > NAME_MAX:
        errors["name"] = INDICATOR_NAME_TOO_LONG
    # Outer whitespace typed into a form is not part of the value; inner text stays as written.
    value = value.strip()
    target = None
    try:
        target = parse_target(value, project.year)
    except ValueError_ as exc:
        errors["value"] = exc.message
    if weight is not None:
        if not weight.is_finite() or weight <= 0:
            errors["weight"] = WEIGHT_NOT_POSITIVE.format(value=weight)
        elif weight > WEIGHT_MAX or weight != weight.quantize(Decimal("0.001")):
            errors["weight"] = INDICATOR_WEIGHT_INVALID.format(value=weight)
    note = note.strip()
    if len(note) > NOTE_MAX:
        errors["note"] = INDICATOR_NOTE_TOO_LONG
    if "level1" not in errors and "name" not in errors:
        taken = Indicator.objects.filter(project=project, level1=level1, name=name)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            errors["name"] = INDICATOR_DUPLICATE.format(level1=level1, name=name)
    if errors:
        raise ValidationError(errors)
    return {
        "level1": level1,
        "level2": level2,
        "name": name,
        "target": target,
        "weight": weight,
        "note": note,
    }


def _save(indicator: Indicator, fields: dict, user: User) -> Indicator:
    indicator.level1 = fields["level1"]
    indicator.level2 = fields["level2"]
    indicator.name = fields["name"]
    indicator.set_target(fields["target"])
    indicator.weight = fields["weight"]
    indicator.note = fields["note"]
    indicator._history_user = user
    try:
        # Two people adding the same indicator at once: the second loses on the constraint.
        with transaction.atomic():
            indicator.save()
    except IntegrityError as exc:
        message = INDICATOR_DUPLICATE.format(level1=fields["level1"], name=fields["name"])
        raise ValidationError({"name": message}) from exc
    return indicator


@transaction.atomic
def indicator_create(
    *,
    user: User,
    project: Project,
    level1: str,
    name: str,
    value: str,
    level2: str = "",
    weight: Decimal | None = None,
    note: str = "",
) -> Indicator:
    """Add an indicator to a project; `value` is the target as written (e.g. `≥95%`)."""
    _check_may_change(user, project)
    project = _locked_project(project)
    fields = _clean_fields(
        project=project,
        level1=level1,
        level2=level2,
        name=name,
        value=value,
        weight=weight,
        note=note,
    )
    last = Indicator.objects.filter(project=project).aggregate(last=Max("position"))["last"]
    indicator = Indicator(project=project, position=(last or 0) + 1)
    return _save(indicator, fields, user)


@transaction.atomic
def indicator_update(
    *,
    user: User,
    indicator: Indicator,
    level1: str,
    name: str,
    value: str,
    level2: str = "",
    weight: Decimal | None = None,
    note: str = "",
) -> Indicator:
    """Change an indicator of a project (its project never changes)."""
    _check_may_change(user, indicator.project)
    project = _locked_project(indicator.project)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    fields = _clean_fields(
        project=project,
        level1=level1,
        level2=level2,
        name=name,
        value=value,
        weight=weight,
        note=note,
        exclude_pk=indicator.pk,
    )
    return _save(indicator, fields, user)


@transaction.atomic
def indicator_delete(*, user: User, indicator: Indicator) -> None:
    """Delete an indicator (its history keeps who deleted it); actuals recorded go with it."""
    _check_may_change(user, indicator.project)
    _locked_project(indicator.project)
    indicator._history_user = user
    indicator.delete()


# --- the indicator library (指标库) -----------------------------------------------------------


def template_search(
    *, query: str, level1: str = "", limit: int = TEMPLATE_SEARCH_LIMIT
) -> list[IndicatorTemplate]:
    """Library entries whose name, 二级指标 or description contain every word, most used first.

    No words: the most used entries of the 一级指标 (none when no 一级指标 either)."""
    templates = IndicatorTemplate.objects.all()
    level1 = normalize_level1(level1) if level1.strip() else ""
    if level1:
        templates = templates.filter(level1=level1)
    words = query.split()
    if not words and not level1:
        return []
    for word in words:
        templates = templates.filter(
            Q(name__icontains=word) | Q(level2__icontains=word) | Q(description__icontains=word)
        )
    return list(templates.order_by("-usage_count", "level1", "name")[:limit])


@dataclass(frozen=True)
class LibrarySeedResult:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def indicator_library_seed_from_indicators() -> LibrarySeedResult:
    """Upsert one library entry per (一级指标, 三级指标): the most common value, unit and 二级指标,
    and the number of uses; descriptions stay the admin's. Running it twice changes nothing."""
    values: dict[tuple[str, str], Counter] = defaultdict(Counter)
    units: dict[tuple[str, str], Counter] = defaultdict(Counter)
    level2s: dict[tuple[str, str], Counter] = defaultdict(Counter)
    used: Counter = Counter()
    rows = Indicator.objects.order_by("pk").values_list("level1", "level2", "name", "raw", "unit")
    for level1, level2, name, raw, unit in rows.iterator(chunk_size=2000):
        key = (level1, name.strip())
        used[key] += 1
        values[key][raw.strip()] += 1
        if unit:
            units[key][unit] += 1
        if level2:
            level2s[key][level2] += 1

    def most_common(counter: Counter) -> str:
        # Ties go to the first seen (Counter keeps insertion order), so runs agree.
        return counter.most_common(1)[0][0] if counter else ""

    existing = {(t.level1, t.name): t for t in IndicatorTemplate.objects.all()}
    to_create, to_update = [], []
    unchanged = 0
    for key, count in used.items():
        wanted = {
            "typical_value": most_common(values[key])[:500],
            "unit": most_common(units[key])[:50],
            "usage_count": count,
        }
        template = existing.get(key)
        if template is None:
            to_create.append(
                IndicatorTemplate(
                    level1=key[0], name=key[1], level2=most_common(level2s[key])[:50], **wanted
                )
            )
            continue
        if not template.level2 and level2s[key]:
            wanted["level2"] = most_common(level2s[key])[:50]
        changed = {k: v for k, v in wanted.items() if getattr(template, k) != v}
        if not changed:
            unchanged += 1
            continue
        for k, v in changed.items():
            setattr(template, k, v)
        to_update.append(template)
    IndicatorTemplate.objects.bulk_create(to_create, batch_size=500)
    IndicatorTemplate.objects.bulk_update(
        to_update, ["typical_value", "unit", "usage_count", "level2"], batch_size=500
    )
    return LibrarySeedResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
