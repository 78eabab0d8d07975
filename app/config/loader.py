"""Read the config folder and the active industry pack, check structure, merge the overlay."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from glob import glob
from typing import Any

from app.config.errors import Problem
from app.config.keys import Checker, _type_name
from app.config.source import LDict, LList, load_yaml


@dataclass
class RawConfig:
    """Structurally sound YAML, merged: forms, categories and roles still as LDicts."""

    forms: list[LDict] = field(default_factory=list)
    categories: list[LDict] = field(default_factory=list)
    roles: list[LDict] = field(default_factory=list)
    calendar: LDict | None = None  # config/calendar.yaml, when present
    dashboards: list[LDict] = field(default_factory=list)
    alerts: list[LDict] = field(default_factory=list)
    webhooks: list[LDict] = field(default_factory=list)
    notifications: list[LDict] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)  # prints/<form>/<name>.html, base then pack
    pack_label: Any = None
    files: list[str] = field(default_factory=list)


def _yaml_files(folder: str) -> list[str]:
    return sorted(glob(os.path.join(folder, "*.yaml")) + glob(os.path.join(folder, "*.yml")))


class ConfigLoader:
    """Loads files one by one, collecting every problem instead of stopping at the first."""

    def __init__(self, config_dir: str, industry: str | None) -> None:
        self.config_dir = os.path.abspath(config_dir)
        self.industry = industry or None
        self.checker = Checker()
        self.raw = RawConfig()

    @property
    def problems(self) -> list[Problem]:
        return self.checker.problems

    def fail(self, code: str, file: str, message: str, hint: str = "") -> None:
        self.checker.problems.append(Problem(code, file, 1, 1, "", message, hint))

    def read(self, path: str, section: str, required: bool = True) -> LDict | None:
        """Parse a file and check it against `section`; None when unusable."""
        if not os.path.isfile(path):
            if required:
                self.fail("PORTAL-E004", path, "required file is missing",
                          f"create it; see the {section.replace('_', ' ')} keys in README.md")
            return None
        self.raw.files.append(path)
        with open(path, encoding="utf-8") as fh:
            try:
                text = fh.read()
            except UnicodeDecodeError as exc:
                self.fail("PORTAL-E001", path, f"file is not UTF-8 text ({exc.reason})",
                          "save the file as UTF-8")
                return None
        data, problems = load_yaml(text, path)
        self.checker.problems.extend(problems)
        if data is None and not problems:
            self.fail("PORTAL-E003", path, "file is empty", "a mapping of keys is expected")
            return None
        if data is None:
            return None
        if not isinstance(data, LDict):
            self.fail("PORTAL-E003", path, "the file must hold a mapping of keys, "
                      f"not {_type_name(data)}")
            return None
        return data if self.checker.check(data, section) else None

    def load(self) -> RawConfig:
        if not os.path.isdir(self.config_dir):
            self.fail("PORTAL-E004", self.config_dir, "config folder does not exist",
                      "set PORTAL_CONFIG_DIR to the folder holding forms/ and roles.yaml")
            return self.raw
        form_files = _yaml_files(os.path.join(self.config_dir, "forms"))
        if not form_files:
            self.fail("PORTAL-E004", os.path.join(self.config_dir, "forms"),
                      "no form files found", "add at least one forms/<key>.yaml")
        for path in form_files:
            form = self.read(path, "form")
            if form is not None:
                self.raw.forms.append(form)
        menu = self.read(os.path.join(self.config_dir, "menu.yaml"), "menu_file")
        if menu is not None:
            self.raw.categories.extend(menu["categories"])
        roles = self.read(os.path.join(self.config_dir, "roles.yaml"), "roles_file")
        if roles is not None:
            self.raw.roles.extend(roles["roles"])
        self.raw.calendar = self.read(os.path.join(self.config_dir, "calendar.yaml"),
                                      "calendar_file", required=False)
        for path in _yaml_files(os.path.join(self.config_dir, "dashboards")):
            board = self.read(path, "dashboard")
            if board is not None:
                self.raw.dashboards.append(board)
        self.read_alerts(self.config_dir)
        self.read_rules(self.config_dir, "webhooks", "webhook", self.raw.webhooks)
        self.read_rules(self.config_dir, "notifications", "notification",
                        self.raw.notifications)
        self.read_prints(self.config_dir)
        if self.industry:
            self.load_pack()
        return self.raw

    def load_pack(self) -> None:
        root = os.path.join(self.config_dir, "industries")
        folder = os.path.join(root, str(self.industry))
        if not os.path.isdir(folder) or os.sep in str(self.industry):
            packs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))
                           ) if os.path.isdir(root) else []
            self.fail("PORTAL-E050", folder, f"industry pack '{self.industry}' not found",
                      "available: " + (", ".join(packs) or "none") +
                      "; set PORTAL_INDUSTRY to one of them, or leave it empty")
            return
        pack = self.read(os.path.join(folder, "pack.yaml"), "pack")
        for path in _yaml_files(os.path.join(folder, "forms")):
            form = self.read(path, "form")
            if form is not None:
                self.raw.forms.append(form)
        for path in _yaml_files(os.path.join(folder, "dashboards")):
            board = self.read(path, "dashboard")
            if board is not None:
                self.merge_dashboard(board)
        self.read_alerts(folder)
        self.read_rules(folder, "webhooks", "webhook", self.raw.webhooks)
        self.read_rules(folder, "notifications", "notification", self.raw.notifications)
        self.read_prints(folder)
        if pack is None:
            return
        self.raw.pack_label = pack["label"]
        for cat in pack.get("categories", []):
            self.merge_by_key(self.raw.categories, cat)
        for form_key, override in (pack.get("forms") or {}).items():
            self.merge_form(pack["forms"], form_key, override)
        for role in pack.get("roles", []):
            self.merge_role(role)

    def merge_by_key(self, items: list[LDict], new: LDict) -> None:
        for i, old in enumerate(items):
            if old.get("key") == new.get("key"):
                items[i] = overlay(old, new)
                return
        items.append(new)

    def merge_form(self, forms_map: LDict, form_key: str, override: LDict) -> None:
        base = next((f for f in self.raw.forms if f.get("key") == form_key), None)
        if base is None:
            loc = forms_map.where(form_key)
            known = ", ".join(sorted(str(f.get("key")) for f in self.raw.forms))
            self.checker.problems.append(Problem(
                "PORTAL-E051", loc.file, loc.line, loc.column, f"forms.{form_key}",
                f"the pack overrides form '{form_key}', which no form file defines",
                f"known forms: {known}; to add a new form, put it in forms/ of the pack"))
            return
        merged = overlay(base, override, skip=("fields", "add_list_columns",
                                               "add_search_columns", "workflow"))
        if "workflow" in override:
            merged["workflow"] = self.merge_workflow(base, override)
        for key in ("list_columns", "search_columns"):
            self.append_columns(base, override, merged, key)
        fields = LList(base["fields"])
        fields.loc, fields.path, fields.item_locs = (base["fields"].loc, base["fields"].path,
                                                     list(base["fields"].item_locs))
        for i, fov in enumerate(override.get("fields", [])):
            target = next((j for j, f in enumerate(fields)
                           if isinstance(f, LDict) and f.get("key") == fov["key"]), None)
            if target is None:
                new = overlay(LDict(), fov, skip=("add_choices",))
                if "label" not in fov:
                    self.checker.add("PORTAL-E012", fov.loc, fov.path,
                                     f"new field '{fov['key']}' needs a label",
                                     "fields not in the base form are added and must be "
                                     "complete; check the key if you meant to override one")
                    continue
                if "add_choices" in fov:
                    new["choices"] = fov["add_choices"]
                    new.key_locs["choices"] = fov.key_locs["add_choices"]
                fields.append(new)
                fields.item_locs.append(override["fields"].where(i))
            else:
                new = overlay(fields[target], fov, skip=("add_choices",))
                if "add_choices" in fov:
                    extra = LList(list(new.get("choices", [])) + list(fov["add_choices"]))
                    extra.loc, extra.path = fov["add_choices"].loc, fov["add_choices"].path
                    extra.item_locs = (list(getattr(new.get("choices"), "item_locs", [])) +
                                       list(fov["add_choices"].item_locs))
                    new["choices"] = extra
                fields[target] = new
        merged["fields"] = fields
        self.raw.forms[self.raw.forms.index(base)] = merged

    def merge_workflow(self, base: LDict, override: LDict) -> LDict:
        """A pack's workflow changes: states and transitions added, or overlaid by key."""
        over = override["workflow"]
        if "workflow" not in base:
            self.checker.add("PORTAL-E041", override.where("workflow"), over.path,
                             "the base form has no workflow to change",
                             "declare the workflow in the form file")
            return _empty(over)
        merged = overlay(base["workflow"], over, skip=("states", "transitions"))
        for key in ("states", "transitions"):
            items = LList(base["workflow"][key])
            items.loc, items.path = base["workflow"][key].loc, base["workflow"][key].path
            items.item_locs = list(base["workflow"][key].item_locs)
            for i, item in enumerate(over.get(key) or []):
                at = next((j for j, old in enumerate(items) if old.get("key") == item["key"]),
                          None)
                if at is None:  # a new one must be complete
                    if not self.checker.check(item, key[:-1]):
                        continue
                    items.append(item)
                    items.item_locs.append(over[key].where(i))
                else:
                    items[at] = overlay(items[at], item)
            merged[key] = items
        return merged

    def append_columns(self, base: LDict, override: LDict, merged: LDict, key: str) -> None:
        """add_<key>: the base form's column list plus the pack's additions."""
        added = override.get(f"add_{key}")
        if added is None:
            return
        flag = "list" if key == "list_columns" else "searchable"
        if key in override:
            self.checker.add("PORTAL-E041", override.where(f"add_{key}"),
                             override.path + (f"add_{key}",),
                             f"'add_{key}' conflicts with '{key}' in the same override",
                             f"either replace the list ({key}) or extend it (add_{key})")
            return
        if key not in base:
            self.checker.add("PORTAL-E041", override.where(f"add_{key}"),
                             override.path + (f"add_{key}",),
                             f"the base form has no {key} to extend",
                             f"it marks fields with '{flag}: true'; mark the new fields the "
                             "same way")
            return
        combined = LList(list(base[key]) + list(added))
        combined.loc, combined.path = base[key].loc, base[key].path
        combined.item_locs = list(base[key].item_locs) + list(added.item_locs)
        combined.item_paths = (  # type: ignore[attr-defined]
            [base[key].path + (i,) for i in range(len(base[key]))] +
            [added.path + (j,) for j in range(len(added))])
        merged[key] = combined

    def read_alerts(self, folder: str) -> None:
        """Alert rules of alerts/: a pack's rule replaces a base rule of the same key."""
        self.read_rules(folder, "alerts", "alert", self.raw.alerts)

    def read_prints(self, folder: str) -> None:
        """Print templates (prints/<form>/<name>.html): a pack's replaces a base one of the
        same form and name; checked by app/config/lint/prints.py."""
        for path in sorted(glob(os.path.join(folder, "prints", "*", "*.html"))):
            tail = os.path.relpath(path, folder)
            self.raw.prints = [p for p in self.raw.prints
                               if not p.endswith(os.sep + tail)] + [path]

    def read_rules(self, folder: str, sub: str, section: str, into: list[LDict]) -> None:
        """Files of `sub`/ (alerts, webhooks, notifications): a pack's replaces a base one
        of the same key."""
        for path in _yaml_files(os.path.join(folder, sub)):
            rule = self.read(path, section)
            if rule is None:
                continue
            same = [i for i, r in enumerate(into) if r.get("key") == rule["key"]]
            if same and folder != self.config_dir:
                into[same[0]] = rule
            else:
                into.append(rule)

    def merge_dashboard(self, board: LDict) -> None:
        """A pack's dashboard: new, or (same key as a base one) its label and settings
        replaced and its widgets added, or replaced by key."""
        base = next((b for b in self.raw.dashboards if b.get("key") == board["key"]), None)
        if base is None:
            self.raw.dashboards.append(board)
            return
        merged = overlay(base, board, skip=("widgets",))
        widgets = LList(base["widgets"])
        widgets.loc, widgets.path = base["widgets"].loc, base["widgets"].path
        widgets.item_locs = list(base["widgets"].item_locs)
        for i, widget in enumerate(board["widgets"]):
            at = next((j for j, old in enumerate(widgets) if old.get("key") == widget["key"]),
                      None)
            if at is None:
                widgets.append(widget)
                widgets.item_locs.append(board["widgets"].where(i))
            else:
                widgets[at] = widget
                widgets.item_locs[at] = board["widgets"].where(i)
        merged["widgets"] = widgets
        self.raw.dashboards[self.raw.dashboards.index(base)] = merged

    def merge_role(self, role: LDict) -> None:
        base = next((r for r in self.raw.roles if r.get("key") == role["key"]), None)
        if base is None:
            self.raw.roles.append(role)
            return
        maps = ("grants", "scopes", "readonly")  # merged per form key
        merged = overlay(base, role, skip=maps + ("inherits",))
        for key in maps:
            if key in role or key in base:
                merged[key] = overlay(base.get(key) or _empty(base),
                                      role.get(key) or _empty(role))
        if "inherits" in role or "inherits" in base:
            merged["inherits"] = role.get("inherits", base.get("inherits"))
        self.raw.roles[self.raw.roles.index(base)] = merged


def _empty(like: LDict) -> LDict:
    out = LDict()
    out.loc, out.path, out.key_locs, out.value_locs = like.loc, like.path, {}, {}
    return out


def overlay(base: LDict, over: LDict, skip: tuple[str, ...] = ()) -> LDict:
    """A new LDict: base's keys, replaced by over's (except `skip`), each keeping its location."""
    out = LDict(base)
    out.loc, out.path = base.loc if base else over.loc, base.path if base else over.path
    out.key_locs, out.value_locs = dict(getattr(base, "key_locs", {})), dict(
        getattr(base, "value_locs", {}))
    out.key_paths = dict(getattr(base, "key_paths", {}))  # type: ignore[attr-defined]
    for key, value in over.items():
        if key in skip:
            continue
        out[key] = value
        out.key_locs[key] = over.key_locs[key]
        out.value_locs[key] = over.value_locs[key]
        out.key_paths[key] = over.path + (key,)  # type: ignore[attr-defined]
    return out


def keypath(data: LDict, key: str) -> tuple:
    """Where `key` of `data` was written, as a key path in its own file."""
    return getattr(data, "key_paths", {}).get(key, data.path + (key,))
