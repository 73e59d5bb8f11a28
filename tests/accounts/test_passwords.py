"""Passwords are stored with Argon2 (the suite swaps in a fast hasher elsewhere, so this checks the setting)."""

from django.conf import settings as django_settings

import peyvand.settings as project_settings


def test_it_hashes_passwords_with_argon2_by_default():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_it_stores_a_new_password_as_an_argon2_hash(db, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert make_password("a long enough passphrase").startswith("argon2$")
    assert django_settings.AUTH_PASSWORD_VALIDATORS
