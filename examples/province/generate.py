"""The synthetic province: 6,280 Party branches of Jiangsu's provincial organs.

A seeded, deterministic generator of ``Branch`` records (``rulesets/jiangsu/schema/branch.ind``)
across the 8 categories and about 90 provincial departments, with the assessors' sheets and
the member and public survey, ready to be scored through ``rulesets/jiangsu/catalog.ind``::

    python examples/province/generate.py                      # writes province.jsonl here
    python examples/province/generate.py -o out.jsonl --n 6280 --seed 2023
    python examples/province/generate.py --sample examples/province/sample.jsonl
    python examples/province/generate.py -o province.parquet --n 1000000   # Parquet, in chunks

Records are JSON-ready: dates are ISO strings, decimals are strings (``"0.96"``), and every
record carries ``sheets`` with a ``self`` and a ``superior`` score for every judged indicator
of the ruleset the catalog routes it to (``judged by superior`` ones on the superior's sheet
only). The superior is a little stricter than the branch judging itself.

One hidden number per branch, its *quality* in [0, 1], drives every field: how complete its
meeting calendar is, dues, training, talks, projects, the platform usage, the survey, the
judged scores, the secretary's rating, honors and violations. Quality is the sum of a
province-wide mean, a category effect, a department effect and a branch's own noise, so
departments and categories differ the way real ones do. The module constants below are the
knobs that tune the grade mix: about 17% advanced, 78% standard, 5% lagging, with the 先进
share set by the rules (about 22% meet them) and not by the catalog's 20% quota per department.

Only the Python standard library is used. For a given ``seed`` a record depends only on its
id, department, category and place among the department's branches of that category, so any
subset (the committed sample) matches the full province.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORY_RULESET",
    "CATEGORY_SHARES",
    "DEPARTMENTS",
    "DEPARTMENT_ROUTES",
    "JUDGED",
    "generate_province",
    "main",
    "route",
    "sample",
    "write_jsonl",
]

# ---------------------------------------------------------------------------- the knobs

SEED = 2023
N_BRANCHES = 6280
PERIOD_START = date(2023, 1, 1)
PERIOD_END = date(2023, 12, 31)

#: Branch quality = QUALITY_MEAN + category effect + department effect + N(0, QUALITY_SD),
#: clamped to [0, 1]. Raising the mean moves branches from 达标 to 先进; widening the spread
#: fattens both tails (more 先进 and more 后进).
QUALITY_MEAN = 0.67
QUALITY_SD = 0.08
#: A small group of weak branches (软弱涣散 in all but name) draws its quality from
#: N(WEAK_MEAN, WEAK_SD) instead: this is the knob for the 后进 share.
WEAK_SHARE = 0.025
WEAK_MEAN = 0.30
WEAK_SD = 0.10
#: Spread of the per-department effect (some 机关党委 run tighter ships than others).
DEPARTMENT_SD = 0.015
#: The 机关党委 of a department of at least SHOWCASE_MIN_BRANCHES branches cultivates a 示范党支部:
#: its first branch of the department's main category (listed first in DEPARTMENTS) draws its
#: quality from N(SHOWCASE_MEAN, SHOWCASE_SD) when that is better than its own. Without it a small
#: department is 先进-less by chance alone (12 branches each meeting the 先进 rules a quarter of
#: the time: 0.75^12 ≈ 3 %; with about 30 departments of 10–20 branches, one or two every seed).
SHOWCASE_MIN_BRANCHES = 10
SHOWCASE_MEAN = 0.86
SHOWCASE_SD = 0.03
#: Per-category shift of quality.
CATEGORY_EFFECT: dict[str, float] = {
    "党政机关": 0.02,
    "国有企业": 0.01,
    "事业单位": -0.01,
    "高等学校": 0.0,
    "公立医院": -0.02,
    "科研院所": -0.01,
    "社会组织": -0.06,
    "离退休干部": -0.02,
}
#: Judged scores: the superior's share of the maximum is about JUDGED_BASE + JUDGED_SLOPE × quality
#: (± JUDGED_NOISE); the branch's own sheet is SELF_GENEROSITY of the maximum more generous.
JUDGED_BASE = 0.45
JUDGED_SLOPE = 0.55
JUDGED_NOISE = 0.07
SELF_GENEROSITY = 0.06
#: Member and public survey (党员群众测评), counted as votes 好 / 较好 / 一般 / 差 per group: each voter's
#: view is about SURVEY_BASE + SURVEY_SLOPE × quality (± SURVEY_NOISE, ± VOTE_SPREAD per voter);
#: SURVEY_MISSING of the branches did not run the survey and SURVEY_LOW_TURNOUT had too few members
#: voting (the ruleset then leaves the survey out and renormalises the other weights).
SURVEY_BASE = 0.80
SURVEY_SLOPE = 0.19
SURVEY_NOISE = 0.025
SURVEY_MISSING = 0.004
SURVEY_LOW_TURNOUT = 0.004
VOTE_SPREAD = 0.08
#: Branches founded inside the year are exempt from grading.
NEW_BRANCH_SHARE = 0.004
#: Yearly chance of each kind of violation for a branch of quality 0 (it falls linearly to a
#: fifth of that at quality 1). Only the kinds that apply to a category are drawn for it.
VIOLATION_RATES: dict[str, float] = {
    "严重违纪违法": 0.012,
    "违反中央八项规定精神": 0.02,
    "形式主义官僚主义问题被通报": 0.02,
    "意识形态问题": 0.01,
    "师德师风问题": 0.02,
    "较大安全生产事故": 0.015,
    "国有资产流失": 0.01,
    "医疗事故": 0.02,
    "医德医风问题": 0.015,
    "学术不端": 0.015,
    "违规收费": 0.015,
    "违规开展活动被处罚": 0.02,
    "违规兼职取酬": 0.02,
}
#: Honors that earn bonus points, with the chance for a branch of quality 1 (zero below
#: HONOR_MIN_QUALITY). "江苏省先进基层党组织" also grades a branch 先进 directly.
HONOR_RATES: dict[str, float] = {
    "江苏省先进基层党组织": 0.01,
    "省级机关先进基层党组织": 0.12,
    "省级机关党建品牌": 0.06,
    "省级机关优秀共产党员": 0.15,
}
HONOR_MIN_QUALITY = 0.55
#: Share of departments named 模范机关建设先进单位: the honor is the unit's, and only its lead branch
#: (its first 党政机关 branch, chosen by the 机关党委) carries it for the bonus.
MODEL_UNIT_SHARE = 0.08
#: The province chooses about 100 先锋行动队 (of the teams branches formed): the chance for a branch of
#: quality 1 with a team; it falls to nothing at VANGUARD_MIN_QUALITY.
VANGUARD_CHOSEN_RATE = 0.12
VANGUARD_MIN_QUALITY = 0.65
#: Share of the superior's sheets that correct a computed indicator after checking the 台账: the
#: platform says the secretary took the yearly training, the sign-in sheets say otherwise.
CORRECTION_SHARE = 0.015
#: Categories whose branches sit in a unit with a 党组(党委) 理论学习中心组 (事业单位: some of them).
STUDY_GROUP_CATEGORIES = ("党政机关", "国有企业", "高等学校", "公立医院", "科研院所")
STUDY_GROUP_INSTITUTIONS = 0.6
#: Honors without bonus points, for colour.
OTHER_HONORS = ("青年文明号", "巾帼文明岗", "工人先锋号", "五好党支部", "省级文明单位", "四强党支部")

#: Share of the 6,280 branches in each category (first round of the provincial grading).
CATEGORY_SHARES: dict[str, float] = {
    "党政机关": 0.462,
    "事业单位": 0.271,
    "国有企业": 0.072,
    "高等学校": 0.060,
    "公立医院": 0.048,
    "科研院所": 0.035,
    "离退休干部": 0.032,
    "社会组织": 0.020,
}
CATEGORIES = tuple(CATEGORY_SHARES)

# ---------------------------------------------------------------------------- departments

# Short names for the table below.
GOV, INST, SOE, UNI, HOSP, RES, ORG, RET = (
    "党政机关",
    "事业单位",
    "国有企业",
    "高等学校",
    "公立医院",
    "科研院所",
    "社会组织",
    "离退休干部",
)

#: The provincial organs and the rough size of their branches in each category. Counts are
#: weights: each category's total is scaled to its share of the province. Most departments
#: are 党政机关 with some directly affiliated 事业单位 and one or two 离退休干部 branches.
DEPARTMENTS: tuple[tuple[str, dict[str, int]], ...] = (
    ("省委办公厅", {GOV: 40, INST: 10, RET: 3}),
    ("省人大常委会办公厅", {GOV: 35, INST: 5, RET: 2}),
    ("省政府办公厅", {GOV: 45, INST: 12, RET: 3}),
    ("省政协办公厅", {GOV: 30, INST: 5, RET: 2}),
    ("省纪委监委机关", {GOV: 70, INST: 5, RET: 3}),
    ("省委组织部", {GOV: 40, INST: 10, RET: 2}),
    ("省委宣传部", {GOV: 30, INST: 25, SOE: 20, RET: 2}),
    ("省委统战部", {GOV: 25, INST: 5, ORG: 6, RET: 2}),
    ("省委政法委", {GOV: 20, INST: 3, RET: 1}),
    ("省委政策研究室", {GOV: 12, RET: 1}),
    ("省委网信办", {GOV: 15, INST: 6, RET: 1}),
    ("省委编办", {GOV: 10, INST: 2, RET: 1}),
    ("省委台办", {GOV: 10, INST: 2, RET: 1}),
    ("省委外办", {GOV: 15, INST: 3, RET: 1}),
    ("省委老干部局", {GOV: 10, INST: 8, RET: 30}),
    ("省级机关工委", {GOV: 15, INST: 3, RET: 1}),
    ("省委党校", {INST: 45, GOV: 5, RET: 3}),
    ("省委党史工办", {GOV: 8, RET: 1}),
    ("省档案馆", {INST: 15, RET: 1}),
    ("省委机要局", {GOV: 10, RET: 1}),
    ("省发展改革委", {GOV: 45, INST: 15, RET: 3}),
    ("省教育厅", {GOV: 30, INST: 30, UNI: 260, HOSP: 40, RET: 3}),
    ("省科技厅", {GOV: 30, INST: 15, RES: 60, RET: 2}),
    ("省工业和信息化厅", {GOV: 35, INST: 20, RET: 2}),
    ("省民族宗教委", {GOV: 12, INST: 3, RET: 1}),
    ("省公安厅", {GOV: 180, INST: 20, UNI: 30, HOSP: 5, RET: 5}),
    ("省民政厅", {GOV: 30, INST: 25, ORG: 60, RET: 2}),
    ("省司法厅", {GOV: 35, INST: 15, RET: 2}),
    ("省财政厅", {GOV: 50, INST: 12, RET: 3}),
    ("省人力资源社会保障厅", {GOV: 40, INST: 30, RET: 2}),
    ("省自然资源厅", {GOV: 40, INST: 45, RES: 10, RET: 3}),
    ("省生态环境厅", {GOV: 35, INST: 40, RET: 2}),
    ("省住房城乡建设厅", {GOV: 30, INST: 20, UNI: 15, RET: 2}),
    ("省交通运输厅", {GOV: 50, INST: 60, UNI: 25, SOE: 10, RET: 4}),
    ("省水利厅", {GOV: 35, INST: 60, RES: 8, RET: 3}),
    ("省农业农村厅", {GOV: 40, INST: 50, UNI: 25, RET: 3}),
    ("省商务厅", {GOV: 30, INST: 10, UNI: 15, RET: 2}),
    ("省文化和旅游厅", {GOV: 25, INST: 70, RET: 3}),
    ("省卫生健康委", {GOV: 30, INST: 40, HOSP: 240, UNI: 20, RET: 3}),
    ("省退役军人事务厅", {GOV: 15, INST: 20, RET: 1}),
    ("省应急管理厅", {GOV: 25, INST: 15, RET: 1}),
    ("省审计厅", {GOV: 35, INST: 5, RET: 2}),
    ("省国资委", {GOV: 20, INST: 5, SOE: 360, RET: 2}),
    ("省市场监管局", {GOV: 40, INST: 50, RET: 3}),
    ("省广电局", {GOV: 15, INST: 40, SOE: 20, RET: 2}),
    ("省体育局", {GOV: 12, INST: 45, RET: 2}),
    ("省统计局", {GOV: 20, INST: 10, RET: 2}),
    ("省医保局", {GOV: 15, INST: 10, RET: 1}),
    ("省地方金融管理局", {GOV: 15, INST: 3, RET: 1}),
    ("省机关事务管理局", {GOV: 25, INST: 35, RET: 3}),
    ("省信访局", {GOV: 12, RET: 1}),
    ("省粮食和物资储备局", {GOV: 15, INST: 15, SOE: 10, RET: 2}),
    ("省能源局", {GOV: 10, RET: 1}),
    ("省监狱管理局", {GOV: 140, INST: 10, HOSP: 10, RET: 4}),
    ("省戒毒管理局", {GOV: 60, INST: 5, RET: 2}),
    ("省药监局", {GOV: 25, INST: 20, RET: 2}),
    ("省知识产权局", {GOV: 10, INST: 5, RET: 1}),
    ("省林业局", {GOV: 10, INST: 15, RET: 1}),
    ("省数据局", {GOV: 10, INST: 10, RET: 1}),
    ("省人防办", {GOV: 12, INST: 4, RET: 1}),
    ("省乡村振兴局", {GOV: 10, RET: 1}),
    ("省政府研究室", {GOV: 10, RET: 1}),
    ("省政府参事室", {GOV: 6, RET: 1}),
    ("省地方志办", {GOV: 8, RET: 1}),
    ("省总工会", {GOV: 20, INST: 15, HOSP: 5, RET: 2}),
    ("团省委", {GOV: 15, INST: 5, RET: 1}),
    ("省妇联", {GOV: 12, INST: 6, RET: 1}),
    ("省科协", {GOV: 12, INST: 8, ORG: 40, RET: 1}),
    ("省文联", {GOV: 10, INST: 8, ORG: 15, RET: 1}),
    ("省作协", {GOV: 8, INST: 4, RET: 1}),
    ("省侨联", {GOV: 6, RET: 1}),
    ("省社科联", {GOV: 8, ORG: 25, RET: 1}),
    ("省残联", {GOV: 12, INST: 15, RET: 1}),
    ("省红十字会", {GOV: 8, INST: 4, RET: 1}),
    ("省贸促会", {GOV: 8, INST: 4, RET: 1}),
    ("省供销合作总社", {GOV: 15, INST: 10, SOE: 25, RET: 2}),
    ("省法学会", {GOV: 5, ORG: 5, RET: 1}),
    ("省工商联", {GOV: 10, ORG: 35, RET: 1}),
    ("省高级人民法院", {GOV: 80, INST: 5, RET: 3}),
    ("省人民检察院", {GOV: 70, INST: 5, RET: 3}),
    ("省社科院", {RES: 40, GOV: 4, RET: 2}),
    ("省农科院", {RES: 90, INST: 10, RET: 4}),
    ("省税务局", {GOV: 150, INST: 15, RET: 5}),
    ("省气象局", {GOV: 25, INST: 30, RES: 5, RET: 2}),
    ("省通信管理局", {GOV: 10, RET: 1}),
    ("省邮政管理局", {GOV: 10, RET: 1}),
    ("省地震局", {GOV: 8, INST: 10, RET: 1}),
    ("省消防救援总队", {GOV: 60, INST: 5, RET: 2}),
    ("省口岸办", {GOV: 6, RET: 1}),
    ("省中医药管理局", {GOV: 8, INST: 6, HOSP: 10, RET: 1}),
)

# ---------------------------------------------------------------------------- routing and sheets

#: `route by category` in rulesets/jiangsu/catalog.ind.
CATEGORY_RULESET: dict[str, str] = {
    "党政机关": "party_gov",
    "国有企业": "soe",
    "事业单位": "public_institution",
    "高等学校": "university",
    "公立医院": "hospital",
    "科研院所": "research",
    "社会组织": "social_org",
    "离退休干部": "retired",
}
#: The catalog's condition routes (department extensions), tried before the category table.
DEPARTMENT_ROUTES: dict[tuple[str, str], str] = {
    ("省财政厅", "党政机关"): "finance",
    ("省教育厅", "高等学校"): "education",
    ("省卫生健康委", "公立医院"): "health",
    ("省国资委", "国有企业"): "sasac",
    ("省委老干部局", "离退休干部"): "veteran",
}

BOTH = ("self", "superior")
SUPERIOR = ("superior",)
_COMMON_JUDGED: dict[str, tuple[int, tuple[str, ...]]] = {
    "integration": (4, BOTH),  # 党建与业务融合
    "records": (5, BOTH),  # 台账资料规范
    "venue_use": (3, BOTH),  # 阵地运用与保障成效
}
_CATEGORY_JUDGED: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {
    "party_gov": {"model_organ": (4, BOTH)},
    "soe": {"business": (5, BOTH)},
    "public_institution": {},
    "university": {"ideology": (5, SUPERIOR), "whole_person": (3, BOTH)},
    "hospital": {"medical_ethics": (4, BOTH)},
    "research": {"innovation": (4, SUPERIOR)},
    "social_org": {},
    "retired": {},
}
_DEPARTMENT_JUDGED: dict[str, tuple[str, dict[str, tuple[int, tuple[str, ...]]]]] = {
    "finance": ("party_gov", {"budget_party": (3, SUPERIOR)}),
    "education": ("university", {"student_work": (4, BOTH)}),
    "health": ("hospital", {"nine_rules": (3, BOTH)}),
    "sasac": ("soe", {"reform_tasks": (4, SUPERIOR)}),
    "veteran": ("retired", {"elder_role": (4, BOTH)}),
}
#: Every routed ruleset's judged indicators: name -> (max, sources whose sheet carries it).
#: `check_sheets.py` compares this table with the rulesets themselves.
JUDGED: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {
    name: {**_COMMON_JUDGED, **extra} for name, extra in _CATEGORY_JUDGED.items()
}
for _dept_ruleset, (_base, _extra) in _DEPARTMENT_JUDGED.items():
    JUDGED[_dept_ruleset] = {**JUDGED[_base], **_extra}


def route(department: str, category: str) -> str:
    """The ruleset the catalog scores a branch of this department and category with."""
    return DEPARTMENT_ROUTES.get((department, category), CATEGORY_RULESET[category])


# ---------------------------------------------------------------------------- names

_OFFICES = (
    "办公室",
    "政策法规处",
    "综合处",
    "人事处",
    "规划处",
    "财务处",
    "机关党委办公室",
    "督查处",
    "研究室",
    "信息化处",
    "宣传处",
    "法规处",
    "监督处",
    "审批处",
    "发展处",
    "行政处",
)
_FINANCE_OFFICES = (
    "预算处",
    "国库处",
    "税政处",
    "社会保障处",
    "经济建设处",
    "农业农村处",
    "绩效管理处",
    "政府采购管理处",
)
_INSTITUTIONS = (
    "信息中心",
    "服务中心",
    "培训中心",
    "监测中心",
    "评审中心",
    "宣传教育中心",
    "研究中心",
    "档案馆",
    "技术中心",
    "发展中心",
    "指导中心",
    "事务中心",
)
_COMPANIES = (
    "江苏交通控股",
    "江苏国信集团",
    "东部机场集团",
    "江苏苏豪控股",
    "江苏省农垦集团",
    "江苏省港口集团",
    "江苏省铁路集团",
    "江苏省国际信托",
    "江苏海外集团",
    "江苏省建设集团",
    "江苏省环保集团",
    "江苏省信用再担保集团",
)
_DEPARTMENT_COMPANIES = {
    "省委宣传部": ("凤凰出版传媒集团", "新华报业传媒集团"),
    "省广电局": ("江苏有线", "江苏广电传媒集团"),
    "省交通运输厅": ("江苏省交通工程集团",),
    "省粮食和物资储备局": ("江苏省粮食集团",),
    "省供销合作总社": ("江苏省苏合集团", "江苏省供销集团"),
}
_COMPANY_UNITS = (
    "生产运营部",
    "工程管理部",
    "财务部",
    "市场营销部",
    "安全环保部",
    "综合管理部",
    "项目公司",
    "技术中心",
)
_UNIVERSITIES = (
    "南京师范大学",
    "苏州大学",
    "扬州大学",
    "江苏大学",
    "南京工业大学",
    "南京邮电大学",
    "南京信息工程大学",
    "南京林业大学",
    "江苏师范大学",
    "南通大学",
    "常州大学",
    "南京医科大学",
    "南京中医药大学",
    "南京财经大学",
)
_VOCATIONAL = {
    "省公安厅": "江苏警官学院",
    "省住房城乡建设厅": "江苏城乡建设职业学院",
    "省交通运输厅": "江苏海事职业技术学院",
    "省农业农村厅": "江苏农林职业技术学院",
    "省商务厅": "江苏经贸职业技术学院",
    "省卫生健康委": "江苏卫生健康职业学院",
}
_SCHOOLS = (
    "文学院",
    "数学科学学院",
    "计算机学院",
    "马克思主义学院",
    "经济管理学院",
    "外国语学院",
    "化学学院",
    "机械工程学院",
    "法学院",
    "医学院",
    "护理学院",
    "电子信息学院",
    "教育科学学院",
    "体育学院",
)
_HOSPITALS = (
    "江苏省人民医院",
    "江苏省中医院",
    "江苏省肿瘤医院",
    "江苏省第二中医院",
    "江苏省中西医结合医院",
    "江苏省老年病医院",
    "江苏省口腔医院",
    "江苏省妇幼保健院",
)
_WARDS = (
    "心血管内科",
    "普外科",
    "儿科",
    "护理部",
    "急诊科",
    "呼吸内科",
    "骨科",
    "检验科",
    "医技",
    "行政后勤",
    "神经内科",
    "肿瘤科",
)
_INSTITUTES = (
    "粮食作物研究所",
    "园艺研究所",
    "植物保护研究所",
    "经济研究所",
    "社会学研究所",
    "信息研究所",
    "测试中心",
    "技术转移中心",
)
_SOCIAL_ORGS = ("商会", "行业协会", "学会", "研究会", "基金会", "联合会", "促进会")
_SOCIAL_FIELDS = ("物流", "软件", "化工", "纺织", "建筑", "环境科学", "法学", "光伏", "医学", "律师", "农业", "旅游")
_NUMERALS = "一二三四五六七八九十"


def _numeral(i: int) -> str:
    if i <= 10:
        return _NUMERALS[i - 1]
    if i < 20:
        return "十" + _NUMERALS[i - 11]
    if i >= 100:
        return str(i)
    tens, ones = divmod(i, 10)
    return _NUMERALS[tens - 1] + "十" + (_NUMERALS[ones - 1] if ones else "")


def _branch_name(rng: random.Random, department: str, category: str, ordinal: int) -> str:
    n = _numeral(ordinal)
    if category == "党政机关":
        offices = _FINANCE_OFFICES + _OFFICES if department == "省财政厅" else _OFFICES
        return f"{department}{rng.choice(offices)}党支部" if ordinal <= len(offices) else f"{department}机关第{n}党支部"
    if category == "事业单位":
        return f"{department}直属{rng.choice(_INSTITUTIONS)}党支部"
    if category == "国有企业":
        company = rng.choice(_DEPARTMENT_COMPANIES.get(department, _COMPANIES))
        return f"{company}{rng.choice(_COMPANY_UNITS)}党支部"
    if category == "高等学校":
        school = _VOCATIONAL.get(department) or rng.choice(_UNIVERSITIES)
        return f"{school}{rng.choice(_SCHOOLS)}{rng.choice(('教工', '学生'))}第{n}党支部"
    if category == "公立医院":
        return f"{rng.choice(_HOSPITALS)}{rng.choice(_WARDS)}党支部"
    if category == "科研院所":
        prefix = department if department in ("省社科院", "省农科院") else f"{department}所属"
        return f"{prefix}{rng.choice(_INSTITUTES)}党支部"
    if category == "社会组织":
        return f"江苏省{rng.choice(_SOCIAL_FIELDS)}{rng.choice(_SOCIAL_ORGS)}党支部"
    return f"{department}离退休干部第{n}党支部"


# ---------------------------------------------------------------------------- small helpers


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


def _chance(rng: random.Random, lo: float, hi: float, q: float) -> bool:
    """True with probability lo + (hi - lo) × q."""
    return rng.random() < lo + (hi - lo) * q


def _dec(x: float, places: int = 2) -> str:
    """A decimal string, never a binary float in the output."""
    return f"{x:.{places}f}"


def _day_in_month(rng: random.Random, year: int, month: int) -> date:
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first + timedelta(days=rng.randrange((nxt - first).days))


def _any_day(rng: random.Random) -> date:
    return PERIOD_START + timedelta(days=rng.randrange((PERIOD_END - PERIOD_START).days + 1))


def _half_points(x: float) -> int | str:
    """A judged score in half points: whole numbers as ints, halves as decimal strings."""
    halves = round(x * 2)
    return halves // 2 if halves % 2 == 0 else f"{halves // 2}.5"


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (Hamilton's method; ties by position)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


# ---------------------------------------------------------------------------- one branch

_MEMBER_SIZE: dict[str, tuple[int, int]] = {  # (typical, spread) of a branch's members
    "党政机关": (12, 5),
    "事业单位": (16, 7),
    "国有企业": (22, 10),
    "高等学校": (24, 12),
    "公立医院": (26, 10),
    "科研院所": (18, 7),
    "社会组织": (6, 3),
    "离退休干部": (30, 14),
}
_VIOLATIONS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "党政机关": ("形式主义官僚主义问题被通报",),
    "国有企业": ("较大安全生产事故", "国有资产流失"),
    "事业单位": ("违规收费",),
    "高等学校": ("意识形态问题", "师德师风问题"),
    "公立医院": ("医疗事故", "医德医风问题"),
    "科研院所": ("学术不端",),
    "社会组织": ("违规开展活动被处罚",),
    "离退休干部": ("违规兼职取酬",),
}
_BASE_SYSTEMS = ("三会一课", "组织生活会", "民主评议党员", "谈心谈话", "党务公开", "党费收缴使用管理")
_EXTRA_SYSTEMS: dict[str, tuple[str, ...]] = {
    "party_gov": ("支委会议事规则",),
    "finance": ("支委会议事规则", "财经纪律警示教育", "廉政风险防控", "政府采购监督"),
    "university": ("政治理论学习",),
    "education": (),
    "research": ("科研诚信",),
    "sasac": ("合规管理", "廉政风险防控"),
}
_PROJECT_KINDS: dict[str, tuple[str, ...]] = {
    "党政机关": ("结对共建", "为民服务", "业务攻坚", "志愿服务"),
    "国有企业": ("业务攻坚", "业务攻坚", "结对共建", "志愿服务"),
    "事业单位": ("为民服务", "为民服务", "结对共建", "志愿服务"),
    "高等学校": ("志愿服务", "结对共建", "为民服务"),
    "公立医院": ("为民服务", "志愿服务", "结对共建"),
    "科研院所": ("科研攻关", "科研攻关", "结对共建", "为民服务"),
    "社会组织": ("为民服务", "志愿服务", "结对共建"),
    "离退休干部": ("志愿服务", "志愿服务", "为民服务"),
}
_PROJECT_NAMES: dict[str, tuple[str, ...]] = {
    "为民服务": ("窗口服务提质", "便民服务进社区", "义诊进乡村", "一件事一次办"),
    "业务攻坚": ("重点项目攻坚", "降本增效攻坚", "安全生产专项", "数字化转型"),
    "结对共建": ("与乡村党组织结对共建", "与社区党组织共建", "机关企业联建"),
    "志愿服务": ("学雷锋志愿服务", "文明城市志愿服务", "关爱老人志愿服务"),
    "科研攻关": ("关键核心技术攻关", "种业振兴攻关", "成果转化攻关"),
}


def _members(rng: random.Random, category: str, q: float, student: bool) -> list[dict[str, Any]]:
    typical, spread = _MEMBER_SIZE[category]
    if student:
        typical += 10
    size = max(3, min(90, round(rng.gauss(typical, spread))))
    probationary = 0.15 if student else 0.03
    rated_all = _chance(rng, 0.55, 0.98, q)
    vanguard_share = 0.12 + 0.38 * q
    out: list[dict[str, Any]] = []
    for _ in range(size):
        hours = _clamp(rng.gauss(27 + 18 * q, 5), 4, 96)
        member: dict[str, Any] = {
            "status": "预备党员" if rng.random() < probationary else "正式党员",
            "study_hours": _dec(hours, 1),
        }
        if category != "离退休干部" and rng.random() < vanguard_share:
            member["vanguard"] = True
        if rated_all or rng.random() < 0.7:
            roll = rng.random()
            member["rating"] = "优秀" if roll < 0.2 else "合格" if roll < 0.985 else "基本合格"
        else:
            member["rating"] = None
        out.append(member)
    return out


def _committee(rng: random.Random, formal: int, q: float) -> list[str]:
    if formal >= 7:
        if not _chance(rng, 0.88, 0.995, q):
            return ["书记"]  # should have a committee and has not set one up
        size = rng.choice((3, 3, 5, 5, 5, 7)) if formal >= 30 else rng.choice((3, 3, 3, 5))
        roles = ["书记", "组织委员", "宣传委员", "纪检委员", "副书记", "青年委员", "统战委员"]
        return roles[:size]
    if rng.random() < 0.03 + 0.03 * (1 - q):
        return []  # secretary post vacant
    return ["书记", "副书记"] if rng.random() < 0.3 else ["书记"]


def _meeting(rng: random.Random, kind: str, held_on: date, q: float) -> dict[str, Any]:
    m: dict[str, Any] = {"kind": kind, "held_on": held_on.isoformat()}
    if rng.random() < 0.92:
        m["attendance"] = _dec(_clamp(rng.gauss(0.78 + 0.2 * q, 0.05), 0.5, 1.0))
    if not _chance(rng, 0.9, 0.995, q):
        m["recorded"] = False
    return m


def _meetings(rng: random.Random, category: str, q: float, has_committee: bool, size: int) -> list[dict[str, Any]]:
    retired = category == "离退休干部"
    out: list[dict[str, Any]] = []
    # 支委会: monthly (离退休干部: quarterly); a branch without a committee seldom logs one.
    if has_committee:
        months = (2, 5, 8, 11) if retired else range(1, 13)
        for month in months:
            if _chance(rng, 0.62, 0.995, q):
                out.append(_meeting(rng, "支委会", _day_in_month(rng, 2023, month), q))
        if rng.random() < 0.3:
            out.append(_meeting(rng, "支委会", _day_in_month(rng, 2022, 12), q))  # last year's, in the export
    # 主题党日: a fixed day every month (离退休干部: every other month).
    months = range(2, 13, 2) if retired else range(1, 13)
    p_lo = 0.7 if category == "公立医院" else 0.62
    for month in months:
        if _chance(rng, p_lo, 0.995, q):
            out.append(_meeting(rng, "主题党日", _day_in_month(rng, 2023, month), q))
    # 支部党员大会 and 党课: quarterly.
    for quarter in range(4):
        if _chance(rng, 0.62, 0.995, q):
            out.append(_meeting(rng, "支部党员大会", _day_in_month(rng, 2023, 3 * quarter + rng.randint(1, 3)), q))
    secretary_lesson = _chance(rng, 0.55, 0.99, q)
    lessons: list[dict[str, Any]] = []
    for quarter in range(4):
        if _chance(rng, 0.6, 0.995, q):
            lessons.append(_meeting(rng, "党课", _day_in_month(rng, 2023, 3 * quarter + rng.randint(1, 3)), q))
    if lessons and secretary_lesson:
        rng.choice(lessons)["by_secretary"] = True
    out.extend(lessons)
    # 党小组会 in larger branches.
    if size >= 12:
        for _ in range(max(0, round(rng.gauss(1 + 10 * q, 2.5)))):
            out.append(_meeting(rng, "党小组会", _any_day(rng), q))
    # 组织生活会 once a year (sometimes twice), with the superior's delegate as a rule;
    # 民主评议党员 alongside it, early in the year.
    if _chance(rng, 0.95, 0.999, q):
        life = _meeting(rng, "组织生活会", _day_in_month(rng, 2023, rng.choice((1, 2, 2, 3, 12))), q)
        if _chance(rng, 0.45, 0.98, q):
            life["superior_attended"] = True
        out.append(life)
    if _chance(rng, 0.75, 0.99, q):
        out.append(_meeting(rng, "民主评议党员", _day_in_month(rng, 2023, rng.choice((1, 2, 3))), q))
    out.sort(key=lambda m: (m["held_on"], m["kind"]))
    return out


def _votes(rng: random.Random, size: int, q: float) -> dict[str, Any]:
    """党员群众测评 ballots: how many members and invited members of the public voted 好 / 较好 /
    一般 / 差. Members nearly all vote (SURVEY_LOW_TURNOUT of branches fall short); about
    three quarters of the public invited do."""
    view = _clamp(rng.gauss(SURVEY_BASE + SURVEY_SLOPE * q, SURVEY_NOISE), 0.5, 1.0)

    def tally(voters: int) -> dict[str, int]:
        counts = {"good": 0, "fairly_good": 0, "average": 0, "poor": 0}
        for _ in range(voters):
            opinion = rng.gauss(view, VOTE_SPREAD)
            option = (
                "good"
                if opinion >= 0.9
                else "fairly_good"
                if opinion >= 0.7
                else "average"
                if opinion >= 0.5
                else "poor"
            )
            counts[option] += 1
        return counts

    low = rng.random() < SURVEY_LOW_TURNOUT
    members = round(size * rng.uniform(0.5, 0.75)) if low else size - rng.randint(0, size // 10)
    invited = size + rng.randint(size // 2, 2 * size + 10)
    public = round(invited * rng.uniform(0.6, 0.9))
    return {"members": tally(members), "members_eligible": size, "public": tally(public), "public_invited": invited}


def _talks(rng: random.Random, size: int, q: float) -> list[dict[str, str]]:
    count = max(0, round(size * _clamp(rng.gauss(0.45 + 0.8 * q, 0.2), 0, 1.8)))
    kinds = ("书记与支委", "书记与党员", "支委与党员", "党员之间")
    return [{"kind": rng.choice(kinds), "held_on": d.isoformat()} for d in sorted(_any_day(rng) for _ in range(count))]


def _projects(rng: random.Random, category: str, q: float) -> list[dict[str, Any]]:
    count = max(0, min(6, round(rng.gauss(0.6 + 3.2 * q, 1.0))))
    out: list[dict[str, Any]] = []
    for _ in range(count):
        kind = rng.choice(_PROJECT_KINDS[category])
        project: dict[str, Any] = {
            "name": rng.choice(_PROJECT_NAMES[kind]),
            "kind": kind,
            "completed": _chance(rng, 0.55, 0.97, q),
        }
        if kind in ("为民服务", "志愿服务"):
            project["beneficiaries"] = rng.randint(20, 2000)
        out.append(project)
    return out


def _judged_sheets(rng: random.Random, ruleset: str, q: float) -> dict[str, dict[str, int | str]]:
    sheets: dict[str, dict[str, int | str]] = {"self": {}, "superior": {}}
    for name, (top, sources) in JUDGED[ruleset].items():
        share = _clamp(rng.gauss(JUDGED_BASE + JUDGED_SLOPE * q, JUDGED_NOISE))
        sheets["superior"][name] = _half_points(top * share)
        if "self" in sources:
            own = _clamp(share + rng.gauss(SELF_GENEROSITY, 0.04))
            sheets["self"][name] = _half_points(top * own)
    return sheets


def _branch(
    seed: int,
    record_id: str,
    department: str,
    category: str,
    ordinal: int,
    dept_effect: float,
    model_unit: bool,
    showcase: bool = False,
) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{record_id}:{department}:{category}")
    ruleset = route(department, category)
    if rng.random() < WEAK_SHARE:
        q = _clamp(rng.gauss(WEAK_MEAN, WEAK_SD))
    else:
        q = _clamp(QUALITY_MEAN + CATEGORY_EFFECT[category] + dept_effect + rng.gauss(0, QUALITY_SD))
    if showcase:
        q = max(q, _clamp(rng.gauss(SHOWCASE_MEAN, SHOWCASE_SD)))

    student = category == "高等学校" and rng.random() < 0.4
    members = _members(rng, category, q, student)
    size = len(members)
    formal = sum(1 for m in members if m["status"] == "正式党员")
    committee = _committee(rng, formal, q)
    has_committee = len(committee) >= 3

    if rng.random() < NEW_BRANCH_SHARE:
        founded = _day_in_month(rng, 2023, rng.randint(1, 11))
    else:
        founded = date(rng.randint(1978, 2021), rng.randint(1, 12), rng.randint(1, 28))
    term_years = 5 if rng.random() < 0.1 else 3
    if founded.year == 2023:
        last_election: date | None = founded
    elif _chance(rng, 0.82, 0.995, q):
        last_election = PERIOD_END - timedelta(days=rng.randrange(30, 365 * term_years - 30))
    elif rng.random() < 0.85:
        last_election = PERIOD_END - timedelta(days=rng.randrange(365 * term_years + 40, 365 * term_years + 900))
    else:
        last_election = None
    if last_election is not None and last_election < founded:
        last_election = founded

    roll = _clamp(q + rng.gauss(0, 0.12))
    rating = "好" if roll >= 0.68 else "较好" if roll >= 0.42 else "一般" if roll >= 0.15 else "差"

    record: dict[str, Any] = {
        "id": record_id,
        "name": _branch_name(rng, department, category, ordinal),
        "department": department,
        "category": category,
        "founded_on": founded.isoformat(),
        "members": members,
        "committee": committee,
        "last_election": last_election.isoformat() if last_election else None,
        "term_years": term_years,
        "secretary_rating": rating,
        "has_party_cadre": _chance(rng, 0.55, 0.98, q),
        "secretary_trained": _chance(rng, 0.72, 0.99, q),
        "vanguard_team": category != "离退休干部" and _chance(rng, 0.5, 0.98, q),
    }
    if record["vanguard_team"] and q > VANGUARD_MIN_QUALITY:
        lift = (q - VANGUARD_MIN_QUALITY) / (1 - VANGUARD_MIN_QUALITY)
        record["vanguard_chosen"] = rng.random() < VANGUARD_CHOSEN_RATE * lift
    in_group = category in STUDY_GROUP_CATEGORIES or (
        category == "事业单位" and rng.random() < STUDY_GROUP_INSTITUTIONS
    )
    if in_group:
        record["unit_study_group"] = True
        record["group_study_attended"] = max(0, round(rng.gauss(0.5 + 2 * q, 0.8)))
    if model_unit:
        record["unit_honors"] = ["模范机关建设先进单位"]
        record["unit_lead_branch"] = category == "党政机关" and ordinal == 1
    # 党员管理: a 口袋党员 or a member out of touch, in a few weaker branches.
    record["pocket_members"] = int(rng.random() < 0.08 * (1 - q))
    record["lost_contact"] = int(rng.random() < 0.06 * (1 - q))
    if category in ("事业单位", "高等学校", "公立医院", "科研院所"):
        record["double_leader"] = _chance(rng, 0.5, 0.97, q)
    if category in ("国有企业", "社会组织"):
        record["party_in_charter"] = _chance(rng, 0.7, 0.99, q)
    if category == "国有企业":
        record["cross_appointment"] = _chance(rng, 0.6, 0.97, q)
        record["performance_target_met"] = _chance(rng, 0.7, 0.97, q)
    if student:
        record["student_branch"] = True
        developed = max(0, round(rng.gauss(1 + 3 * q, 1.2)))
        activists = max(0, round(developed * rng.uniform(1.2, 2.2 + 1.6 * q)) + rng.randint(0, 3))
        record.update(developed=developed, activists=activists, applicants=activists + rng.randint(0, 12))
    elif category != "离退休干部" and rng.random() < 0.45:
        # 发展党员 in a working branch: a few applicants, most branches train an activist or two.
        activists = rng.randint(0, 2) if _chance(rng, 0.5, 0.97, q) else 0
        developed = min(activists, int(rng.random() < 0.3 + 0.2 * q))
        if activists == 1 and developed == 1 and not _chance(rng, 0.3, 0.9, q):
            activists += 1
        record.update(developed=developed, activists=activists, applicants=activists + rng.randint(1, 3))

    record["meetings"] = _meetings(rng, category, q, has_committee, size)
    # 第一议题: a 支委会 or 支部党员大会 opens with the latest speeches, most quarters.
    record["first_topic_sessions"] = sum(_chance(rng, 0.55, 0.99, q) for _ in range(4))
    record["talks"] = _talks(rng, size, q)
    record["projects"] = _projects(rng, category, q)
    if category == "离退休干部":
        record["home_visits"] = max(0, round(size * _clamp(rng.gauss(0.5 + 1.5 * q, 0.35), 0, 3)))
        record["study_delivered"] = _chance(rng, 0.45, 0.97, q)

    systems = [s for s in _BASE_SYSTEMS if _chance(rng, 0.78, 0.995, q)]
    extra = _EXTRA_SYSTEMS.get(ruleset, ()) + _EXTRA_SYSTEMS.get(CATEGORY_RULESET[category], ())
    systems += [s for s in dict.fromkeys(extra) if _chance(rng, 0.65, 0.98, q)]
    record["systems"] = systems
    # Most branches collect every member's dues on time; the others fall a little short.
    dues = 1.0 if _chance(rng, 0.35, 0.97, q) else _clamp(rng.gauss(0.93 + 0.05 * q, 0.03), 0.75, 0.995)
    record["dues_on_time"] = _dec(dues)

    roll = rng.random()
    independent = 0.3 + 0.55 * q
    record["venue"] = "独立活动室" if roll < independent else "共享活动室" if roll < 0.97 + 0.03 * q else "无"
    record["funds_budgeted"] = _chance(rng, 0.72, 0.99, q)
    per_member = rng.gauss(300 + 500 * q, 120) if category == "国有企业" else rng.gauss(60 + 110 * q, 30)
    record["funds_yuan"] = _dec(max(0.0, per_member * size), 0)
    usage = rng.gauss(0.15 + 0.65 * q, 0.12) if category == "离退休干部" else rng.gauss(0.6 + 0.42 * q, 0.07)
    record["cloud_usage"] = _dec(_clamp(usage))
    if category == "社会组织":
        record["annual_inspection_passed"] = _chance(rng, 0.85, 0.995, q)

    kinds = ("严重违纪违法", "违反中央八项规定精神", *_VIOLATIONS_BY_CATEGORY[category])
    violations = [
        {"kind": kind, "occurred_on": _any_day(rng).isoformat()}
        for kind in kinds
        if rng.random() < VIOLATION_RATES[kind] * (1 - 0.8 * q)
    ]
    record["violations"] = violations

    honors: list[str] = []
    if q >= HONOR_MIN_QUALITY:
        lift = (q - HONOR_MIN_QUALITY) / (1 - HONOR_MIN_QUALITY)
        for honor, rate in HONOR_RATES.items():
            if rng.random() < rate * lift:
                honors.append(honor)
    if rng.random() < 0.06:
        honors.append(rng.choice(OTHER_HONORS))
    record["honors"] = honors

    if founded.year >= 2022:
        record["last_year_grade"] = None
    else:
        roll = _clamp(q + rng.gauss(0, 0.12))
        record["last_year_grade"] = "先进" if roll >= 0.86 else "达标" if roll >= 0.3 else "后进"
    record["rectified"] = record["last_year_grade"] != "后进" or _chance(rng, 0.5, 0.95, q)

    record["votes"] = None if rng.random() < SURVEY_MISSING else _votes(rng, size, q)
    if category in ("事业单位", "公立医院"):
        record["service_satisfaction"] = _dec(_clamp(rng.gauss(0.84 + 0.14 * q, 0.03), 0.6, 1.0))

    record["sheets"] = _judged_sheets(rng, ruleset, q)
    if record["secretary_trained"] and rng.random() < CORRECTION_SHARE:
        record["sheets"]["superior"]["secretary_training"] = {
            "correct": 0,
            "reason": "核查轮训签到表,书记未实际参加年度轮训",
            "evidence": ["书记轮训签到表"],
        }
    return record


# ---------------------------------------------------------------------------- the province


def _slots(n: int) -> list[tuple[str, str]]:
    """(department, category) for every branch: category counts from CATEGORY_SHARES, each
    category split over the departments in proportion to DEPARTMENTS' weights."""
    per_category = dict(zip(CATEGORIES, _largest_remainder(n, list(CATEGORY_SHARES.values())), strict=True))
    slots: list[tuple[str, str]] = []
    for category, count in per_category.items():
        weights = [mix.get(category, 0) for _, mix in DEPARTMENTS]
        for (department, _), k in zip(DEPARTMENTS, _largest_remainder(count, weights), strict=True):
            slots.extend([(department, category)] * k)
    return slots


def iter_province(n: int = N_BRANCHES, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """`n` branch records, ids B0001.., in a seeded order mixing departments and categories,
    made one at a time (only the (department, category) slot of each is drawn first)."""
    slots = _slots(n)
    random.Random(seed).shuffle(slots)
    dept_effect = {name: random.Random(f"{seed}:department:{name}").gauss(0, DEPARTMENT_SD) for name, _ in DEPARTMENTS}
    model_units = {name for name, _ in DEPARTMENTS if random.Random(f"{seed}:model:{name}").random() < MODEL_UNIT_SHARE}
    sizes = Counter(department for department, _ in slots)
    showcases = {(name, next(iter(mix))) for name, mix in DEPARTMENTS if sizes[name] >= SHOWCASE_MIN_BRANCHES}
    width = max(4, len(str(n)))
    ordinals: dict[tuple[str, str], int] = {}
    for index, (department, category) in enumerate(slots, start=1):
        ordinals[(department, category)] = ordinals.get((department, category), 0) + 1
        record_id = f"B{index:0{width}d}"
        ordinal = ordinals[(department, category)]
        model_unit = department in model_units
        showcase = ordinal == 1 and (department, category) in showcases
        effect = dept_effect[department]
        yield _branch(seed, record_id, department, category, ordinal, effect, model_unit, showcase)


def generate_province(n: int = N_BRANCHES, seed: int = SEED) -> list[dict[str, Any]]:
    """The records of `iter_province` as a list."""
    return list(iter_province(n, seed))


def sample(records: Sequence[dict[str, Any]], size: int = 50, per_ruleset: int = 3) -> list[dict[str, Any]]:
    """A small subset covering every routed ruleset (at least `per_ruleset` each), in id order."""
    chosen: list[int] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        ruleset = route(record["department"], record["category"])
        if seen.get(ruleset, 0) < per_ruleset:
            seen[ruleset] = seen.get(ruleset, 0) + 1
            chosen.append(i)
    step = max(1, len(records) // max(1, size))
    for i in range(0, len(records), step):
        if len(chosen) >= size:
            break
        if i not in chosen:
            chosen.append(i)
    return [records[i] for i in sorted(chosen)]


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line (UTF-8, Chinese kept readable); returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def write_parquet(records: Iterable[dict[str, Any]], path: str | Path, chunk: int = 10_000) -> int:
    """The records as a Parquet table the columnar backend reads (numbers as exact text), for
    benchmarks with no JSON step, `chunk` records at a time (`table_files.write_chunks`), so
    memory does not grow with their number; needs `pip install -e '.[columnar]'`."""
    from indicator_dsl.evaluate.table_files import write_chunks
    from indicator_dsl.evaluate.tables import records_frame

    records = iter(records)
    return write_chunks((records_frame(batch) for batch in iter(lambda: list(islice(records, chunk)), [])), path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic province of Jiangsu party branches (JSONL).")
    default_output = Path(__file__).with_name("province.jsonl")
    parser.add_argument(
        "-o", "--output", default=str(default_output), help="JSONL file to write (.parquet: a Parquet table)"
    )
    parser.add_argument("--n", type=int, default=N_BRANCHES, help=f"number of branches (default {N_BRANCHES})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--sample", metavar="PATH", help="also write a ~50-record sample covering every ruleset")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    records = iter_province(args.n, args.seed)
    count = (
        write_parquet(records, args.output) if args.output.endswith(".parquet") else write_jsonl(records, args.output)
    )
    sys.stderr.write(f"wrote {count} branches to {args.output}\n")
    if args.sample:
        picked = sample(generate_province(args.n, args.seed))
        write_jsonl(picked, args.sample)
        sys.stderr.write(f"wrote {len(picked)} sample branches to {args.sample}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
