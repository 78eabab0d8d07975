"""The file and image fields' input: files picked (or, on a phone, photographed), each checked
before anything is stored — its size, its type sniffed from its bytes, how many the field
holds — and attached ones ticked for removal on edit. What passes is handed to the screen
(app/views/files.py), which stores it once the record is saved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms import MultipleFileField
from wtforms.validators import ValidationError

from app.fieldtypes.forms import lazy
from app.fieldtypes.sniff import DEFAULT_ACCEPT, NAMES, sniff, type_names
from app.spec import FieldSpec

REMOVE = "__remove"  # suffix of the checkboxes naming attached files to remove


@dataclass(frozen=True)
class Upload:
    """One file that passed the checks: its name as the user's device gave it, its bytes
    and the type read from them."""

    name: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Attached:
    """A file already attached to the record, as the edit form lists it."""

    id: int
    name: str
    size: int
    url: str


@dataclass
class Pending:
    """What a save does to one file field: files to store, attached ones to remove."""

    uploads: list[Upload]
    removed: list[int]


def accepted(field: FieldSpec) -> tuple[str, ...]:
    return field.accept or DEFAULT_ACCEPT[field.type]


def clean_name(name: str) -> str:
    """The file's own name, without a folder a browser may send and without line breaks (the
    column keeps the names one a line)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:200] or "file"


def size_text(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


class UploadWidget:
    """A file input (several files when the field holds several; `accept` hints the
    phone's camera for images) and, on edit, the attached files with 删除 boxes."""

    def __call__(self, field: UploadField, **kwargs: Any) -> Markup:
        spec = field.spec
        accept = "image/*" if spec.type == "image" else ",".join(accepted(spec))
        parts = []
        for item in field.attached():
            parts.append(Markup(
                '<div class="checkbox portal-attached"><a href="{url}" target="_blank" '
                'rel="noopener">{name}</a> <span class="text-muted">{size}</span> '
                '<label><input type="checkbox" name="{box}" value="{id}"> {remove}</label>'
                '</div>').format(url=item.url, name=item.name, size=size_text(item.size),
                                 box=field.name + REMOVE, id=item.id, remove=_("Remove")))
        parts.append(Markup(
            '<input type="file" class="form-control portal-upload" id="{id}" name="{name}" '
            'accept="{accept}"{multiple}>').format(
                id=field.id, name=field.name, accept=accept,
                multiple=Markup(" multiple") if spec.max_files > 1 else ""))
        limits = _("Up to %(count)d file(s), each at most %(size)d MB: %(types)s",
                   count=spec.max_files, size=spec.max_size_mb,
                   types=type_names(accepted(spec)))
        parts.append(Markup('<span class="help-block portal-upload-limits">{0}</span>').format(
            limits))
        return Markup("").join(parts)


class UploadField(MultipleFileField):
    widget = UploadWidget()

    def __init__(self, *args: Any, spec: FieldSpec,
                 existing: Callable[[], list[Attached]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.existing = existing
        self.removed: list[int] = []
        self.uploads: list[Upload] = []

    def attached(self) -> list[Attached]:
        return self.existing() if self.existing else []

    def process(self, formdata: Any, data: Any = None, **kwargs: Any) -> None:
        super().process(formdata, data, **kwargs)
        boxes = formdata.getlist(self.name + REMOVE) if formdata is not None else []
        self.removed = sorted({int(v) for v in boxes if str(v).isdigit()})

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [v for v in valuelist if isinstance(v, FileStorage) and v.filename]

    def pre_validate(self, form: Any) -> None:
        """Refuse the whole save, naming the file and the rule, before anything is stored."""
        spec = self.spec
        self.uploads = []
        kept = [a for a in self.attached() if a.id not in self.removed]
        if len(kept) + len(self.data or []) > spec.max_files:
            raise ValidationError(_("At most %(count)d file(s) may be attached here.",
                                    count=spec.max_files))
        limit = spec.max_size_mb << 20
        for item in self.data or []:
            name = clean_name(item.filename or "")
            data = item.stream.read(limit + 1)
            if len(data) > limit:
                raise ValidationError(_("“%(name)s” is larger than %(size)d MB.", name=name,
                                        size=spec.max_size_mb))
            if not data:
                raise ValidationError(_("“%(name)s” is empty.", name=name))
            found = sniff(data)
            if found not in accepted(spec):
                raise ValidationError(_(
                    "“%(name)s” is not an accepted file (its content is %(found)s); "
                    "accepted: %(types)s.", name=name,
                    found=_found(found),
                    types=type_names(accepted(spec))))
            self.uploads.append(Upload(name, data, found))
        if spec.required and not kept and not self.uploads:
            raise ValidationError(_("This field is required."))

    def populate_obj(self, obj: Any, name: str) -> None:
        """Nothing is written to the record here: the screen stores the files and sets the
        column to their names once it knows the record (app/views/files.py)."""
        pending = obj.__dict__.setdefault("portal_pending_files", {})
        pending[name] = Pending(list(self.uploads), list(self.removed))


def _found(content_type: str) -> str:
    if content_type == "text/html":
        return _("a web page")
    return NAMES.get(content_type) or _("an unknown format")


def upload_field(field: FieldSpec, ctx: Any, kind: Any) -> Any:
    existing = getattr(ctx, "existing", None)
    kw: dict[str, Any] = {"description": lazy(field.help)} if field.help else {}
    return UploadField(label=lazy(field.label), spec=field,
                       existing=existing(field) if existing else None, validators=[], **kw)


def names_out(field: FieldSpec, value: Any) -> Any:
    """The API's value of a file field: the files' names (their contents: the files API)."""
    return [n for n in str(value).splitlines() if n]


def files_in(field: FieldSpec, value: Any) -> list[str]:
    from app.fieldtypes.values import FieldError

    raise FieldError(_("Files are uploaded on the record's edit page."))


def file_names(field: FieldSpec) -> Callable[[Any], Any]:
    """An export's cell: the files' names joined by 、."""
    return lambda value: "、".join(n for n in str(value).splitlines() if n)


def file_count(field: FieldSpec) -> Callable[[Any], Any]:
    """A list's cell: how many files (the record page shows them: app/views/files.py)."""
    def show(value: Any) -> Any:
        count = len([n for n in str(value).splitlines() if n])
        icon = "fa-image" if field.type == "image" else "fa-paperclip"
        return Markup('<span class="portal-file-count"><i class="fa {0}"></i> {1}</span>'
                      ).format(icon, count) if count else ""
    return show
