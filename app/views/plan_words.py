"""A stored schema plan (app/schema/plan.py `Plan.text`, written in English for the CLI and
the migration files) as the schema screen shows it in Chinese: line by line, by pattern;
a line no pattern knows is shown as it was stored."""

from __future__ import annotations

import re

from app.spec import current_lang

# (pattern of a line's text after its marker, Chinese with the pattern's groups)
LINES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"create table (\S+) \((\d+) fields\)", r"新建表 \1（\2 个字段）"),
    (r"add field (\S+) \(column (\S+) (.+)\)", r"新增字段 \1（列 \2，\3）"),
    (r"add (\w+) column (\S+) \((.+)\)", r"新增\1列 \2（\3）"),
    (r"add index on (\S+) \(lists sort by it\)", r"为 \1 建索引（列表按它排序）"),
    (r"add trigram index on (\S+) \(substring search\)", r"为 \1 建三元组索引（模糊搜索）"),
    (r"add prefix index on (\S+) \(names as typed\)", r"为 \1 建前缀索引（按输入开头查找）"),
    (r"add index on (\S+)", r"为 \1 建索引"),
    (r"drop index on (\S+)", r"删除 \1 的索引"),
    (r"make (\S+) required \(NOT NULL\)", r"\1 改为必填"),
    (r"make (\S+) optional \(allow empty\)", r"\1 改为选填"),
    (r"make (\S+) unique", r"\1 改为唯一"),
    (r"retire field (\S+): column (\S+) and its values kept, hidden from screens",
     r"停用字段 \1：列 \2 及其数据保留，页面不再显示"),
    (r"bring back field (\S+): column (\S+) kept its values", r"恢复字段 \1：列 \2 保留了数据"),
    (r"rename field (\S+) → (\S+) \(column (\S+) → (\S+)\), ([\d,]+) values kept",
     r"字段改名 \1 → \2（列 \3 → \4），保留 \5 个值"),
    (r"widen (\S+) from (\d+) to (\d+)(.*)", r"\1 加长：\2 → \3\4"),
))
HEADER = re.compile(r"^(\S+) \((\S+?)(?:, ([\d,]+) rows)?\)$")
COUNT = re.compile(r"^(\d+) changes?(, (\d+) refused: .*)?$")
MARKED = re.compile(r"^(\s*[+~!=-] )(REFUSED: )?(.*?)(  \[risky\])?$")


def _line(line: str) -> str:
    if line == "The database matches the configuration; nothing to do.":
        return "数据库与配置一致，无需变更。"
    header = HEADER.match(line)
    if header:
        rows = f"，{header.group(3)} 行" if header.group(3) else ""
        return f"{header.group(1)}（{header.group(2)}{rows}）"
    count = COUNT.match(line)
    if count:
        refused = f"，{count.group(3)} 项被拒绝：解决之前不会执行任何变更" if count.group(2) else ""
        return f"共 {count.group(1)} 项变更{refused}"
    marked = MARKED.match(line)
    if not marked:
        return line
    text = marked.group(3)
    for pattern, zh in LINES:
        if pattern.fullmatch(text):
            text = pattern.sub(zh, text)
            break
    return (marked.group(1) + ("拒绝：" if marked.group(2) else "") + text
            + ("  [有风险]" if marked.group(4) else ""))


def plan_text(stored: str | None) -> str:
    """The plan in the request's language (English as stored)."""
    if not stored or current_lang() == "en":
        return stored or ""
    return "\n".join(_line(line) for line in stored.splitlines())
