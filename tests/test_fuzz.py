"""Property-based fuzzing of every generated screen of every shipped pack, as admin and staff.

Hostile list parameters, record ids and form posts must never give a 500: a bad list
parameter is a 400 with the portal's Chinese error page, an unknown id a 404, a bad form value
a re-rendered form with the message next to the field and the database untouched. Valid
values must still work and be stored exactly. Examples are derandomized (fixed per test), so
CI runs the same cases every time; each pack's app is built and seeded once per module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import prison
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.views.guard import MAX_FILTER_LENGTH
from tests.support.api import call
from tests.support.app import CONFIG, PACKS
from tests.support.fuzz import HOSTILE, Value, form_values, hostile_text
from tests.support.fuzz_site import (
    CJK,
    Site,
    assert_portal_400,
    build_site,
    field_errors,
    same,
    snapshot,
    stored,
)

USERS = ("admin", "staff")
# PORTAL_FUZZ_EXAMPLES=500 runs a deeper (still deterministic) search locally.
FUZZ = settings(max_examples=int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "25")), deadline=None,
                derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _pack_forms() -> list[tuple[str | None, str]]:
    from app.config.load import load_spec

    return [(pack, form.key) for pack in PACKS for form in load_spec(str(CONFIG), pack).forms]


PACK_FORMS = _pack_forms()


def _id(pack: str | None, form_key: str, *rest: str) -> str:
    return "-".join([pack or "base", form_key, *rest])


@pytest.fixture(scope="module")
def sites(make_app: Callable[..., Flask]) -> dict[str | None, Site]:
    return {pack: build_site(make_app(industry=pack), USERS) for pack in PACKS}


# ---------------------------------------------------------------- list parameters

@st.composite
def list_params(draw: Any, view: Any, real_id: int) -> list[tuple[str, str]]:
    """Query parameters FAB's list, export, show, add and edit screens read."""
    name = type(view).__name__
    filters = view._filters.get_search_filters()
    keys = [f"page_{name}", f"psize_{name}", f"_oc_{name}", f"_od_{name}", "q", "page",
            f"xpage_{name}", f"xpsize_{name}", f"x_oc_{name}", f"page_{name}x", "page_Other",
            f"_oc_{name.lower()}", "_flt_0_nosuchcolumn", "_flt_12_id", f"{name}_flt_0_id",
            "_flt_0_created_on", f"_flt_0_page_{name}", "\x00", "键"]
    for column, offered in filters.items():
        keys += [f"_flt_{i}_{column}" for i in range(len(offered) + 1)]
        keys += [f"a_flt_0_{column}", f"_flt_{len(offered) + 5}_{column}"]
    values = st.one_of(hostile_text, st.sampled_from(
        ["0", "1", "2", "5", "100", "asc", "desc", str(real_id), *view.order_columns]),
        st.integers(-(2**70), 2**70).map(str))
    return draw(st.lists(st.tuples(st.sampled_from(keys), values), max_size=6))


@pytest.mark.parametrize(("pack", "form_key", "user"),
                         [(p, f, u) for p, f in PACK_FORMS for u in USERS],
                         ids=[_id(p, f, u) for p, f in PACK_FORMS for u in USERS])
@FUZZ
@given(data=st.data())
def test_list_parameters_never_500(sites: dict, pack: str | None, form_key: str, user: str,
                                   data: st.DataObject) -> None:
    site: Site = sites[pack]
    view = site.view(form_key)
    base = f"/{type(view).__name__.lower()}"
    real_id = site.targets.ids[form_key][0]
    params = data.draw(list_params(view, real_id), label="params")
    action = data.draw(st.sampled_from(["list", "list", "list", "export", "show", "edit",
                                        "add"]), label="action")
    path = {"list": "/list/", "export": "/export/", "add": "/add"}.get(
        action, f"/{action}/{real_id}")
    response = site.clients[user].get(base + path, query_string=params)
    flashed = site.flashes(user)
    status, page = response.status_code, response.get_data(as_text=True)
    if status == 400:
        assert_portal_400(page)
        return
    if not site.granted(user, form_key, action):
        assert status == 403, f"{user} reached {action} of {form_key}: {status}"
        return
    assert status == 200, f"{status} {flashed} for {path} {params}"
    if action == "list":
        shown = set(re.findall(rf'href="{base}/show/(\d+)"', page))
        limit = site.app.config["PORTAL_MAX_PAGE_SIZE"]
        assert len(shown) <= limit, f"{len(shown)} rows for {params}"
        sizes = [v for k, v in params if k == f"psize_{type(view).__name__}"]
        if sizes:
            assert len(shown) <= int(sizes[0])
    if action == "export":
        rows = list(csv.reader(io.StringIO(page.lstrip("\ufeff"))))
        assert len(rows[0]) == 1 + len(view.show_columns)


@pytest.mark.parametrize("pack", PACKS, ids=[p or "base" for p in PACKS])
@pytest.mark.parametrize("user", USERS)
@FUZZ
@given(data=st.data())
def test_valid_list_parameters_still_work(sites: dict, pack: str | None, user: str,
                                          data: st.DataObject) -> None:
    """In-range pages, page sizes, orders and well-typed filters are a 200 within the cap."""
    site: Site = sites[pack]
    form_key = data.draw(st.sampled_from([f.key for f in site.spec.forms
                                          if site.granted(user, f.key, "list")]))
    view = site.view(form_key)
    name = type(view).__name__
    params = [(f"page_{name}", str(data.draw(st.integers(0, 3)))),
              (f"psize_{name}", str(data.draw(st.integers(1, 100))))]
    if view.order_columns:
        params += [(f"_oc_{name}", data.draw(st.sampled_from(view.order_columns))),
                   (f"_od_{name}", data.draw(st.sampled_from(["asc", "desc"])))]
    for column, offered in view._filters.get_search_filters().items():
        if data.draw(st.booleans()):
            index = data.draw(st.integers(0, len(offered) - 1))
            params.append((f"_flt_{index}_{column}", _typed_filter_value(site, view, column,
                                                                         data)))
    response = site.clients[user].get(f"/{name.lower()}/list/", query_string=params)
    assert response.status_code == 200, (params, response.get_data(as_text=True)[-1500:])
    rows = set(re.findall(rf'href="/{name.lower()}/show/(\d+)"', response.get_data(
        as_text=True)))
    assert len(rows) <= int(params[1][1])


def _typed_filter_value(site: Site, view: Any, column: str, data: st.DataObject) -> str:
    form = view.__form__
    field = next((f for f in form.fields if f.key == column), None)
    if column == "state":  # the workflow's state: its keys
        return data.draw(st.sampled_from([s.key for s in form.workflow.states]))
    if column.startswith("sla_"):  # deadlines: date-times; breach flags: the ticked box
        return "y" if column.endswith("_breached") else data.draw(st.datetimes(
            min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))).isoformat(
            sep=" ", timespec="minutes")
    if field is None or field.type in ("reference", "user"):
        ids = site.targets.users if field is None or field.type == "user" else \
            site.targets.ids[field.form or ""]
        return str(data.draw(st.sampled_from(ids)))
    if field.type in ("choice", "multi_choice"):
        return data.draw(st.sampled_from([c.value for c in field.choices]))
    if field.type == "date":
        return data.draw(st.dates()).isoformat()
    if field.type in ("integer", "rating"):
        return str(data.draw(st.integers(-1000, 1000)))
    if field.type == "boolean":
        return "y"  # the search form's ticked box; "No" is the "not equal" filter
    # Text of any kind, but no NUL, no trailing '\\' (refused: PostgreSQL's LIKE breaks)
    # and not over the guard's length limit
    return data.draw(st.sampled_from([s for s in HOSTILE if "\x00" not in s
                                      and not s.endswith("\\")
                                      and len(s) <= MAX_FILTER_LENGTH]))


# ---------------------------------------------------------------- hostile record ids

HOSTILE_IDS = ("abc", "-1", "0", "99999999999999999999", "2147483648", "9223372036854775808",
               "\x00", "１", "²", "١", "1.0", "1e3", " 1", "1 ", "+1", "0x1", "一", "\u202e1",
               "1;", "'", "%", "null", "None", "x" * 3000)


@pytest.mark.parametrize("pack", PACKS, ids=[p or "base" for p in PACKS])
@pytest.mark.parametrize("user", USERS)
@FUZZ
@given(data=st.data())
def test_hostile_record_ids_are_404(sites: dict, pack: str | None, user: str,
                                    data: st.DataObject) -> None:
    site: Site = sites[pack]
    form = data.draw(st.sampled_from(site.spec.forms), label="form")
    pk = data.draw(st.one_of(st.sampled_from(HOSTILE_IDS), st.integers(-(2**70), 2**70).map(
        str), st.text(min_size=1, max_size=12)).filter(  # a '/' is another URL
            lambda s: s not in (".", "..") and "/" not in s),
        label="pk")
    action, method = data.draw(st.sampled_from([("show", "GET"), ("edit", "GET"),
                                                ("edit", "POST"), ("delete", "GET"),
                                                ("delete", "POST")]), label="action")
    exists = pk.isascii() and pk.isdigit() and int(pk) in site.targets.ids[form.key]
    if exists and method == "POST":
        return  # real records are not edited or deleted here
    before = snapshot(site.app)
    url = f"/{form.view_name.lower()}/{action}/{quote(pk, safe='')}"
    client = site.clients[user]
    response = (client.get(url) if method == "GET" else
                client.post(url, data={"csrf_token": site.tokens[user]}))
    site.flashes(user)
    status = response.status_code
    assert snapshot(site.app) == before
    if not site.granted(user, form.key, action):
        assert status in (403, 404), status
    elif action == "delete" and method == "GET":
        assert status in (302, 404), status  # a GET never deletes
    elif exists:
        assert status == 200
    else:
        assert status == 404, f"{action} {pk!r}: {status}"


# ---------------------------------------------------------------- form posts

def _post(values: dict[str, Value], token: str) -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": token}
    data.update({k: v.posted for k, v in values.items() if v.posted is not None})
    return data


@pytest.mark.parametrize(("pack", "form_key", "screen"),
                         [(p, f, s) for p, f in PACK_FORMS for s in ("add", "edit")],
                         ids=[_id(p, f, s) for p, f in PACK_FORMS for s in ("add", "edit")])
@FUZZ
@given(data=st.data())
def test_form_posts_save_exactly_or_explain(sites: dict, pack: str | None, form_key: str,
                                            screen: str, data: st.DataObject) -> None:
    site: Site = sites[pack]
    form = site.spec.form(form_key)
    user = data.draw(st.sampled_from(USERS), label="user")
    values = data.draw(form_values(form, site.targets), label="values")
    pk = site.targets.ids[form_key][0]
    url = f"/{form.view_name.lower()}/" + ("add" if screen == "add" else f"edit/{pk}")
    before = snapshot(site.app)
    response = site.clients[user].post(url, data=_post(values, site.tokens[user]))
    flashed = site.flashes(user)
    after = snapshot(site.app)
    status, page = response.status_code, response.get_data(as_text=True)
    if not site.granted(user, form_key, screen):
        assert status == 403 and after == before
        return
    # Posted values of read-only fields are ignored; a blank sensitive field keeps its value.
    # Fields the add form leaves for later (`on_add: false`) take no posted value either.
    unchecked = (site.readonly(user, form_key) if screen == "edit" else frozenset()) | {
        f.key for f in form.fields if f.sensitive and screen == "edit" and not values[f.key].posted
    } | {f.key for f in form.entered if screen == "add" and not f.on_add}
    invalid = {k for k, v in values.items() if v.tag == "invalid"} - unchecked
    maybe = {k for k, v in values.items() if v.tag == "maybe"} - unchecked
    if status == 200:
        errors = field_errors(page)
        assert after == before, "a refused post changed the database"
        assert errors, f"re-rendered without a field message: {flashed}"
        assert set(errors) <= invalid | maybe, f"valid fields refused: {errors}"
        if invalid:
            assert set(errors) & invalid, errors
        for key, message in errors.items():
            assert CJK.search(message), f"{key}: untranslated {message}"
            assert "<" not in message, f"{key}: markup in the message {message}"
        return
    assert status == 302, f"{status}: {page[-2000:]}"
    assert not invalid, f"saved despite invalid {({k: values[k] for k in invalid})}"
    table = form.table
    if screen == "add":
        new = sorted({r[0] for r in after[table]} - {r[0] for r in before[table]})
        assert len(new) == 1, f"not saved ({flashed})"
        saved = new[0]
        assert after[table][:-1] == before[table]
    else:
        saved = pk
        assert [r for r in after[table] if r[0] != pk] == [
            r for r in before[table] if r[0] != pk]
    assert {t: r for t, r in after.items() if t != table} == {
        t: r for t, r in before.items() if t != table}
    row = stored(site.app, form, saved)
    for field in form.entered:
        value = values[field.key]
        if field.key not in unchecked and value.tag in ("valid", "maybe"):
            assert same(field, value, row[field.key]), (
                f"{field.key}: posted {value.posted!r}, stored {row[field.key]!r}, "
                f"expected {value.expected!r}")


# ---------------------------------------------------------------- REST API

@st.composite
def api_query(draw: Any, view: Any) -> str:
    """A `q` for GET /api/v1/<form>/: Rison or JSON of well- and ill-formed parameters."""
    filters = view._filters.get_search_filters()
    scalar = st.one_of(hostile_text, st.integers(-(2**70), 2**70), st.booleans(), st.none(),
                       st.floats(allow_nan=False, allow_infinity=False))
    value = st.one_of(scalar, st.lists(scalar, max_size=3),
                      st.dictionaries(st.text(max_size=3), scalar, max_size=2))
    columns = [*filters, "id", "nosuch", "created_by", *HOSTILE[:8]]
    column = draw(st.sampled_from(columns))
    operators = [f.arg_name for f in filters.get(column, [])] + ["eq", "ct", "rel_o_m", "zz"]
    one = st.fixed_dictionaries({"col": st.just(column), "opr": st.sampled_from(operators),
                                 "value": value})
    q = draw(st.fixed_dictionaries({}, optional={
        "filters": st.one_of(st.lists(one, max_size=3), value),
        "page": st.one_of(st.integers(-2, 3), value), "page_size": st.one_of(
            st.integers(-1, 200), value),
        "order_column": st.one_of(st.sampled_from([*view.order_columns, "nosuch"]), value),
        "order_direction": st.one_of(st.sampled_from(["asc", "desc"]), value),
        "columns": st.one_of(st.lists(st.sampled_from(columns), max_size=3), value),
        "keys": st.one_of(st.lists(st.sampled_from(["none", "list_columns", "x"])), value),
        "unknown": value}))
    encode = draw(st.sampled_from(["rison", "json", "raw"]))
    if encode == "raw":
        return draw(hostile_text)
    try:
        return prison.dumps(q) if encode == "rison" else json.dumps(q)
    except Exception:  # noqa: BLE001 - prison cannot write every value; send JSON then
        return json.dumps(q)


@pytest.mark.parametrize(("pack", "form_key"), PACK_FORMS,
                         ids=[_id(p, f) for p, f in PACK_FORMS])
@FUZZ
@given(data=st.data())
def test_api_list_parameters_never_500(sites: dict, pack: str | None, form_key: str,
                                       data: st.DataObject) -> None:
    site: Site = sites[pack]
    url = f"/api/v1/{form_key}/"
    if not any(r.rule == url for r in site.app.url_map.iter_rules()):
        pytest.skip(f"no {url} route is registered")
    user = data.draw(st.sampled_from(USERS), label="user")
    q = data.draw(api_query(site.view(form_key)), label="q")
    response = call(site.app, "GET", url, user, query_string={"q": q})
    status, body = response.status_code, response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data(as_text=True)[:500]
    if not site.granted(user, form_key, "list"):
        assert status == 403, status
        return
    assert status in (200, 400), f"{status}: {body}"
    if status == 400:
        assert CJK.search(json.dumps(body, ensure_ascii=False)), body
        return
    limit = site.app.config["PORTAL_MAX_PAGE_SIZE"]
    assert len(body["result"]) <= limit
    try:
        asked = json.loads(q).get("page_size")
    except (ValueError, AttributeError):
        asked = None  # Rison, or not an object
    if isinstance(asked, int) and not isinstance(asked, bool):
        assert len(body["result"]) <= asked
