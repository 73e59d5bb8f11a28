"""Page forms of the knowledge base: they collect what was typed; the kb services check it and report back per
field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peyvand.core.forms import bootstrap_styled
from peyvand.sales.forms import ServiceErrorsForm
from peyvand.service.kb_services import MAX_BODY
from peyvand.service.models import KbArticle, KbAudience, KbCategory, TicketCategory

# Services name the links by what the API takes; the form by what the page shows.
_FIELD_NAMES = {"section_id": "section", "ticket_category_ids": "ticket_categories"}


class ArticleForm(ServiceErrorsForm):
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(
        label=_("text"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Light Markdown: # heading, - list item, 1. numbered item, **bold**, [text](https://…). "
            "Leave a blank line between paragraphs."
        ),
    )
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    audience = forms.ChoiceField(label=_("audience"), choices=KbAudience.choices)
    section = forms.ChoiceField(label=_("section"), required=False)
    tags = forms.CharField(
        label=_("keywords"), max_length=255, required=False, help_text=_("Other words people search for it by.")
    )
    ticket_categories = forms.MultipleChoiceField(
        label=_("ticket categories it answers"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("A ticket form of these categories suggests the article first."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, article: KbArticle | None = None, **kwargs: Any) -> None:
        if article is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": article.title,
                "body": article.body,
                "language": article.language,
                "audience": article.audience,
                "section": article.section_id or "",
                "tags": article.tags,
                "ticket_categories": [str(pk) for pk in article.ticket_categories.values_list("pk", flat=True)],
                "version": article.version,
            }
        super().__init__(*args, **kwargs)
        section = self.fields["section"]
        assert isinstance(section, forms.ChoiceField)
        section.choices = [("", "—"), *((str(s.pk), str(s)) for s in KbCategory.objects.order_by("position", "id"))]
        categories = self.fields["ticket_categories"]
        assert isinstance(categories, forms.MultipleChoiceField)
        categories.choices = [
            (str(c.pk), "— " * c.depth + c.label)
            for c in TicketCategory.objects.filter(is_active=True).order_by("path")
        ]
        bootstrap_styled(self)

    def add_service_errors(self, error: Any) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = _FIELD_NAMES.get(key, key)
            self.add_error(name if name in self.fields else None, texts)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "language": data["language"],
            "audience": data["audience"],
            "section_id": int(data["section"]) if data.get("section") else None,
            "tags": data.get("tags") or "",
            "ticket_category_ids": [int(pk) for pk in data.get("ticket_categories") or []],
        }


class SectionForm(ServiceErrorsForm):
    name = forms.CharField(label=_("name"), max_length=120)
    name_en = forms.CharField(label=_("name in English"), max_length=120, required=False)
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=10000, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)
