"""API shapes for customers, organisations and interactions; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, field_validator

# The largest values of the integer columns (PositiveIntegerField) and of the ids (BigAutoField); larger
# ones would be a database error (SQLite: OverflowError) rather than a 422.
MAX_INT = 2_147_483_647
MAX_ID = 2**63 - 1


def _refuse_nul(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("Text cannot contain a NUL character."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)
    return value


def _to_utc(value: datetime) -> datetime:
    """A moment sent with any offset pydantic accepts (up to ±23:59; PostgreSQL stops at ±15:59) or none (then
    the site's time zone, Asia/Tehran by default), as UTC; one too near the ends of time is refused."""
    try:
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        return aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(_("Not a valid date and time.")) from None


# Every date-and-time the API accepts, in a body or a query.
Moment = Annotated[datetime, AfterValidator(_to_utc)]


class Clean(Schema):
    """Input of any kind: PostgreSQL cannot store a NUL character, so it is refused here (422, not 500)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _refuse_nul(value)


class Strict(Clean):
    model_config = ConfigDict(extra="forbid")


class PhoneIn(Strict):
    number: str = Field(..., max_length=40, examples=["0912 123 4567"])
    kind: Literal["mobile", "work", "home", "fax", "other"] = "mobile"
    is_primary: bool = False


class EmailIn(Strict):
    email: str = Field(..., max_length=254)
    kind: Literal["work", "personal", "other"] = "work"
    is_primary: bool = False


class AddressIn(Strict):
    kind: Literal["home", "work", "billing", "shipping"] = "work"
    province: str = Field("", max_length=60)
    city: str = Field("", max_length=80)
    line: str = Field("", max_length=300)
    postal_code: str = Field("", max_length=20)
    is_primary: bool = False


class CustomerFields(Strict):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=200, description="organisation name")
    gender: Literal["", "female", "male"] | None = None
    birth_date: str | None = Field(None, description="Jalali (1370/05/12) or ISO (1991-08-03)")
    income_bracket: str | None = None
    national_id: str | None = Field(None, description="کد ملی (people) or شناسه ملی (organisations)")
    parent_id: int | None = None
    organization_id: int | None = None
    job_title: str | None = Field(None, max_length=120)
    lifecycle_stage: str | None = None
    source: str | None = None
    owner_id: int | None = None
    team_id: int | None = None
    preferred_channel: str | None = None
    settlement_habit: str | None = None
    tier: str | None = Field(None, description="gold, silver, bronze or empty: the service desk routes by it")
    notes: str | None = Field(None, max_length=20000)
    custom_fields: dict[str, Any] | None = None
    phones: list[PhoneIn] | None = Field(None, max_length=20)
    emails: list[EmailIn] | None = Field(None, max_length=20)
    addresses: list[AddressIn] | None = Field(None, max_length=20)
    tags: list[str] | None = Field(None, max_length=50)


class CustomerCreate(CustomerFields):
    kind: Literal["person", "organization"] = "person"


class CustomerPatch(CustomerFields):
    pass


class PhoneOut(Schema):
    number: str
    kind: str
    is_primary: bool


class EmailOut(Schema):
    email: str
    kind: str
    is_primary: bool


class AddressOut(Schema):
    kind: str
    province: str
    city: str
    line: str
    postal_code: str
    is_primary: bool


class ConsentOut(Schema):
    channel: str
    granted: bool
    recorded_at: datetime
    method: str
    note: str


class CustomerOut(Schema):
    id: int
    kind: str
    display_name: str
    first_name: str
    last_name: str
    name: str
    gender: str
    birth_date: date | None
    income_bracket: str
    national_id: str
    parent_id: int | None
    organization_id: int | None
    job_title: str
    lifecycle_stage: str
    source: str
    owner_id: int | None
    team_id: int | None
    preferred_channel: str
    settlement_habit: str
    tier: str
    notes: str
    custom_fields: dict[str, Any]
    phones: list[PhoneOut]
    emails: list[EmailOut]
    addresses: list[AddressOut]
    tags: list[str]
    consents: list[ConsentOut]
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [t.name for t in obj.tags.all()]


class CustomerBrief(Schema):
    id: int
    kind: str
    display_name: str
    lifecycle_stage: str
    owner_id: int | None
    team_id: int | None
    phones: list[PhoneOut]
    emails: list[EmailOut]


class CustomerPage(Schema):
    items: list[CustomerBrief]
    next_cursor: str | None


class RevisionOut(Schema):
    number: int
    action: str
    changes: dict[str, Any]
    restored_from: int | None
    by_id: int | None
    created_at: datetime


class ConsentIn(Strict):
    channel: Literal["sms", "email", "call"]
    granted: bool
    method: Literal["written", "verbal", "web_form", "import", "keyword", "other"]
    note: str = Field("", max_length=200)
    recorded_at: Moment | None = None


class InteractionIn(Strict):
    customer_id: int
    channel: Literal["call", "email", "sms", "meeting", "chat", "messenger", "web", "portal", "note", "system"]
    direction: Literal["in", "out", "internal"]
    subject: str = Field("", max_length=255)
    body: str = Field("", max_length=100000)
    occurred_at: Moment | None = None
    duration_seconds: int | None = Field(None, ge=0, le=MAX_INT)


class InteractionPatch(Strict):
    subject: str | None = Field(None, max_length=255)
    body: str | None = Field(None, max_length=100000)
    occurred_at: Moment | None = None
    duration_seconds: int | None = Field(None, ge=0, le=MAX_INT)


class InteractionOut(Schema):
    id: int
    customer_id: int
    channel: str
    direction: str
    subject: str
    body: str
    occurred_at: datetime
    duration_seconds: int | None
    by_id: int | None
    related_type: str | None
    related_id: str
    created_at: datetime

    @staticmethod
    def resolve_related_type(obj: Any) -> str | None:
        return f"{obj.related_type.app_label}.{obj.related_type.model}" if obj.related_type_id else None


class InteractionPage(Schema):
    items: list[InteractionOut]
    next_cursor: str | None


class TimelineItemOut(Schema):
    kind: Literal["interaction", "revision"]
    at: datetime
    interaction: InteractionOut | None = None
    revision: RevisionOut | None = None


class OrganizationNode(Schema):
    id: int
    display_name: str
    parent_id: int | None
    depth: int


# --- export -------------------------------------------------------------------------------------------------


class CustomerSelection(Clean):
    """The filters of every customer list (the list itself and its export)."""

    q: str | None = Field(None, max_length=200, description="name, phone, e-mail or national code")
    kind: Literal["person", "organization"] | None = None
    lifecycle_stage: str | None = None
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str | None = Field(None, max_length=60)
    city: str | None = Field(None, max_length=80)
    organization_id: int | None = Field(None, ge=1, le=MAX_ID)
    health: (
        Literal["missing_phone", "invalid_phone", "invalid_national_id", "no_consent", "inactive", "duplicates"] | None
    ) = Field(None, description="only customers with this data-health problem (see GET /customers/health)")
    inactive_months: int | None = Field(None, ge=1, le=999, description="months without activity for health=inactive")


class CustomerExport(CustomerSelection):
    format: Literal["xlsx", "csv"] = Field("xlsx", description="xlsx (Excel) or csv (UTF-8 with a BOM)")
    lang: Literal["fa", "en"] | None = Field(
        None, description="headers, labels and dates: fa (Jalali, sheet right to left) or en; default: the request's"
    )


class ExportJobIn(CustomerExport):
    """A background export: the list's filters, the format and the language of the file."""

    model_config = ConfigDict(extra="forbid")


class ExportJobOut(Schema):
    id: int
    status: Literal["pending", "running", "done", "failed"]
    format: Literal["xlsx", "csv"]
    filters: dict[str, Any]
    total_rows: int | None = Field(description="rows the file will hold; null while unknown (a search)")
    processed_rows: int
    progress: float = Field(description="0 to 1")
    message: str
    file_name: str
    file_url: str | None = Field(description="where to download the file once it is done, until `expires_at`")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
