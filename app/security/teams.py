"""Teams: groups of users that row scope `team` is measured against.

Teams are organisational data, not configuration: admins keep them in the Security menu
(or with `flask portal team`), and a user may belong to several.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, select
from sqlalchemy.orm import Session, relationship

team_member = Table(
    "portal_team_member", Model.metadata,
    Column("team_id", Integer, ForeignKey("portal_team.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class Team(Model):
    __tablename__ = "portal_team"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), unique=True, nullable=False)
    created_on = Column(DateTime, default=dt.datetime.now, nullable=False)
    members = relationship("User", secondary=team_member, lazy="selectin")

    def __str__(self) -> str:
        return str(self.name)


def teammate_ids(session: Session, user_id: int) -> list[int]:
    """Ids of every user sharing at least one team with the user (the user included)."""
    mine = select(team_member.c.team_id).where(team_member.c.user_id == user_id)
    rows = session.execute(select(team_member.c.user_id).distinct()
                           .where(team_member.c.team_id.in_(mine))).scalars().all()
    return sorted(set(rows) | {user_id})
