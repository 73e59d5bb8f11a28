"""Which customers an export holds: the list page's own filters, so a file never differs from the list."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from peyvand.customers.page_queries import ListFilters
from peyvand.customers.schemas import MAX_ID


@dataclass(frozen=True)
class ExportFilters:
    """The filters every customer list offers (the page, the API and the CLI alike). What each one means
    is the list page's `ListFilters.where()`; `organization` is the API's and the CLI's extra filter."""

    q: str = ""
    kind: str = ""
    stage: str = ""
    owner: int | None = None
    team: int | None = None
    tag: str = ""
    city: str = ""
    organization: int | None = None
    health: str = ""  # a data-health problem, as on the health page's links to the list
    months: int | None = None  # with health=inactive

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ExportFilters:
        """The list page's filters from its query string, parsed by the list page itself."""
        return cls.from_list(ListFilters.from_query(params))

    @classmethod
    def from_list(cls, listed: ListFilters) -> ExportFilters:
        return cls(
            q=listed.q,
            kind=listed.kind,
            stage=listed.stage,
            owner=_id_or_none(listed.owner),
            team=_id_or_none(listed.team),
            tag=listed.tag,
            city=listed.city,
            health=listed.health,
            months=listed.months,
        )

    def as_list(self) -> ListFilters:
        return ListFilters(
            q=self.q,
            kind=self.kind,
            stage=self.stage,
            team=self.team,
            owner=self.owner,
            tag=self.tag,
            city=self.city,
            health=self.health,
            months=self.months,
        )

    def where(self) -> Q:
        """The condition on customers, search text aside (that orders as well as filters)."""
        where = self.as_list().where()
        if self.organization:
            where &= Q(organization_id=self.organization)
        return where

    def as_json(self) -> dict[str, Any]:
        """Only the filters that are set, as kept on an export job."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in ("", None)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportFilters:
        """Back from `as_json`; a key a later version dropped is ignored rather than failing an old job."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _id_or_none(value: int | None) -> int | None:
    return value if value and 0 < value <= MAX_ID else None
