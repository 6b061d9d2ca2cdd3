"""Seeded, deterministic generator of realistic ``Branch`` records for ``party_gov``.

Records are JSON-ready: dates are ISO strings, decimals are strings (``"0.96"``), and
each record carries its assessors' ``sheets``. A hidden per-branch "quality" drives
how complete its meeting calendar, dues, training and scores are, so that grades come
out mixed much like the seed round (about one branch in six advanced, most standard, a
few lagging), with some serious violations, bonus honors and missing surveys.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = [
    "DEPARTMENTS",
    "generate_party_gov_records",
    "iter_party_gov_records",
    "party_gov_schema",
    "repeat_parquet",
    "write_jsonl",
    "write_party_gov_parquet",
]

# Jiangsu-style provincial organs (省级机关部门单位), 90 of them.
DEPARTMENTS: tuple[str, ...] = (
    "省委办公厅",
    "省人大常委会办公厅",
    "省政府办公厅",
    "省政协办公厅",
    "省纪委监委机关",
    "省委组织部",
    "省委宣传部",
    "省委统战部",
    "省委政法委",
    "省委政策研究室",
    "省委网信办",
    "省委编办",
    "省委台办",
    "省委外办",
    "省委老干部局",
    "省直机关工委",
    "省委党校",
    "省委党史工办",
    "省档案馆",
    "省委机要局",
    "省发展改革委",
    "省教育厅",
    "省科技厅",
    "省工业和信息化厅",
    "省民族宗教委",
    "省公安厅",
    "省民政厅",
    "省司法厅",
    "省财政厅",
    "省人力资源社会保障厅",
    "省自然资源厅",
    "省生态环境厅",
    "省住房城乡建设厅",
    "省交通运输厅",
    "省水利厅",
    "省农业农村厅",
    "省商务厅",
    "省文化和旅游厅",
    "省卫生健康委",
    "省退役军人事务厅",
    "省应急管理厅",
    "省审计厅",
    "省国资委",
    "省市场监管局",
    "省广电局",
    "省体育局",
    "省统计局",
    "省医保局",
    "省地方金融管理局",
    "省机关事务管理局",
    "省信访局",
    "省粮食和物资储备局",
    "省能源局",
    "省监狱管理局",
    "省戒毒管理局",
    "省药监局",
    "省知识产权局",
    "省林业局",
    "省数据局",
    "省人防办",
    "省乡村振兴局",
    "省政府研究室",
    "省政府参事室",
    "省地方志办",
    "省政府金融办",
    "省总工会",
    "团省委",
    "省妇联",
    "省科协",
    "省文联",
    "省作协",
    "省侨联",
    "省社科联",
    "省残联",
    "省红十字会",
    "省贸促会",
    "省供销合作总社",
    "省法学会",
    "省工商联",
    "省高级人民法院",
    "省人民检察院",
    "省社科院",
    "省农科院",
    "省税务局",
    "省气象局",
    "省通信管理局",
    "省邮政管理局",
    "省地震局",
    "省消防救援总队",
    "省口岸办",
)

OTHER_HONORS = (
    "省级机关先进基层党组织",
    "五好党支部",
    "青年文明号",
    "巾帼文明岗",
    "工人先锋号",
    "四强党支部",
    "省级文明单位",
    "党建品牌示范点",
)
HONOR_MODEL_UNIT = "模范机关建设先进单位"
HONOR_BEST_CASE = "模范机关建设优秀案例"

_DAY0 = date(2022, 12, 1)
_SPAN_DAYS = (date(2023, 12, 31) - _DAY0).days  # meetings spread over 2022-12 .. 2023-12
_DUES = ("1", "1.00", "0.99", "0.98", "0.97", "0.96", "0.95", "0.93", "0.92", "0.90", "0.88", "0.85")


def _day_in_month(rng: random.Random, year: int, month: int) -> date:
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first + timedelta(days=rng.randrange((nxt - first).days))


def _day_in_quarter(rng: random.Random, quarter: int) -> date:
    return _day_in_month(rng, 2023, 3 * quarter + rng.randint(1, 3))


def _dec(rng: random.Random, lo: float, hi: float, places: int = 2) -> str:
    """A decimal string drawn uniformly in [lo, hi] with ``places`` decimals."""
    scale = 10**places
    n = rng.randint(round(lo * scale), round(hi * scale))
    return f"{n // scale}.{n % scale:0{places}d}"


def _judged(rng: random.Random, quality: float, generosity: float) -> int | str:
    """A judged score out of 15: whole points, now and then a half point (as a string)."""
    mean = 6.5 + 7.5 * quality + generosity
    score = max(0.0, min(15.0, rng.gauss(mean, 1.3)))
    halves = round(score * 2)
    return halves // 2 if halves % 2 == 0 else f"{halves // 2}.5"


def _meeting(rng: random.Random, kind: str, held_on: date) -> dict[str, Any]:
    meeting: dict[str, Any] = {"kind": kind, "held_on": held_on.isoformat()}
    if rng.random() < 0.9:
        meeting["attendance"] = _dec(rng, 0.78, 1.0)
    elif rng.random() < 0.5:
        meeting["attendance"] = None
    return meeting


def _meetings(rng: random.Random, quality: float, committee_size: int) -> list[dict[str, Any]]:
    meetings: list[dict[str, Any]] = []
    # 支部党员大会: one a quarter when the branch keeps its calendar.
    p_member = 0.5 + 0.48 * quality
    for quarter in range(4):
        if rng.random() < p_member:
            meetings.append(_meeting(rng, "支部党员大会", _day_in_quarter(rng, quarter)))
    # 支委会: monthly; branches without a committee rarely log one.
    p_committee = (0.6 + 0.4 * quality) * (0.35 if committee_size < 3 else 1.0)
    for month in range(1, 13):
        if rng.random() < p_committee:
            meetings.append(_meeting(rng, "支委会", _day_in_month(rng, 2023, month)))
            if rng.random() < 0.08:  # an extra session the same month
                meetings.append(_meeting(rng, "支委会", _day_in_month(rng, 2023, month)))
    if rng.random() < 0.3:  # last year's December session is in the export too
        meetings.append(_meeting(rng, "支委会", _day_in_month(rng, 2022, 12)))
    # 党课: usually four or more; the secretary gives one in most branches.
    lessons = max(0, min(8, round(rng.gauss(2.4 + 2.6 * quality, 1.0))))
    by_secretary = rng.random() < 0.55 + 0.45 * quality
    for i in range(lessons):
        meeting = _meeting(rng, "党课", _day_in_month(rng, 2023, rng.randint(1, 12)))
        meeting["by_secretary"] = (by_secretary and i == 0) or rng.random() < 0.1
        meetings.append(meeting)
    # 组织生活会: once or twice a year.
    for _ in range(rng.choice((1, 1, 1, 2))):
        meetings.append(_meeting(rng, "组织生活会", _day_in_month(rng, 2023, rng.choice((1, 2, 6, 12)))))
    # 主题党日 and 党小组会 fill the rest of the calendar, 20-80 meetings in all.
    target = max(len(meetings), rng.randint(20, 80))
    while len(meetings) < target:
        kind = "主题党日" if rng.random() < 0.35 else "党小组会"
        meetings.append(_meeting(rng, kind, _DAY0 + timedelta(days=rng.randint(0, _SPAN_DAYS))))
    meetings.sort(key=lambda m: m["held_on"])
    return meetings


def _record(rng: random.Random, number: int, department: str) -> dict[str, Any]:
    quality = rng.betavariate(7.0, 4.8)
    members = max(3, min(80, round(rng.lognormvariate(2.5, 0.55))))
    if members < 7:
        committee_size = rng.choice((0, 0, 1, 3))
    elif rng.random() < 0.04 * (1.5 - quality):
        committee_size = rng.choice((1, 2))
    else:
        committee_size = 5 if members < 50 or rng.random() < 0.6 else 7

    if rng.random() < 0.01:
        last_election = None
    elif rng.random() < 0.05 * (1.3 - quality):
        last_election = date(2020, 12, 31) - timedelta(days=rng.randint(0, 400))  # overdue
    else:
        last_election = date(2023, 12, 31) - timedelta(days=rng.randint(30, 36 * 30))

    full_dues = rng.random() < 0.5 + 0.45 * quality
    dues = rng.choice(_DUES[:2]) if full_dues else rng.choice(_DUES[2:])

    honors: list[str] = []
    if rng.random() < 0.12 * quality:
        honors.append(HONOR_MODEL_UNIT)
    if rng.random() < 0.08 * quality:
        honors.append(HONOR_BEST_CASE)
    if rng.random() < 0.15:
        honors.append(rng.choice(OTHER_HONORS))

    record: dict[str, Any] = {
        "id": f"B{number:06d}",
        "department": department,
        "category": "党政机关",
        "members": members,
        "committee_size": committee_size,
        "last_election": None if last_election is None else last_election.isoformat(),
        "meetings": _meetings(rng, quality, committee_size),
        "dues_on_time": dues,
        "secretary_trained": rng.random() < 0.8 + 0.19 * quality,
        "serious_violations": (1 if rng.random() < 0.8 else 2) if rng.random() < 0.006 else 0,
        "honors": honors,
    }
    if rng.random() < 0.025:  # no survey was run: the key is absent or null
        if rng.random() < 0.5:
            record["survey_satisfaction"] = None
    else:
        record["survey_satisfaction"] = _dec(
            rng, max(0.6, 0.8 + 0.17 * quality - 0.05), min(1.0, 0.85 + 0.15 * quality), rng.choice((2, 2, 3, 4))
        )
    record["sheets"] = {
        "self": {"records": _judged(rng, quality, 1.5), "venue": _judged(rng, quality, 1.5)},
        "superior": {"records": _judged(rng, quality, 0.0), "venue": _judged(rng, quality, 0.0)},
    }
    return record


def iter_party_gov_records(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` JSON-ready ``Branch`` records with sheets, ids ``B000001`` …, same for a seed,
    made one at a time (only the departments of all ``n`` are drawn first).

    Departments are of uneven size (a few large organs, many small ones) over 90 names.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    weights = [1.0 / (rank + 3) ** 0.7 for rank in range(len(DEPARTMENTS))]
    departments = rng.choices(DEPARTMENTS, weights=weights, k=n)
    return (_record(rng, i + 1, departments[i]) for i in range(n))


def generate_party_gov_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """The records of :func:`iter_party_gov_records` as a list."""
    return list(iter_party_gov_records(n, seed))


def write_jsonl(path: str | Path, records: list[dict[str, Any]]) -> int:
    """Write records one JSON object per line (UTF-8, Chinese kept); returns the count."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False))
            fh.write("\n")
    return len(records)


# the members of the enums of `benchmarks/schema/branch.ind`, in its order
MEETING_KINDS = ("支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会")
CATEGORIES = ("党政机关", "国有企业", "事业单位", "高等学校", "公立医院", "科研院所", "社会组织", "离退休干部")


def party_gov_schema() -> dict[str, Any]:
    """The typed columns of a party_gov record table (`write_party_gov_parquet`): ints, dates,
    decimals at 4 places (the generator writes at most 4), judged scores at 1, the enums as
    Enums of their members."""
    import polars as pl

    decimal, judged = pl.Decimal(18, 4), pl.Decimal(18, 1)
    kind = pl.Enum(list(MEETING_KINDS))
    meeting = pl.Struct({"kind": kind, "held_on": pl.Date, "attendance": decimal, "by_secretary": pl.Boolean})
    sheet = pl.Struct({"records": judged, "venue": judged})
    return {
        "id": pl.String,
        "department": pl.String,
        "category": pl.Enum(list(CATEGORIES)),
        "members": pl.Int64,
        "committee_size": pl.Int64,
        "last_election": pl.Date,
        "meetings": pl.List(meeting),
        "dues_on_time": decimal,
        "secretary_trained": pl.Boolean,
        "serious_violations": pl.Int64,
        "honors": pl.List(pl.String),
        "survey_satisfaction": decimal,
        "sheets": pl.Struct({"self": sheet, "superior": sheet}),
    }


def write_party_gov_parquet(path: str | Path, n: int, seed: int = 0, *, chunk: int = 10_000) -> int:
    """The records of :func:`iter_party_gov_records` written to one Parquet file, ``chunk``
    records at a time (a row group each), never holding more than a chunk in memory; the
    table the columnar reader makes of the records (`records_frame`) typed exactly by
    :func:`party_gov_schema` (`table_files.typed`), every column typed even where a chunk
    has only nulls. Returns the count."""
    import polars as pl
    import pyarrow.parquet as pq

    from indicator_dsl.evaluate.table_files import typed
    from indicator_dsl.evaluate.tables import records_frame

    schema = party_gov_schema()
    records = iter_party_gov_records(n, seed)
    count = 0
    writer: pq.ParquetWriter | None = None
    try:
        while batch := list(islice(records, chunk)):
            table = typed(records_frame(batch), schema).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table)
            count += len(batch)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pl.DataFrame(schema=schema).write_parquet(path)
    return count


def repeat_parquet(source: str | Path, copies: int, target: str | Path) -> int:
    """`copies` copies of a records table one after another, each record's id suffixed with
    its copy's number (``B000001-2``), streamed into `target` without holding it: the 5,000,000
    records of a benchmark from 1,000,000 generated ones. Returns the number of rows."""
    import polars as pl

    scan = pl.scan_parquet(source)
    parts = [scan.with_columns(pl.col("id") + f"-{copy}") for copy in range(1, copies + 1)]
    pl.concat(parts).sink_parquet(target, row_group_size=50_000)
    return int(pl.scan_parquet(target).select(pl.len()).collect().item())
