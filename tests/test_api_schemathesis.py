"""Schemathesis over the OpenAPI document (app/views/api/openapi/): every operation of every
form of one pack (cosmetics), called in-process with the bearer token of a role allowed
everything (admin) and of one denied most of it (warehouse: nothing on customers, complaints
and surveys, read-only on compensations), on a throwaway database. Every answer must be no
server error and conform to the document: status code, content type and body schema.

Reproducible (derandomized, no example database), and bounded: a few examples per operation
and generation mode, so the run takes a minute or two on two cores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.portal import portal_of
from tests.support.api import token
from tests.support.factories import make_record

pytestmark = pytest.mark.slow

PACK = "cosmetics"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 20  # per operation and generation mode
RECORDS = 4  # per form (and the records they refer to)
SOME = st.none() | st.integers(1, 12)  # half the cases: an id that exists
NEAR = st.fixed_dictionaries({"pk": SOME, "ref": SOME, "version": st.none() | st.integers(0, 3)})


@pytest.fixture(scope="module")
def pack_app(make_app: Callable[..., Flask]) -> Flask:
    """A fresh database of the pack with a few records of every form: the run adds, changes,
    deletes and moves records through their workflows."""
    app = make_app(industry=PACK)
    spec = portal_of(app).spec
    for form in spec.forms:
        for _ in range(RECORDS):
            make_record(app, form)
    return app


def _aim(case: Any, near: dict[str, int | None], references: dict[str, set[str]]) -> None:
    """Point some cases at what exists: a seeded record's id, a version a record has, ids of
    seeded records in reference fields (random integers are almost never any of these)."""
    if near["pk"] is not None and "pk" in (case.path_parameters or {}):
        case.path_parameters["pk"] = near["pk"]
    body = case.body if isinstance(case.body, dict) else {}
    if near["version"] is not None and "version" in body:
        body["version"] = near["version"]
    form = case.operation.path.split("/")[3] if case.operation.path.count("/") > 3 else ""
    for key in references.get(form, set()) & set(body):
        if near["ref"] is not None:
            body[key] = near["ref"]
        if isinstance(body.get("values"), dict) and key in body["values"]:
            body["values"][key] = near["ref"]


def _failures(schema: Any, headers: dict[str, str], mode: GenerationMode,
              answers: dict[str, Counter], references: dict[str, set[str]]) -> list[str]:
    """Each operation run on its own, so that one failure does not hide the others; the
    status codes answered are counted per operation in `answers`."""
    found: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), near=NEAR)
        def run(case: Any, near: dict[str, int | None]) -> None:
            _aim(case, near, references)
            response = case.call(headers=headers)
            answers[case.operation.label][response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup too
            found.append(f"{mode.value} {operation.label}:\n{exc}")
    return found


@pytest.mark.parametrize("user", ["admin", "warehouse"])
def test_every_answer_of_every_form_conforms_to_the_document(pack_app: Flask,
                                                             user: str) -> None:
    headers = {"Authorization": f"Bearer {token(pack_app, user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", pack_app, headers=headers)
    labels = {result.ok().label for result in schema.get_all_operations()}
    for form in portal_of(pack_app).spec.forms:
        assert f"GET /api/v1/{form.key}/" in labels
    references = {form.key: {f.key for f in form.fields if f.stores_id}
                  for form in portal_of(pack_app).spec.forms}
    failures: list[str] = []
    answers: dict[str, Counter] = defaultdict(Counter)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures += _failures(schema, headers, mode, answers, references)
    print(f"\n{user}: " + "\n".join(f"{label}: {dict(sorted(codes.items()))}"
                                     for label, codes in sorted(answers.items())))
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
