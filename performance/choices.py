"""Fixed vocabularies of performance targets, as plain constants (no Django needed)."""

from __future__ import annotations

# 一级指标: the stored value is the Chinese name itself, as in the official tables.
LEVEL1_COST = "成本指标"
LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"

# The order of the official tables (预算12表).
LEVEL1_NAMES: tuple[str, ...] = (LEVEL1_COST, LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)

# (stored value, label) pairs, ready for a model field's `choices=`.
LEVEL1_CHOICES: tuple[tuple[str, str], ...] = tuple((name, name) for name in LEVEL1_NAMES)

# The groups every project must have at least one indicator of (target review, rule 1).
LEVEL1_REQUIRED: tuple[str, ...] = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)

# 部门整体目标 (预算11表): a department's indicators are grouped 投入管理/产出/效益/满意度.
LEVEL1_INPUT = "投入管理指标"
DEPARTMENT_LEVEL1_NAMES: tuple[str, ...] = (
    LEVEL1_INPUT,
    LEVEL1_OUTPUT,
    LEVEL1_BENEFIT,
    LEVEL1_SATISFACTION,
)
DEPARTMENT_LEVEL1_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (name, name) for name in DEPARTMENT_LEVEL1_NAMES
)

# 部门年度目标: 类别.
GOAL = "履职目标"
TASK = "主要任务"
GOAL_CATEGORIES: tuple[tuple[str, str], ...] = ((GOAL, GOAL), (TASK, TASK))

# 部门（单位）整体绩效目标表 (预算11表), 投入管理: the rates the system computes from its own
# data. Keys are the names the JSON export uses for the same rates.
METRIC_EXECUTION = "execution_rate"
METRIC_ADJUSTMENT = "adjustment_rate"
METRIC_CARRYOVER = "carryover_rate"
METRIC_THREE_PUBLIC = "three_public_control_rate"
METRIC_PROCUREMENT = "procurement_execution_rate"
METRIC_TARGET_COMPLETION = "target_completion_rate"
METRIC_MONITORING_COMPLETION = "monitoring_completion_rate"
METRIC_SELF_EVALUATION_COMPLETION = "self_evaluation_completion_rate"

# (stored value, label) in the order of the official table.
DEPARTMENT_METRICS: tuple[tuple[str, str], ...] = (
    (METRIC_EXECUTION, "预算执行率"),
    (METRIC_ADJUSTMENT, "预算调整率"),
    (METRIC_CARRYOVER, "结转结余率"),
    (METRIC_THREE_PUBLIC, "“三公经费”控制率"),
    (METRIC_PROCUREMENT, "政府采购执行率"),
    (METRIC_TARGET_COMPLETION, "绩效目标编制完成率"),
    (METRIC_MONITORING_COMPLETION, "绩效监控完成率"),
    (METRIC_SELF_EVALUATION_COMPLETION, "绩效自评完成率"),
)
DEPARTMENT_METRIC_LABELS: dict[str, str] = dict(DEPARTMENT_METRICS)

# 二级指标 of each metric in the table.
DEPARTMENT_METRIC_GROUPS: dict[str, str] = {
    METRIC_EXECUTION: "预算和财务管理",
    METRIC_ADJUSTMENT: "预算和财务管理",
    METRIC_CARRYOVER: "预算和财务管理",
    METRIC_THREE_PUBLIC: "预算和财务管理",
    METRIC_PROCUREMENT: "预算和财务管理",
    METRIC_TARGET_COMPLETION: "绩效管理",
    METRIC_MONITORING_COMPLETION: "绩效管理",
    METRIC_SELF_EVALUATION_COMPLETION: "绩效管理",
}

# 指标值说明: how the system computes each metric (rates-and-scoring.md).
DEPARTMENT_METRIC_FORMULAS: dict[str, str] = {
    METRIC_EXECUTION: "预算执行率=执行数/全年预算数×100%",
    METRIC_ADJUSTMENT: "预算调整率=（全年预算数-年初预算数）/年初预算数×100%",
    METRIC_CARRYOVER: "结转结余率=（全年预算数-执行数）/全年预算数×100%",
    METRIC_THREE_PUBLIC: "“三公经费”控制率=“三公经费”实际支出数/“三公经费”预算数×100%",
    METRIC_PROCUREMENT: "政府采购执行率=实际政府采购金额/政府采购预算数×100%",
    METRIC_TARGET_COMPLETION: "绩效目标编制完成率=绩效目标通过审核的项目数/项目总数×100%",
    METRIC_MONITORING_COMPLETION: (
        "绩效监控完成率=已提交本年度最近一轮绩效监控的项目数/项目总数×100%"
    ),
    METRIC_SELF_EVALUATION_COMPLETION: "绩效自评完成率=已提交绩效自评的项目数/项目总数×100%",
}
