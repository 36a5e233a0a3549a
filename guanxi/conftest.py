"""Fixtures shared by every test module."""

import pytest
from django.test import Client
from django.utils import translation

from guanxi.core.tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def user(db):
    return UserFactory(username="rep")


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def english_by_default():
    """Start every test in English: a request or test that switched language must not leak."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: cached rules must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
