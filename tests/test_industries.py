"""Industry packs: switching the setting changes forms, fields, choices and roles."""

from __future__ import annotations

from app.config.load import load_spec
from app.portal import portal_of
from tests.support.app import CONFIG, login


def test_switching_industry_changes_forms_and_fields_without_code() -> None:
    base = load_spec(str(CONFIG))
    cosmetics = load_spec(str(CONFIG), "cosmetics")
    education = load_spec(str(CONFIG), "education")
    keys = lambda spec: {f.key for f in spec.forms}  # noqa: E731
    assert keys(base) == {"customer", "complaint", "satisfaction_survey", "compensation"}
    assert keys(base) < keys(cosmetics) and "return_exchange" in keys(cosmetics)
    assert keys(base) < keys(education) and {"student", "course"} <= keys(education)
    assert "return_exchange" not in keys(education)

    def complaint_fields(spec):
        return {f.key: f for f in spec.form("complaint").fields}

    assert set(complaint_fields(base)) < set(complaint_fields(cosmetics))
    categories = {c.value for c in complaint_fields(education)["category"].choices}
    assert categories != {c.value for c in complaint_fields(base)["category"].choices}
    assert len({base.fingerprint, cosmetics.fingerprint, education.fingerprint}) == 3
    assert cosmetics.industry == "cosmetics" and base.industry is None


def test_each_pack_serves_its_own_forms(pack_apps) -> None:
    for pack, app in pack_apps.items():
        spec = portal_of(app).spec
        client = app.test_client()
        login(client, "admin")
        page = client.get("/").get_data(as_text=True)
        for form in spec.forms:
            assert form.label.zh in page, f"{pack}: {form.key} missing from the home page"
        if pack != "cosmetics":
            assert client.get("/returnexchangeview/list/").status_code == 404
