"""Locust users doing a service desk's mixed work (run by benchmarks/load_test.py).

Clerks (staff, own records) search, list, open, create complaints and move their own
complaints along the workflow; leads (supervisors, team scope) list, export and look up.
Clerks and leads also edit the team's shared complaints at the same time, sending the
version they read: each save must succeed or get 409 (the conflict answer).

Everything a user did that the database must show afterwards is counted here and written to
LOAD_RESULT (JSON) when the test stops: creates and transitions per user, each successful
shared edit with the version it was based on, every response's status per request type, and
(for the fault run) a timeline of (second, name, status)."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
RESULT = os.environ["LOAD_RESULT"]
MARK = os.environ.get("LOAD_MARK", "LT")  # product name prefix of this run's creates
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The happy path through config/forms/complaint.yaml, with each step's required values.
PATH = {"registered": ("accept", {}),
        "accepted": ("investigate", {"category": "quality"}),
        "investigating": ("answer", {"resolution": "已更换新品，客户收到。"}),
        "awaiting_confirmation": ("confirm", {}),
        "resolved": ("follow_up", {"satisfied": True})}
OPTIONAL = ("quick search", "customer lookup")  # endpoints being built on main: 404 allowed

# Each simulated user signs in as a user of its role of its own (cycling if there are more).
_names = {role: itertools.cycle([n for n, u in PLAN["users"].items() if u["role"] == role])
          for role in ("staff", "supervisor")}
THINK = [float(x) for x in os.environ.get("LOAD_THINK", "2-8").split("-")]
T0 = time.time()
tally: dict[str, Any] = {"creates": Counter(), "transitions": Counter(),
                         "edits": defaultdict(list), "conflicts": Counter(),
                         "statuses": defaultdict(Counter), "absent": Counter(),
                         "timeline": [], "logins": Counter(), "failures": Counter()}
absent: set[str] = set()
PROBES = {"quick search": "/search/?q=1", "customer lookup": "/lookup/complaint/customer?q=1"}


@events.test_start.add_listener
def _probe(environment: Any, **_kw: Any) -> None:
    """Which endpoints being built on main exist: signed out, an existing one redirects to
    the sign-in page or refuses (401/403); an absent one is 404."""
    import urllib.error
    import urllib.request

    for name, url in PROBES.items():
        try:
            urllib.request.urlopen(environment.host + url, timeout=10)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                absent.add(name)
        except OSError:
            pass


@events.request.add_listener
def _count(name: str, response: Any, exception: Any, **_kw: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    key = str(status) if status else type(exception).__name__ if exception else "0"
    tally["statuses"][name][key] += 1
    if exception:
        tally["failures"][name] += 1
    tally["timeline"].append((round(time.time() - T0, 2), name, key))


@events.test_stop.add_listener
def _write(**_kw: Any) -> None:
    out = {k: (dict(v) if isinstance(v, Counter | defaultdict) else v)
           for k, v in tally.items()}
    out["statuses"] = {k: dict(v) for k, v in tally["statuses"].items()}
    out["t0"] = T0
    with open(RESULT, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)


_started = {"users": 0, "reset": False}


def _settled(environment: Any) -> None:
    """Statistics start once every user has tried to sign in: the ramp's sign-ins (a
    password hash each, 50 within seconds) are the morning's, not the day's work. Locust's
    own --reset-stats fired when the last user was spawned, with sign-ins still queued."""
    _started["users"] += 1
    runner = environment.runner
    if _started["reset"] or runner is None or _started["users"] < runner.target_user_count:
        return
    _started["reset"] = True
    runner.stats.reset_all()
    tally["window_start"] = round(time.time() - T0, 2)


class Desk(HttpUser):
    abstract = True  # not a user class itself: Clerk and Lead are
    wait_time = between(THINK[0], THINK[-1])  # seconds between a clerk's clicks
    role = "staff"

    def on_start(self) -> None:
        self.username = next(_names[self.role])
        self.me = PLAN["users"][self.username]
        self.mine: list[int] = list(self.me["own"])
        self.shared = [s["id"] for s in PLAN["shared"] if self.username in s["editors"]]
        self.created = 0
        signed_in = self._sign_in()
        _settled(self.environment)
        if not signed_in:
            raise StopUser()  # counted as a failed sign-in; the user does nothing else

    def _sign_in(self) -> bool:
        page = self.client.get("/login/", name="sign-in page")
        match = CSRF.search(page.text)
        if not match:
            return False
        with self.client.post("/login/", name="sign in", allow_redirects=False,
                              catch_response=True, data={
                                  "username": self.username, "password": PLAN["password"],
                                  "csrf_token": match.group(1)}) as r:
            if r.status_code != 302:
                r.failure(f"sign-in of {self.username}: {r.status_code}")
                return False
        with self.client.post("/api/v1/security/login", name="api sign in", json={
                "username": self.username, "password": PLAN["password"], "provider": "db",
                "refresh": False}, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"api sign-in: {r.status_code}")
                return False
            self.api = {"Authorization": f"Bearer {r.json()['access_token']}",
                        "Accept-Language": "en"}
        tally["logins"][self.username] += 1
        return True

    def _optional(self, name: str, url: str) -> None:
        """An endpoint being built elsewhere: a 404 is counted apart, not as an error."""
        shown = f"{name} [absent: 404]" if name in absent else name
        with self.client.get(url, name=shown, catch_response=True) as r:
            if r.status_code == 404:
                absent.add(name)
                tally["absent"][name] += 1
                r.success()

    # -- reading ---------------------------------------------------------------------------
    @task(6)
    def list_complaints(self) -> None:
        page = random.randint(0, 3)
        self.client.get(f"/complaintview/list/?page_ComplaintView={page}", name="list")

    @task(3)
    def search(self) -> None:
        customer = random.choice(PLAN["customers"])
        self.client.get(f"/customerview/list/?_flt_0_name={customer[:6]}",
                        name="search (list filter)")
        self._optional("quick search", f"/search/?q={customer}")  # a customer by name

    @task(2)
    def lookup(self) -> None:
        # the customer select as one types a name's first characters (20 matches a page)
        self._optional("customer lookup",
                       f"/lookup/complaint/customer?q={random.choice(PLAN['customers'])[:5]}")

    @task(6)
    def open_record(self) -> None:
        if self.mine:
            self.client.get(f"/complaintview/show/{random.choice(self.mine)}", name="record")

    # -- writing ---------------------------------------------------------------------------
    @task(2)
    def create(self) -> None:
        self.created += 1
        body = {"customer": random.randint(1, 2000), "channel": "phone",
                "product_name": f"{MARK}-{self.username}-{self.created}",
                "occurred_at": "2026-03-02 10:30:00",
                "description": "负载测试：产品有异味，客户要求退货。", "priority": "normal",
                "handler": PLAN["ids"][self.username]}
        with self.client.post("/api/v1/complaint/", name="create", json=body, headers=self.api,
                              catch_response=True) as r:
            if r.status_code == 201:
                tally["creates"][self.username] += 1
                self.mine.append(r.json()["id"])
            else:
                r.failure(f"create: {r.status_code} {r.text[:200]}")

    @task(4)
    def transition(self) -> None:
        if not self.mine:
            return
        pk = random.choice(self.mine[-30:])
        with self.client.get(f"/api/v1/complaint/{pk}/transitions", name="transitions",
                             headers=self.api, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"transitions: {r.status_code}")
                return
            offer = r.json()
        step = PATH.get(offer["state"])
        if step is None or step[0] not in {o["key"] for o in offer["result"]}:
            self.mine.remove(pk)  # closed: nothing more to do on it
            return
        key, values = step
        with self.client.post(f"/api/v1/complaint/{pk}/transition/{key}", name="transition",
                              json={"version": offer["version"], "values": values},
                              headers=self.api, catch_response=True) as r:
            if r.status_code == 200:
                tally["transitions"][self.username] += 1
            else:
                r.failure(f"transition {key}: {r.status_code} {r.text[:200]}")

    @task(3)
    def edit_shared(self) -> None:
        """Read a shared complaint, think, save with the version read: 200 or 409."""
        if not self.shared:
            return
        pk = random.choice(self.shared)
        r = self.client.get(f"/api/v1/complaint/{pk}/transitions", name="shared: read",
                            headers=self.api)
        if r.status_code != 200:
            return
        version = r.json()["version"]
        time.sleep(random.uniform(0.05, 0.3))
        note = f"{self.username} edit {time.time():.6f}"
        with self.client.put(f"/api/v1/complaint/{pk}", name="shared: save", headers=self.api,
                             json={"version": version, "expectation": note},
                             catch_response=True) as s:
            if s.status_code == 200:
                tally["edits"][str(pk)].append([version, note, self.username])
            elif s.status_code == 409 and s.json().get("message"):
                tally["conflicts"][str(pk)] += 1
                s.success()  # the clear conflict answer: expected, not an error
            else:
                s.failure(f"shared save: {s.status_code} {s.text[:200]}")


class Clerk(Desk):
    weight = 4
    role = "staff"


class Lead(Desk):
    weight = 1
    role = "supervisor"

    @task(2)
    def export(self) -> None:
        self.client.get("/complaintview/export/?_flt_0_priority=urgent", name="export")
