"""Two OS processes, each with its own app on one database, fire transitions on the same
record at the same moment: exactly one succeeds, the other is told the record moved on
(409, "Not done: …"), and the history holds the winner's row only (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import multiprocessing
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask

from app.portal import portal_of
from tests.support.app import PASSWORD, user_id
from tests.support.workflow import Msg, engine_fire, ensure_user, events, record_in, snapshot

SETTINGS = ("SQLALCHEMY_DATABASE_URI", "PORTAL_CONFIG_DIR", "PORTAL_INDUSTRY", "SECRET_KEY",
            "PORTAL_REVISIONS_DIR", "TESTING", "SQLALCHEMY_ENGINE_OPTIONS", "SERVER_NAME",
            "PORTAL_LOGIN_RATE_LIMIT", "PORTAL_LOGIN_IP_RATE_LIMIT")
# A step: (scenario, how, record id, transition, username, comment). Process 0 runs plan[0],
# process 1 plan[1], step by step, each step started together at the barrier.
Step = tuple[str, str, int, str, str, str]


def _engine_step(app: Flask, step: Step, barrier: Any) -> tuple[int, str]:
    """Load the record, wait until the other process has loaded it too, then fire: both
    pass every in-memory check, so only the database's version guard can stop one."""
    from flask import g
    from flask_babel import force_locale

    from app.workflow.engine import Refused, actor_for, fire

    _scenario, _how, rid, key, username, comment = step
    form = portal_of(app).spec.form("compensation")
    model = portal_of(app).models.models["compensation"]
    with app.test_request_context(), force_locale("en"):
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username=username)
        g.user = user
        record = session.get(model, rid)
        version = record.version
        barrier.wait(timeout=60)
        try:
            return 200, fire(session, form, record, key,
                             actor_for(user, portal_of(app).spec),
                             version=version, comment=comment)
        except Refused as refused:
            return refused.status, refused.message
        finally:
            session.rollback()


def _http_step(client: Any, step: Step, version: int) -> tuple[int, str]:
    """POST the dialog as the browser would, with the version the page showed."""
    _scenario, _how, rid, key, _username, comment = step
    response = client.client.post(f"/compensationview/transition/{rid}/{key}", data={
        "csrf_token": client.token, "version": str(version), "comment": comment})
    with client.client.session_transaction() as session:
        flashes = [str(m) for _c, m in session.pop("_flashes", [])]
    if response.status_code == 302:
        return 302, " ".join(flashes)
    found = re.search(r'id="portal-transition-error">(.*?)</div>',
                      response.get_data(as_text=True), re.S)
    return response.status_code, html.unescape(found.group(1)).strip() if found else ""


def _worker(settings: dict[str, Any], plan: list[Step], versions: dict[int, int],
            barrier: Any, results: Any) -> None:
    """One app process: signs in where HTTP is needed, then runs its steps in lockstep."""
    from app import create_app
    from tests.support.workflow import RoleClient

    app = create_app(settings)
    clients = {s[4]: RoleClient(app, s[4], PASSWORD) for s in plan if s[1] == "http"}
    for step in plan:
        barrier.wait(timeout=60)
        if step[1] == "http":
            outcome = _http_step(clients[step[4]], step, versions[step[2]])
        else:
            outcome = _engine_step(app, step, barrier)
        results.put((step[0], step[4], *outcome))


def _race(app: Flask, plans: list[list[Step]]) -> dict[str, list[tuple[str, int, str]]]:
    """Run the plans in two spawned processes; (username, status, message) per scenario."""
    settings = {k: app.config[k] for k in SETTINGS if k in app.config}
    versions = {s[2]: snapshot(app, "compensation", s[2])["version"]
                for plan in plans for s in plan}
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(plans)), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(settings, plan, versions, barrier, results))
               for plan in plans]
    for proc in workers:
        proc.start()
    out: dict[str, list[tuple[str, int, str]]] = {}
    for _ in range(sum(len(p) for p in plans)):
        scenario, username, status, message = results.get(timeout=120)
        out.setdefault(scenario, []).append((username, status, message))
    for proc in workers:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in workers] == [0] * len(plans)
    return out


def _one_wins(outcomes: list[tuple[str, int, str]], ok: int,
              now: str | Callable[[str], str]) -> tuple[str, str]:
    """Exactly one success and one clear conflict naming the winner and the state `now`
    (or now(winner)); returns (winner, winner's message)."""
    assert sorted(o[1] for o in outcomes) == sorted([ok, 409]), outcomes
    (winner, _s, said), = [o for o in outcomes if o[1] == ok]
    (_loser, _s, told), = [o for o in outcomes if o[1] == 409]
    state = now(winner) if callable(now) else now
    assert re.fullmatch(rf"Not done: {winner} changed this record at \d{{4}}-\d\d-\d\d "
                        rf"\d\d:\d\d:\d\d, after you opened it \(it is now {state}\)\. "
                        "Open it again to see what you may do.", told), told
    return winner, said


def test_two_processes_firing_at_once_one_wins(make_app: Callable[..., Flask]) -> None:
    started = time.monotonic()
    app = make_app()
    msg = Msg(app, "compensation")
    for name, role in (("wf_sup2", "supervisor"), ("wf_mgr2", "manager"),
                       ("wf_mgr3", "manager")):
        ensure_user(app, name, role, PASSWORD)
    staff = user_id(app, "staff")

    def comp(state: str, amount: str) -> int:
        return record_in(app, "compensation", state, amount=Decimal(amount),
                         proposed_by=staff)

    approve, http_approve = comp("submitted", "300"), comp("submitted", "300")
    submit_cancel, first = comp("draft", "300"), comp("manager_review", "6000")
    final = comp("manager_review", "6000")
    engine_fire(app, "compensation", final, "joint_approve", "wf_mgr3")  # 1 of 2 given
    plans: list[list[Step]] = [
        [("approve", "engine", approve, "approve", "supervisor", ""),
         ("submit_cancel", "engine", submit_cancel, "submit", "staff", ""),
         ("final", "engine", final, "joint_approve", "manager", ""),
         ("first", "engine", first, "joint_approve", "manager", ""),
         ("http", "http", http_approve, "approve", "supervisor", "")],
        [("approve", "engine", approve, "approve", "wf_sup2", ""),
         ("submit_cancel", "engine", submit_cancel, "cancel", "supervisor", "客户放弃"),
         ("final", "engine", final, "joint_approve", "wf_mgr2", ""),
         ("first", "engine", first, "joint_approve", "wf_mgr2", ""),
         ("http", "http", http_approve, "approve", "wf_sup2", "")]]
    out = _race(app, plans)

    # Two supervisors approve at once: one approval, one transition row.
    winner, said = _one_wins(out["approve"], 200, "Approved")
    assert said == msg.done("approve")
    assert snapshot(app, "compensation", approve)["state"] == "approved"
    assert events(app, "compensation", approve) == [
        ("transition", "approve", "submitted", "approved", winner, None)]

    # Submit against cancel: whichever won, the state and the single row agree.
    winner, said = _one_wins(out["submit_cancel"], 200, lambda w: "Awaiting supervisor"
                             if w == "staff" else "Cancelled")
    key = "submit" if winner == "staff" else "cancel"
    target = "submitted" if key == "submit" else "cancelled"
    assert said == msg.done(key)
    assert snapshot(app, "compensation", submit_cancel)["state"] == target
    assert [e[:4] for e in events(app, "compensation", submit_cancel)] == [
        ("transition", key, "draft", target)]

    # The last of two approvals given by two managers at once: one completes it.
    winner, said = _one_wins(out["final"], 200, "Approved")
    assert said == msg.done("joint_approve")
    assert snapshot(app, "compensation", final)["state"] == "approved"
    assert [e[0] + ":" + str(e[4]) for e in events(app, "compensation", final)] == [
        "approval:wf_mgr3", f"transition:{winner}"]

    # The first of two approvals at once: one counts, the other must look again (it would
    # then complete the approval) — never two silent "1 of 2".
    winner, said = _one_wins(out["first"], 200, "Awaiting manager")
    assert said == msg.approved("joint_approve", 1, 2)
    assert snapshot(app, "compensation", first)["state"] == "manager_review"
    assert [e[0] + ":" + str(e[4]) for e in events(app, "compensation", first)] == [
        f"approval:{winner}"]

    # Through the screens: the same version posted by two supervisors' browsers.
    winner, said = _one_wins(out["http"], 302, "Approved")
    assert said == msg.done("approve")
    assert [e[:5] for e in events(app, "compensation", http_approve)] == [
        ("transition", "approve", "submitted", "approved", winner)]
    print(f"workflow races: {time.monotonic() - started:.1f}s")
