"""Each stored DepartmentTarget (a 投入管理 rate's target, 预算11表) becomes a department
indicator of 部门整体目标: 一级指标 投入管理指标, 二级指标 its group, 三级指标 the rate's
name, computed from that rate. Departments that never set a target get none: the former
built-in defaults (新乡市's published values) are not copied to anyone."""

from django.db import migrations

from performance.values import ValueError_, parse_target, target_to_contract

LEVEL1_INPUT = "投入管理指标"
# Frozen copies of performance.choices as they were when DepartmentTarget was removed:
# metric -> (三级指标, 二级指标), in the order of the official table.
METRICS = {
    "execution_rate": ("预算执行率", "预算和财务管理"),
    "adjustment_rate": ("预算调整率", "预算和财务管理"),
    "carryover_rate": ("结转结余率", "预算和财务管理"),
    "three_public_control_rate": ("“三公经费”控制率", "预算和财务管理"),
    "procurement_execution_rate": ("政府采购执行率", "预算和财务管理"),
    "target_completion_rate": ("绩效目标编制完成率", "绩效管理"),
    "monitoring_completion_rate": ("绩效监控完成率", "绩效管理"),
    "self_evaluation_completion_rate": ("绩效自评完成率", "绩效管理"),
}
ORDER = {metric: n for n, metric in enumerate(METRICS, start=1)}


def forwards(apps, schema_editor):
    DepartmentTarget = apps.get_model("performance", "DepartmentTarget")
    DepartmentIndicator = apps.get_model("performance", "DepartmentIndicator")
    taken = set(DepartmentIndicator.objects.values_list("department_id", "year", "level1", "name"))
    created = []
    for target in DepartmentTarget.objects.order_by("department_id", "year", "id"):
        if target.metric not in METRICS:
            continue
        name, group = METRICS[target.metric]
        key = (target.department_id, target.year, LEVEL1_INPUT, name)
        if key in taken:
            continue
        taken.add(key)
        try:
            contract = target_to_contract(parse_target(target.target, target.year))
        except ValueError_:
            # Every stored target was validated as a percentage; keep anything else as written.
            contract = {"raw": target.target, "kind": "qualitative", "comparator": None,
                        "value": None, "upper": None, "unit": None}
        created.append(
            DepartmentIndicator(
                department_id=target.department_id,
                year=target.year,
                level1=LEVEL1_INPUT,
                level2=group,
                name=name,
                raw=contract["raw"],
                kind=contract["kind"],
                comparator=contract["comparator"] or "",
                value=contract["value"] or "",
                upper=contract["upper"] or "",
                unit=contract["unit"],
                note=target.note,
                metric=target.metric,
                position=ORDER[target.metric],
            )
        )
    DepartmentIndicator.objects.bulk_create(created, batch_size=500)


def backwards(apps, schema_editor):
    DepartmentTarget = apps.get_model("performance", "DepartmentTarget")
    DepartmentIndicator = apps.get_model("performance", "DepartmentIndicator")
    names = {name: metric for metric, (name, _) in METRICS.items()}
    restored = []
    for indicator in DepartmentIndicator.objects.filter(
        level1=LEVEL1_INPUT, name__in=list(names)
    ).order_by("id"):
        restored.append(
            DepartmentTarget(
                department_id=indicator.department_id,
                year=indicator.year,
                metric=names[indicator.name],
                target=indicator.raw[:100],
                note=indicator.note,
            )
        )
    DepartmentTarget.objects.bulk_create(restored, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("performance", "0003_department_indicators"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
