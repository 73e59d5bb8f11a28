from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "peyvand.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from peyvand.customers.search_index import on_post_migrate

        # Keeps the database's search index in place (schema upkeep, not business logic).
        post_migrate.connect(on_post_migrate, sender=self)
