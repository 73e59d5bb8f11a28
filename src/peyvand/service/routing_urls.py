"""Page URLs of the service desk's routing pages (included by service/urls.py)."""

from django.urls import URLPattern, path

from peyvand.service import routing_views

urlpatterns: list[URLPattern] = [
    path("routing/", routing_views.routing_rules, name="routing_rules"),
    path("routing/new/", routing_views.routing_rule_create, name="routing_rule_create"),
    path("routing/order/", routing_views.routing_rules_order, name="routing_rules_order"),
    path("routing/<int:pk>/edit/", routing_views.routing_rule_edit, name="routing_rule_edit"),
    path("routing/<int:pk>/delete/", routing_views.routing_rule_delete, name="routing_rule_delete"),
    path("routing/<int:pk>/move/", routing_views.routing_rule_move, name="routing_rule_move"),
]
