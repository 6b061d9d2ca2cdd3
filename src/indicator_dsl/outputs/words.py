"""The words of the documents written for people (report, results workbook, indicator table), in
Chinese for a ruleset whose labels are Chinese and in English otherwise: `words(lang)[key]`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Language = Literal["zh", "en"]

_WORDS: dict[str, tuple[str, str]] = {
    "exempt": ("不参加定级", "exempt"),
    "error": ("无法评分", "could not be scored"),
    "step.exempt": ("免评", "exempt"),
    "step.assign": ("直接定级", "assigned"),
    "step.veto": ("否决", "veto"),
    "step.quota": ("名额限制", "quota"),
    "step.adjustment": ("人工调整", "adjustment"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "id": ("编号", "id"),
    "table": ("指标表", "table"),
    "total": ("总分", "total"),
    "grade": ("等次", "grade"),
    "moves": ("等次变动", "grade changed by"),
    "lost": ("失分最多的指标", "most points lost"),
    "problems": ("问题", "problems"),
    "reasons": ("原因", "reasons"),
    "nominations": ("推荐", "nominated for"),
    "award": ("推荐项目", "award"),
    "rule": ("推荐依据", "chosen by"),
    "count": ("数量", "count"),
    "all": ("全部", "all"),
    "by_group": ("名单", "list"),
    "summary": ("汇总", "summary"),
    "nominees": ("推荐对象", "nominees"),
    "lagging_reasons": ("后进原因", "reasons"),
    "vetoes": ("否决事项", "vetoes"),
    "points": ("分", " points"),
    "report": ("评定报告", "report"),
    "legend": ("图例", "Legend"),
    "grade_colours": ("等次", "Grades"),
    "move_colours": ("等次变动", "Grade changed by"),
    "shares": ("等次分布", "Grade shares"),
    "by": ("按{}", "By {}"),
    "totals": ("总分分布", "Totals"),
    "mean": ("平均分", "mean"),
    "lowest": ("最低", "lowest"),
    "highest": ("最高", "highest"),
    "list": ("名单", "List"),
    "list_hint": (
        "点击表头排序;点击一行查看得分明细。显示 {} 条,共 {} 条。",
        "Click a heading to sort, a row to see its scores. Showing {} of {}.",
    ),
    "search": ("查找", "Search"),
    "weakest": ("失分最多的指标", "Indicators losing the most points"),
    "indicator": ("指标", "indicator"),
    "dimension": ("维度", "dimension"),
    "max": ("满分", "max"),
    "average": ("平均得分", "average"),
    "lost_share": ("平均失分率", "lost"),
    "standard": ("评分标准", "standard"),
    "corrections": ("上级核正", "Corrections of computed scores"),
    "sheet": ("评分表", "sheet"),
    "from_to": ("核正", "from → to"),
    "reason": ("理由", "reason"),
    "evidence": ("证据", "evidence"),
    "failed": ("无法评分的记录", "Records that could not be scored"),
    "none": ("无", "none"),
    "score_in": ("得分({})", "score ({})"),
    "bonus": ("加分", "bonus"),
    "penalty": ("扣分", "penalty"),
    "records_summary": ("共 {} 个{},其中 {} 个无法评分。", "{} {}, {} could not be scored."),
    "records": ("记录", "records"),
    "plan": ("整改计划", "plan"),
}


def language(labels: Iterable[str | None]) -> Language:
    """Chinese when any of the labels holds a CJK character, else English."""
    for label in labels:
        if label and any("\u4e00" <= ch <= "\u9fff" for ch in label):
            return "zh"
    return "en"


def words(lang: Language) -> dict[str, str]:
    index = 0 if lang == "zh" else 1
    return {key: pair[index] for key, pair in _WORDS.items()}
