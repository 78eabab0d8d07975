"""The OpenAPI document speaks the request's language (app/views/api/openapi/): every text for
people (the introduction, summaries, descriptions, titles, choice labels) is Chinese in the zh
document and English in the en one; identifiers stay as they are, in code spans.

What a zh text may still hold in Latin letters, and why:
- code spans (`POST /api/v1/security/login`, `Authorization: Bearer <token>`, `q=(page:0)`),
  Markdown's `**` and the HTTP codes: identifiers and examples a client types;
- paths, URLs and `<placeholders>`;
- KNOWN: names of formats and HTTP methods that have no Chinese name a developer would use,
  and the words the packs' own zh labels and help texts use (a courier's name, EMS; App), data
  that the screens show as well.
The en document's texts hold no Chinese: the portal's name is its English translation (APP_NAME
is 售后服务门户, translated as the navigation bar's is), the forms' labels are the en labels.
Only code spans may (data of the YAML: a computed field's expression quotes the values it
answers, e.g. `'已过保质期' if … else '保质期内'` in the cosmetics pack).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask
from openapi_spec_validator import validate

from tests.test_views_api_openapi import _doc, _schema

# Keys whose string values are read by people (Swagger UI shows them).
PROSE_KEYS = ("description", "summary", "title", "x-pattern-message")
KNOWN = {"JSON", "JWT", "YAML", "Rison", "GET", "POST", "PUT", "DELETE",
         "EMS", "App"}  # words in the packs' own zh labels and help texts: data
CODE = re.compile(r"`[^`]*`")
URLISH = re.compile(r"https?://\S+|(?<![\w])/[\w/{}<>.…-]*|<[^<>\s]+>")
WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def prose(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every text for people in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key in PROSE_KEYS and isinstance(value, str):
                yield here, value
            elif key == "x-choices":
                yield from ((f"{here}/{c['value']}", c["label"]) for c in value)
            else:
                yield from prose(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from prose(value, f"{where}/{index}")


def latin_words(text: str) -> list[str]:
    """The Latin words a zh text holds outside code spans, paths and known identifiers."""
    bare = URLISH.sub(" ", CODE.sub(" ", text))
    return [w for w in WORD.findall(bare) if w not in KNOWN]


def test_the_checker_strips_identifiers_and_keeps_words() -> None:
    assert latin_words("以 `Authorization: Bearer <token>` 发送，见 /api/v1/complaint/。") == []
    assert latin_words("用 JSON 或 Rison：`q=(page:0)`，PUT 时发回。") == []
    assert latin_words("点击 Try it out 登录") == ["Try", "it", "out"]
    assert latin_words("需要 can_list 权限") == ["can", "list"]


def test_every_text_of_the_zh_document_is_chinese(pack_apps: dict[str | None, Flask]) -> None:
    for pack, app in pack_apps.items():
        doc = _doc(app, "zh")
        validate(doc)
        found = {where: words for where, text in prose(doc) if (words := latin_words(text))}
        assert found == {}, (pack, found)
        assert doc["info"]["x-language"] == "zh"


def test_the_en_document_has_no_chinese(pack_apps: dict[str | None, Flask]) -> None:
    for pack, app in pack_apps.items():
        doc = _doc(app, "en")
        validate(doc)
        found = {where: text for where, text in prose(doc) if CJK.search(CODE.sub(" ", text))}
        assert found == {}, (pack, found)
        assert doc["info"]["title"] == "After-sales Service Portal API"


def test_sentences_in_both_languages(app: Flask) -> None:
    zh, en = _doc(app, "zh"), _doc(app, "en")
    assert zh["info"]["title"] == "售后服务门户接口"
    assert zh["info"]["description"].startswith(
        "售后服务门户的接口：每个表单一个接口（本门户共 ")
    assert en["info"]["description"].startswith(
        "The REST API of After-sales Service Portal: one API per form (")
    assert ("**登录**：用用户名和密码调用 `POST /api/v1/security/login`，得到有效期 15 分钟的"
            "访问令牌；之后的请求以 `Authorization: Bearer <token>` 发送。"
            in zh["info"]["description"])
    assert zh["components"]["securitySchemes"]["bearerAuth"]["description"] == (
        "由 `POST /api/v1/security/login` 获得的访问令牌（有效期 15 分钟）。")
    assert zh["components"]["responses"]["Unauthorized"]["description"] == (
        "缺少令牌，或令牌无效、已过期：请在 `/api/v1/security/login` 登录。")
    assert en["components"]["responses"]["Unauthorized"]["description"] == (
        "No token, or one that is invalid or expired: sign in at /api/v1/security/login.")
    listing = zh["paths"]["/api/v1/complaint/"]["get"]["description"]
    assert listing.startswith("您数据范围内的记录，按 `q` 筛选、排序和分页。")
    assert "需要 `ComplaintView` 上的 `can_list` 权限（拥有该权限的角色：`" in listing
    assert "Needs `can_list` on `ComplaintView` (roles: `" in (
        en["paths"]["/api/v1/complaint/"]["get"]["description"])
    assert zh["tags"][0] == {"name": "security", "description": "登录以获取访问令牌。"}
    assert en["tags"][0] == {"name": "security", "description": "Sign in for a bearer token."}
    phone = (_schema(zh, "CustomerRecord")["properties"]["phone"]["description"],
             _schema(en, "CustomerRecord")["properties"]["phone"]["description"])
    assert "敏感字段：答复中会脱敏（例如 `138****5678`）" in phone[0]
    assert "Sensitive: answered masked (e.g. `138****5678`)" in phone[1]


def test_machine_readable_parts_are_the_same_in_both_languages(app: Flask) -> None:
    zh, en = _doc(app, "zh"), _doc(app, "en")

    def machine(doc: dict[str, Any]) -> list[Any]:
        return [[(p, m, op.get("operationId"), op.get("tags"), op.get("x-permission"))
                 for m, op in item.items() if m != "parameters"]
                for p, item in doc["paths"].items()]
    assert machine(zh) == machine(en)
    assert [t["name"] for t in zh["tags"]] == [t["name"] for t in en["tags"]]
    assert set(zh["components"]["schemas"]) == set(en["components"]["schemas"])
    assert (_schema(zh, "ComplaintNew")["properties"]["priority"]["enum"]
            == _schema(en, "ComplaintNew")["properties"]["priority"]["enum"])
    assert _doc(app, "zh") == zh  # built once per language: the cache keeps each apart
