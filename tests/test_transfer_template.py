"""The import template of a form (app/transfer/template.py, served at /<view>/template.xlsx to
those who may add records): headers in Chinese or English with required columns marked and
their rules in comments, drop-down lists of choices, date checks, an instructions sheet, and
an example row that imports as it is — for every form of every pack."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from app.portal import portal_of
from tests.support.app import PACKS, login
from tests.support.factories import make_record
from tests.support.importer import run
from tests.support.transfer import importable


def _template(client: Any, form: Any, lang: str) -> Any:
    response = client.get(f"/{form.view_name.lower()}/template.xlsx?lang={lang}")
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={form.key}-template-{lang}.xlsx")
    return response


@pytest.fixture(scope="module")
def packs(pack_apps: dict[str | None, Flask]) -> dict[str | None, Flask]:
    """Every pack's app with a record in each form (what an example reference names)."""
    for app in pack_apps.values():
        for form in portal_of(app).spec.forms:
            make_record(app, form)
    return pack_apps


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p or "base")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_example_row_of_every_form_imports_as_it_is(
        packs: dict[str | None, Flask], pack: str | None, lang: str, tmp_path: Path) -> None:
    app = packs[pack]
    client = app.test_client()
    login(client, "admin")
    for form in portal_of(app).spec.forms:
        path = tmp_path / f"{form.key}.xlsx"
        path.write_bytes(_template(client, form, lang).get_data())
        outcome, errors = run(app, path, form=form.key, dry_run=True, username="admin")
        assert (errors, outcome.rows, outcome.kind) == ([], 1, "xlsx"), form.key
        [(row, shown)] = outcome.preview
        assert row == 2 and set(shown) >= {f.label.zh for f in importable(form)}, form.key


def test_headers_marks_comments_and_drop_downs(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    complaint = portal_of(app).spec.form("complaint")
    fields = importable(complaint)  # no 记录人签名: signatures are drawn, not imported
    books = {lang: load_workbook(io.BytesIO(_template(client, complaint, lang)
                                            .get_data())) for lang in ("zh", "en")}
    for lang, book in books.items():
        assert book.sheetnames == (["数据", "choices", "说明"] if lang == "zh"
                                   else ["Data", "choices", "Instructions"])
        data, choices = book.worksheets[0], book["choices"]
        assert choices.sheet_state == "hidden"
        header = [c.value for c in data[1]]
        assert header == [f.label.get(lang) + (" *" if f.required else "")
                          for f in fields]
        for cell, field in zip(data[1], fields, strict=True):
            assert cell.font.b and (cell.font.color is not None) == field.required
        lists = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation
                 if v.type == "list"}
        dates = {str(v.sqref) for v in data.data_validations.dataValidation if v.type == "date"}
        for column, field in enumerate(fields, 1):
            letter = chr(64 + column)
            if field.type in ("choice", "multi_choice"):
                assert lists[f"{letter}2:{letter}10000"] == (
                    f"'choices'!${letter}$1:${letter}${len(field.choices)}")
                assert [choices.cell(row=r, column=column).value
                        for r in range(1, len(field.choices) + 1)] == [
                    c.label.get(lang) for c in field.choices]
            elif field.type in ("date", "datetime"):
                assert f"{letter}2:{letter}10000" in dates
    zh = books["zh"].worksheets[0]
    batch = [c for c in zh[1] if c.value == "生产批号"][0]
    assert batch.comment.text == "文本；选填；最多 40 个字符；格式：批号只能包含字母、数字和连字符"
    channel = [c for c in zh[1] if c.value == "受理渠道 *"][0]
    assert channel.comment.text.startswith("单选；必填；可选值：电话、")
    en = books["en"].worksheets[0]
    batch = [c for c in en[1] if c.value == "Batch number"][0]
    assert batch.comment.text == ("Text; optional; at most 40 characters; format: Letters, digits "
                                  "and '-' only")
    channel = [c for c in en[1] if c.value == "Channel *"][0]
    assert channel.comment.text.startswith("Choice; required; one of: Phone, ")
    assert [c.value for c in en[1] if c.comment and "\u3001" in c.comment.text] == []
    help_sheet = books["zh"]["说明"]
    assert help_sheet["A1"].value.startswith("第一行是表头，不要修改")
    assert [c.value for c in help_sheet[3]] == ["列", "字段", "规则", "示例"]


def test_the_template_needs_the_import_grant_and_the_import_page_links_it(
        app: Flask) -> None:
    auditor = app.test_client()
    login(auditor, "auditor")  # may list complaints, not import them
    response = auditor.get("/complaintview/template.xlsx")
    assert response.status_code == 403 and not response.get_data().startswith(b"PK")
    page = auditor.get("/complaintview/list/").get_data(as_text=True)
    assert "portal-import" not in page and "portal-export" not in page
    staff = app.test_client()
    login(staff, "staff")
    page = staff.get("/complaintview/list/").get_data(as_text=True)
    assert 'href="/complaintview/import/"' in page
    assert "portal-export" not in page  # staff may not export
    page = staff.get("/complaintview/import/").get_data(as_text=True)
    assert 'href="/complaintview/template.xlsx"' in page and "下载导入模板（Excel）" in page
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    page = supervisor.get("/complaintview/list/?_flt_0_product_name=x").get_data(as_text=True)
    assert 'href="/complaintview/export/?_flt_0_product_name=x"' in page
    assert 'href="/complaintview/export/?format=xlsx&amp;_flt_0_product_name=x"' in page
    assert "导出 Excel" in page


def test_a_list_address_with_its_own_format_argument_still_links_both_exports(
        app: Flask) -> None:
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    page = supervisor.get("/complaintview/list/?format=pdf")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/complaintview/export/"' in text
    assert 'href="/complaintview/export/?format=xlsx"' in text
