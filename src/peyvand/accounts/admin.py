from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from peyvand.accounts.models import ApiToken, Team, User


@admin.register(User)
class PeyvandUserAdmin(UserAdmin[User]):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Peyvand", {"fields": ("role", "team", "phone", "extension")}))
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "parent", "path")
    readonly_fields = ("path",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("prefix", "user", "name", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at")
