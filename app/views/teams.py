"""Admin screen for teams (Security menu): who works together, for row scope `team`."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.security.teams import Team


class TeamView(ModelView):
    datamodel = SQLAInterface(Team)
    list_title = show_title = add_title = edit_title = _l("Teams")
    list_columns = ["name", "members"]
    show_columns = ["name", "members", "created_on"]
    add_columns = edit_columns = ["name", "members"]
    search_columns = ["name"]
    order_columns = ["name"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("Team"), "members": _l("Members"),
                     "created_on": _l("Created on")}
    description_columns = {"members": _l("Users who see each other's records where their "
                                         "role's scope is 'team'.")}
    # no file fields or bulk actions here either
    download = None
    action = None
    action_post = None


def register_team_view(appbuilder: Any) -> None:
    appbuilder.add_view(TeamView, "Teams", icon="fa-users", label=_l("Teams"),
                        category="Security")
