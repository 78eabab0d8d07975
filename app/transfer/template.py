"""An Excel template for importing records into one form, in Chinese or English.

The first sheet holds one header row (the importable fields' labels; required ones end in
" *", bold and red; each header has a comment with the field's rules) and an example row
that imports as it is (app/transfer/importer.py ignores the " *"). Choice columns get an
Excel drop-down whose list lives on a hidden "choices" sheet (an inline list is limited to
255 characters), date columns a date check and format. A second sheet explains the columns.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from decimal import Decimal
from typing import Any

from flask import current_app
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from app.portal import portal_of
from app.spec import FieldSpec, FormSpec
from app.transfer.writers import DATE_FORMAT, DATETIME_FORMAT

CHOICES_SHEET = "choices"
REQUIRED_MARK = " *"
# The template's own words, by language (a file, not a page: no request locale needed).
WORDS: dict[str, dict[str, str]] = {
    "zh": {"data": "数据", "help": "说明", "column": "列", "field": "字段", "rules": "规则",
           "example": "示例", "required": "必填", "optional": "选填", "unique": "不可重复",
           "length": "长度 {lo} 到 {hi} 个字符", "at_most": "最多 {hi} 个字符",
           "at_least": "至少 {lo} 个字符", "range": "取值 {lo} 到 {hi}",
           "choices": "可选值：{values}", "many": "可多选，用“、”分隔",
           "pattern": "格式：{message}", "date": "日期，如 2026-01-15",
           "datetime": "日期时间，如 2026-01-15 09:30:00",
           "reference": "填写{form}的{by}或编号（如 #12）",
           "user": "填写用户名或姓名", "yes_no": "填 是 或 否", "sep": "；", "list": "、",
           "intro": "第一行是表头，不要修改；第二行是示例，导入前请替换或删除。带 * 的列必须填写。"
                    "选择项可从下拉列表中选。文件中的任何一行有错误时，整个文件都不会导入。",
           "bad_choice": "请从下拉列表中选择", "bad_date": "请输入日期，如 2026-01-15",
           "types": "文本|多行文本|整数|小数|金额（元）|日期|日期时间|是/否|单选|多选|电话|"
                    "电子邮箱|评分|关联记录|用户|编号"},
    "en": {"data": "Data", "help": "Instructions", "column": "Column", "field": "Field",
           "rules": "Rules", "example": "Example", "required": "required",
           "optional": "optional", "unique": "must be unique",
           "length": "{lo} to {hi} characters", "at_most": "at most {hi} characters",
           "at_least": "at least {lo} characters", "range": "from {lo} to {hi}",
           "choices": "one of: {values}", "many": "several allowed, separated by commas",
           "pattern": "format: {message}", "date": "a date, e.g. 2026-01-15",
           "datetime": "a date and time, e.g. 2026-01-15 09:30:00",
           "reference": "a {form} record by its {by} or number (e.g. #12)",
           "user": "a user name or full name", "yes_no": "Yes or No", "sep": "; ", "list": ", ",
           "intro": "Row 1 is the header: do not change it. Row 2 is an example: replace or "
                    "delete it before importing. Columns marked * are required. Choices can "
                    "be picked from the drop-down lists. If any row has an error, nothing "
                    "from the file is imported.",
           "bad_choice": "Pick a value from the list", "bad_date": "Enter a date, e.g. "
                                                               "2026-01-15",
           "types": "Text|Long text|Whole number|Decimal|Amount (CNY)|Date|Date and time|"
                    "Yes/No|Choice|Multiple choice|Phone|E-mail|Rating|Record|User|Number"},
}
TYPE_ORDER = ("string", "text", "integer", "decimal", "money", "date", "datetime", "boolean",
              "choice", "multi_choice", "phone", "email", "rating", "reference", "user",
              "autonumber")


def type_name(kind: str, lang: str) -> str:
    return WORDS[lang]["types"].split("|")[TYPE_ORDER.index(kind)]


def build_template(form: FormSpec, lang: str, username: str | None = None) -> bytes:
    """The .xlsx template of `form` in `lang` ("zh" or "en"); its example row names
    `username` (default PORTAL_ADMIN_USER) for user fields. Runs in an app context."""
    words = WORDS["en" if lang == "en" else "zh"]
    lang = "en" if lang == "en" else "zh"
    fields = [f for f in form.entered if not f.signed]  # signatures are drawn, not imported
    book = Workbook()
    sheet: Any = book.active
    sheet.title = words["data"]
    choices = book.create_sheet(CHOICES_SHEET)
    choices.sheet_state = "hidden"
    red_bold, bold = Font(bold=True, color="C00000"), Font(bold=True)
    examples = Examples(form, username)
    for column, spec in enumerate(fields, 1):
        letter = get_column_letter(column)
        head = sheet.cell(row=1, column=column,
                          value=spec.label.get(lang) + (REQUIRED_MARK if spec.required else ""))
        head.font = red_bold if spec.required else bold
        head.comment = Comment(rules(spec, lang, words), "portal", width=300, height=160)
        example = sheet.cell(row=2, column=column, value=examples.value(spec, lang))
        example.data_type = "s" if isinstance(example.value, str) else example.data_type
        sheet.column_dimensions[letter].width = max(12, min(40, 2 * len(head.value) + 4))
        where = f"{letter}2:{letter}10000"
        if spec.type in ("choice", "multi_choice") and spec.choices:
            for row, choice in enumerate(spec.choices, 1):
                choices.cell(row=row, column=column, value=choice.label.get(lang))
            source = (f"{quote_sheetname(CHOICES_SHEET)}!${letter}$1:${letter}$"
                      f"{len(spec.choices)}")
            # A multiple choice may hold several labels: the list helps, it does not refuse.
            check = DataValidation(type="list", formula1=source, allow_blank=True,
                                   showErrorMessage=spec.type == "choice",
                                   error=words["bad_choice"])
            check.add(where)
            sheet.add_data_validation(check)
        elif spec.type in ("date", "datetime"):
            check = DataValidation(type="date", operator="greaterThan",
                                   formula1="DATE(1900,1,1)", allow_blank=True,
                                   showErrorMessage=True, error=words["bad_date"])
            check.add(where)
            sheet.add_data_validation(check)
            example.number_format = DATE_FORMAT if spec.type == "date" else DATETIME_FORMAT
    sheet.freeze_panes = "A2"
    _instructions(book.create_sheet(words["help"]), fields, lang, words, examples)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rules(spec: FieldSpec, lang: str, words: dict[str, str]) -> str:
    """A field's rules in one text: type, required, lengths, range, choices, format."""
    parts = [type_name(spec.type, lang), words["required"] if spec.required
             else words["optional"]]
    if spec.unique:
        parts.append(words["unique"])
    if spec.min_length or spec.max_length:
        size = ("length" if spec.min_length and spec.max_length
                else "at_most" if spec.max_length else "at_least")
        parts.append(words[size].format(lo=spec.min_length, hi=spec.max_length))
    if spec.min is not None or spec.max is not None:
        parts.append(words["range"].format(lo=_number(spec.min, "-∞"),
                                           hi=_number(spec.max, "∞")))
    if spec.choices:
        parts.append(words["choices"].format(values=words["list"].join(
            c.label.get(lang) for c in spec.choices)))
    if spec.type == "multi_choice":
        parts.append(words["many"])
    if spec.pattern:
        message = spec.pattern_message.get(lang) if spec.pattern_message else spec.pattern
        parts.append(words["pattern"].format(message=message))
    if spec.type in ("date", "datetime"):
        parts.append(words[spec.type])
    if spec.type == "boolean":
        parts.append(words["yes_no"])
    if spec.type == "reference":
        target = portal_of().spec.form(spec.form)  # type: ignore[arg-type]
        by = target.field(target.display).label.get(lang) if target.display else "#"
        parts.append(words["reference"].format(form=target.label.get(lang), by=by))
    if spec.type == "user":
        parts.append(words["user"])
    if spec.help:
        parts.append(spec.help.get(lang))
    return words["sep"].join(parts)


def _number(value: float | None, none: str) -> str:
    if value is None:
        return none
    return str(int(value)) if float(value).is_integer() else str(value)


def _instructions(sheet: Any, fields: list[FieldSpec], lang: str, words: dict[str, str],
                  examples: Examples) -> None:
    sheet.append([words["intro"]])
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("A1:D1")
    sheet.row_dimensions[1].height = 60
    sheet.append([])
    sheet.append([words["column"], words["field"], words["rules"], words["example"]])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for column, spec in enumerate(fields, 1):
        example = examples.value(spec, lang)
        sheet.append([get_column_letter(column),
                      spec.label.get(lang) + (REQUIRED_MARK if spec.required else ""),
                      rules(spec, lang, words), "" if example is None else str(example)])
        sheet.cell(row=sheet.max_row, column=3).alignment = Alignment(wrap_text=True)
        sheet.cell(row=sheet.max_row, column=4).data_type = "s"
    for letter, width in zip("ABCD", (8, 22, 60, 24), strict=True):
        sheet.column_dimensions[letter].width = width


class Examples:
    """Plausible values per field type, within the field's rules, that import as they are:
    a unique text gets a number of the moment so that it is not taken already; a record by
    the number of an existing one (#12), a user by user name."""

    def __init__(self, form: FormSpec, username: str | None) -> None:
        self.form = form
        self.stamp = time.strftime("%m%d%H%M%S")
        self.username = username or current_app.config["PORTAL_ADMIN_USER"]
        self._records: dict[str, str | None] = {}

    def value(self, spec: FieldSpec, lang: str) -> Any:
        kind = spec.type
        if kind in ("choice", "multi_choice"):
            return spec.choices[0].label.get(lang) if spec.choices else None
        if kind in ("integer", "rating"):
            return int(_clamp(Decimal(4 if kind == "rating" else 1), spec))
        if kind in ("decimal", "money"):
            return _clamp(Decimal(100), spec).quantize(Decimal(1).scaleb(-spec.scale))
        if kind == "date":
            return dt.date.today()
        if kind == "datetime":
            return dt.datetime.combine(dt.date.today(), dt.time(9, 30))
        if kind == "boolean":
            return "否" if lang == "zh" else "No"
        if kind == "reference":
            return self._record(spec)
        if kind == "user":
            return self.username
        return self._text(spec, lang)

    def _text(self, spec: FieldSpec, lang: str) -> str | None:
        stamp = self.stamp if spec.unique else ""
        if spec.type == "phone":
            candidates = ["138" + (stamp or "00138000")[-8:].rjust(8, "0")]
        elif spec.type == "email":
            candidates = [f"example{stamp}@example.com"]
        else:
            word = spec.label.get(lang)
            candidates = [f"{'示例' if lang == 'zh' else 'Example '}{word}{stamp}",
                          f"EX-{stamp or '001'}", f"EX{stamp or '001'}", stamp or "1"]
        for text in candidates:
            if spec.min_length and len(text) < spec.min_length:
                text = text + "0" * (spec.min_length - len(text))
            if spec.max_length and len(text) > spec.max_length:
                text = text[-spec.max_length:] if stamp else text[:spec.max_length]
            if not spec.pattern or re.fullmatch(spec.pattern, text):
                return text
        return None

    def _record(self, spec: FieldSpec) -> str | None:
        if spec.form not in self._records:
            model = portal_of().models.models[str(spec.form)]
            session = current_app.extensions["appbuilder"].session
            first = session.scalar(select(model.id).order_by(model.id).limit(1))
            self._records[str(spec.form)] = None if first is None else f"#{first}"
        return self._records[str(spec.form)]


def _clamp(value: Decimal, spec: FieldSpec) -> Decimal:
    if spec.min is not None and value < Decimal(str(spec.min)):
        value = Decimal(str(spec.min))
    if spec.max is not None and value > Decimal(str(spec.max)):
        value = Decimal(str(spec.max))
    return value

