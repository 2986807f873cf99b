"""Team accounts: create annotator accounts and give them a role in a project.

A lead brings people in with ``add_user``: it creates the account when it does not exist (a random
password that doccano's login form accepts, stored in a 0600 file per account, never printed unless
the caller asks for it) and makes the account a member of a project with one of doccano's roles.
Run again, it changes nothing, or only the role. Creating accounts needs a staff account on the
server (the embedded server's admin is one); adding an existing account to a project needs a
project admin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import regex

from annotator.doccano.connection import Doccano
from annotator.doccano.local.credentials import (
    Credentials,
    generate_password,
    read_credentials,
    write_private_file,
)
from annotator.errors import DoccanoError, UsageError
from annotator.paths import account_file, annotator_home

#: doccano's project roles, in the order a team usually has them
ROLES = ("annotator", "annotation_approver", "project_admin")
#: what Django accepts as a user name (letters, digits and @ . + - _, at most 150 characters)
USERNAME = regex.compile(r"^[\w.@+\-]{1,150}$")


@dataclass(frozen=True)
class AccountChange:
    """What ``add_user`` did: the account, and its membership in the project if one was named."""

    username: str
    created: bool
    password_file: Path | None  # where the new password is, or the file of an earlier creation
    project: str | None = None
    role: str | None = None
    previous_role: str | None = None  # the role the member had before, when it changed
    joined: bool = False  # became a member of the project just now


@dataclass(frozen=True)
class UserInfo:
    username: str
    is_superuser: bool
    is_staff: bool


@dataclass(frozen=True)
class MemberInfo:
    username: str
    role: str


def check_username(username: str) -> None:
    """Refuse a name that doccano (Django) would refuse, before any request is made."""
    if not USERNAME.match(username):
        raise UsageError(
            f"{username!r} is not a valid doccano user name",
            hint="use at most 150 letters, digits and @ . + - _ (no spaces)",
        )


def check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(f"no role {role!r}", hint=f"choose one of: {', '.join(ROLES)}")


def add_user(
    doccano: Doccano, username: str, *, project: str | None = None, role: str = "annotator"
) -> tuple[AccountChange, str | None]:
    """Create ``username`` if missing, then make it a member of ``project`` with ``role``.

    Returns what changed and, when the account was created now, its password (the caller decides
    whether to show it; it is also in the 0600 file named in the result).
    """
    check_username(username)
    check_role(role)
    info = doccano.project(project) if project is not None else None  # a wrong name fails first
    existing = {user["username"]: user for user in doccano.users()}
    password: str | None = None
    stored = account_file(doccano.url, username)
    if username in existing:
        user_id = int(existing[username]["id"])
        created = False
    else:
        password = generate_password()
        # stored before the account exists: a crash in between leaves a file, never a lost password
        make_private_dirs(stored.parent)
        write_private_file(stored, _account_json(Credentials(doccano.url, username, password)))
        user_id = doccano.create_user(username, password)
        created = True
    change = AccountChange(username, created, stored if stored.exists() else None)
    if info is None:
        return change, password
    role_ids = doccano.roles()
    if role not in role_ids:
        raise DoccanoError(f"doccano at {doccano.url} has no role {role!r}", hint="is this doccano 1.8?")
    member = next((m for m in doccano.members(info.id) if int(m["user"]) == user_id), None)
    if member is None:
        doccano.add_member(info.id, user_id, role_ids[role])
        return _with_role(change, project, role, joined=True), password
    if member["rolename"] != role:
        doccano.change_member_role(info.id, int(member["id"]), user_id, role_ids[role])
        return _with_role(change, project, role, previous=str(member["rolename"])), password
    return _with_role(change, project, role), password


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and its parents up to ``ANNOTATOR_HOME/accounts`` readable by the owner only."""
    accounts = annotator_home() / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    for path in (folder, *folder.parents):
        if not path.is_relative_to(accounts):
            break
        path.chmod(0o700)


def _with_role(
    change: AccountChange,
    project: str | None,
    role: str,
    *,
    joined: bool = False,
    previous: str | None = None,
) -> AccountChange:
    return AccountChange(
        change.username, change.created, change.password_file, project, role, previous, joined
    )


def _account_json(credentials: Credentials) -> str:
    data = {"url": credentials.url, "username": credentials.username, "password": credentials.password}
    return json.dumps(data, indent=2) + "\n"


def read_account(url: str, username: str) -> Credentials:
    """The credentials of an account this tool created on the server at ``url`` (0600 file)."""
    return read_credentials(account_file(url, username))


def list_users(doccano: Doccano) -> list[UserInfo]:
    """Every account on the server, by name."""
    users = [
        UserInfo(str(u["username"]), bool(u["is_superuser"]), bool(u["is_staff"])) for u in doccano.users()
    ]
    return sorted(users, key=lambda user: user.username)


def list_members(doccano: Doccano, project: str) -> list[MemberInfo]:
    """The members of a project and their roles, by name."""
    info = doccano.project(project)
    members = [MemberInfo(str(m["username"]), str(m["rolename"])) for m in doccano.members(info.id)]
    return sorted(members, key=lambda member: member.username)
