"""Mailbox settings and unmatched emails, on the screens and through /api/v1."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from guanxi.activities import inbound
from guanxi.activities.mail_parser import parse_mail
from guanxi.activities.models import Mailbox, Message
from guanxi.activities.tests.test_inbound_mail import gbk_mail
from guanxi.api.auth import token_create
from guanxi.core import secretbox
from guanxi.core.tests.factories import TeamFactory, UserFactory, grant
from guanxi.customers.models import Contact
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "我的邮箱",
    "email": "rep@guanxi.test",
    "host": "imap.exmail.qq.com",
    "port": "993",
    "security": "ssl",
    "username": "rep@guanxi.test",
    "password": "授权码-s3cret",
    "folder": "INBOX",
    "is_active": "on",
}


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def post_json(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def test_password_is_sealed_authenticated_and_bound_to_the_secret_key(settings):
    token = secretbox.seal("授权码-s3cret")
    assert "s3cret" not in token
    assert secretbox.unseal(token) == "授权码-s3cret"
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.unseal(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    settings.SECRET_KEY = "another-secret-key-another-secret-key-0123456789"
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.unseal(token)


def test_a_user_adds_their_own_mailbox_and_never_sees_the_password_again(user, client_for):
    client = client_for(user)
    response = client.post("/mailboxes/new/", FORM)
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.owner, mailbox.name, mailbox.port, mailbox.security) == (
        user,
        "我的邮箱",
        993,
        "ssl",
    )
    assert "s3cret" not in mailbox.password_sealed
    assert mailbox.get_password() == "授权码-s3cret"

    page = client.get(f"/mailboxes/{mailbox.pk}/")
    assert page.status_code == 200
    assert "s3cret" not in page.content.decode()
    # Saving without a password keeps the stored one.
    client.post(f"/mailboxes/{mailbox.pk}/", {**FORM, "password": "", "name": "工作邮箱"})
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.get_password()) == ("工作邮箱", "授权码-s3cret")
    listing = client.get("/mailboxes/").content.decode()
    assert "工作邮箱" in listing
    assert "imap.exmail.qq.com:993" in listing


def test_a_new_mailbox_needs_a_password_and_a_valid_port(user, client_for):
    response = client_for(user).post("/mailboxes/new/", {**FORM, "password": "", "port": "0"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "password": ["Enter the mailbox's password."],
        "port": ["Enter a port from 1 to 65535."],
    }
    assert Mailbox.objects.count() == 0


def test_only_administrators_manage_shared_mailboxes(user, client_for, admin_client):
    assert client_for(user).get("/mailboxes/new/?shared=1").status_code == 403
    team = TeamFactory(name="华东销售组")
    response = admin_client.post(
        "/mailboxes/new/?shared=1", {**FORM, "name": "销售部", "teams": [team.pk]}
    )
    assert response.status_code == 302
    shared = Mailbox.objects.get()
    assert (shared.owner, list(shared.teams.all())) == (None, [team])
    # A user of the team reads its emails but may not change it.
    member = UserFactory(username="member")
    team.members.add(member)
    assert list(Mailbox.objects.readable_by(member)) == [shared]
    assert list(Mailbox.objects.readable_by(user)) == []
    assert client_for(member).get(f"/mailboxes/{shared.pk}/").status_code == 404
    assert client_for(member).post(f"/mailboxes/{shared.pk}/delete/").status_code == 404
    assert Mailbox.objects.count() == 1


def test_someone_elses_mailbox_is_not_found(user, client_for):
    other = Mailbox.objects.create(
        name="x", host="h", username="u", password_sealed=secretbox.seal("p"), owner=UserFactory()
    )
    client = client_for(user)
    assert client.get(f"/mailboxes/{other.pk}/").status_code == 404
    assert client.post(f"/mailboxes/{other.pk}/test/").status_code == 404
    assert client.post(f"/mailboxes/{other.pk}/fetch/").status_code == 404


def test_test_connection_and_last_error_on_the_screen(imap_server, mailbox_on, user, client_for):
    client = client_for(user)
    good = mailbox_on(imap_server, "wang", owner=user)
    response = client.post(f"/mailboxes/{good.pk}/test/", HTTP_HX_REQUEST="true")
    assert "Connected: logged in and opened INBOX." in response.content.decode()

    good.set_password("wrong")
    good.last_error = "login refused: [AUTHENTICATIONFAILED] Authentication failed."
    good.save()
    response = client.post(f"/mailboxes/{good.pk}/test/", HTTP_HX_REQUEST="true")
    assert "Connection failed: login refused" in response.content.decode()
    listing = client.get("/mailboxes/").content.decode()
    assert "login refused: [AUTHENTICATIONFAILED] Authentication failed." in listing


def _unmatched(mailbox, **mail):
    return inbound.message_receive(
        mailbox=mailbox,
        mail=parse_mail(gbk_mail(sender="新客户 <new.buyer@factory.example>", **mail)),
    )


def test_unmatched_email_filed_on_a_customer_from_the_screen(user, client_for):
    grant(user, "activity", ["view", "create"], "own")
    grant(user, "account", ["view"], "own")
    mailbox = Mailbox.objects.create(name="我的", host="h", username="u", owner=user)
    message = _unmatched(mailbox)
    account = AccountFactory(owner=user, name="苏州新工厂有限公司")
    client = client_for(user)

    listing = client.get("/mailboxes/unmatched/").content.decode()
    assert "new.buyer@factory.example" in listing
    assert "关于报价单的回复" in listing
    detail = client.get(f"/mailboxes/unmatched/{message.pk}/").content.decode()
    assert "镕基的价格请再确认" in detail
    assert "报价单.pdf" in detail

    response = client.post(
        f"/mailboxes/unmatched/{message.pk}/",
        {"action": "link", "entity": "account", "record": account.pk},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.link_entity, message.account, message.activity.owner) == (
        "account",
        account,
        user,
    )
    assert message.activity.attachments.get().name == "报价单.pdf"
    assert "new.buyer@factory.example" not in client.get("/mailboxes/unmatched/").content.decode()


def test_a_record_out_of_scope_cannot_be_chosen(user, client_for):
    grant(user, "activity", ["view", "create"], "own")
    grant(user, "account", ["view"], "own")
    mailbox = Mailbox.objects.create(name="我的", host="h", username="u", owner=user)
    message = _unmatched(mailbox)
    hidden = AccountFactory(owner=UserFactory())
    response = client_for(user).post(
        f"/mailboxes/unmatched/{message.pk}/",
        {"action": "link", "entity": "account", "record": hidden.pk},
    )
    assert response.status_code == 400
    assert "Choose a record you may see." in response.content.decode()
    message.refresh_from_db()
    assert message.link_entity == ""


def test_a_contact_is_created_from_an_unmatched_email(user, client_for):
    grant(user, "activity", ["view", "create"], "own")
    grant(user, "account", ["view"], "own")
    grant(user, "contact", ["view", "create"], "own")
    mailbox = Mailbox.objects.create(name="我的", host="h", username="u", owner=user)
    first = _unmatched(mailbox)
    account = AccountFactory(owner=user)
    client = client_for(user)

    missing = client.post(
        f"/mailboxes/unmatched/{first.pk}/", {"action": "create_contact", "name": "赵新"}
    )
    assert missing.status_code == 400
    assert Contact.objects.count() == 0
    response = client.post(
        f"/mailboxes/unmatched/{first.pk}/",
        {"action": "create_contact", "name": "赵新", "account": account.pk},
    )
    contact = Contact.objects.get(name="赵新")
    assert response.status_code == 302
    assert (contact.email, contact.account, contact.owner) == (
        "new.buyer@factory.example",
        account,
        user,
    )
    first.refresh_from_db()
    assert (first.contact, first.link_entity, first.activity.link_id) == (
        contact,
        "contact",
        contact.pk,
    )
    # The next email from that sender is matched by itself.
    second = _unmatched(mailbox, message_id="<second@factory.example>")
    assert second.contact == contact


def test_mailbox_api_keeps_the_password_write_only(user, admin_user):
    api = api_for(user)
    payload = {**FORM, "port": 993, "is_active": True}
    created = post_json(api, "/api/v1/mailboxes", payload)
    assert created.status_code == 201
    body = created.json()
    assert "password" not in body
    assert (body["owner"], body["shared"], body["has_password"]) == (user.pk, False, True)
    assert body["last_uid"] == 0

    changed = post_json(api, f"/api/v1/mailboxes/{body['id']}", {"folder": "客户"}, "patch")
    assert changed.json()["folder"] == "客户"
    assert Mailbox.objects.get().get_password() == "授权码-s3cret"

    listing = api.get("/api/v1/mailboxes").json()
    assert (listing["count"], [item["id"] for item in listing["items"]]) == (1, [body["id"]])
    assert "s3cret" not in json.dumps(listing)
    shared = post_json(api, "/api/v1/mailboxes", {**payload, "shared": True})
    assert shared.status_code == 403
    assert api_for(UserFactory()).get(f"/api/v1/mailboxes/{body['id']}").status_code == 404
    admin_shared = post_json(api_for(admin_user), "/api/v1/mailboxes", {**payload, "shared": True})
    assert (admin_shared.status_code, admin_shared.json()["owner"]) == (201, None)
    assert Mailbox.objects.count() == 2


def test_mailbox_api_rejects_bad_input_with_field_errors(user):
    response = post_json(api_for(user), "/api/v1/mailboxes", {"name": "x", "port": 70000})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "host": ["This field is required."],
        "username": ["This field is required."],
        "password": ["Enter the mailbox's password."],
        "port": ["Enter a port from 1 to 65535."],
    }
    assert Mailbox.objects.count() == 0


def test_mailbox_list_is_a_fixed_number_of_queries(admin_user, django_assert_num_queries):
    api = api_for(admin_user)
    for index in range(5):
        mailbox = Mailbox.objects.create(name=f"m{index}", host="h", username="u")
        mailbox.teams.add(TeamFactory())
    with django_assert_num_queries(6):  # token, its user, page, users, teams, count
        response = api.get("/api/v1/mailboxes")
    assert response.json()["count"] == 5


def test_api_tests_fetches_and_files_unmatched_email(imap_server, mailbox_on, user):
    grant(user, "activity", ["view", "create"], "own")
    grant(user, "account", ["view"], "own")
    grant(user, "contact", ["view", "create"], "own")
    api = api_for(user)
    mailbox = mailbox_on(imap_server, "wang", owner=user)
    imap_server.append("wang", gbk_mail(sender="buyer@factory.example"))

    assert api.post(f"/api/v1/mailboxes/{mailbox.pk}/test").json() == {"ok": True, "error": ""}
    fetched = api.post(f"/api/v1/mailboxes/{mailbox.pk}/fetch")
    assert (fetched.status_code, fetched.json()["last_uid"]) == (202, 1)

    unmatched = api.get("/api/v1/mailboxes/unmatched").json()
    assert unmatched["count"] == 1
    [item] = unmatched["items"]
    assert (item["subject"], item["from_address"]) == ("关于报价单的回复", "buyer@factory.example")
    assert [a["name"] for a in item["attachments"]] == ["报价单.pdf"]
    bad = post_json(api, f"/api/v1/mailboxes/unmatched/{item['id']}/link", {"entity": "x", "id": 1})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["entity"]

    account = AccountFactory(owner=user)
    created = post_json(
        api,
        f"/api/v1/mailboxes/unmatched/{item['id']}/create-contact",
        {"account": account.pk, "name": "采购部"},
    )
    assert created.status_code == 201
    contact = Contact.objects.get(pk=created.json()["contact"])
    assert (contact.name, contact.email) == ("采购部", "buyer@factory.example")
    assert created.json()["email"]["link_entity"] == "contact"
    assert api.get("/api/v1/mailboxes/unmatched").json()["count"] == 0
    assert Message.objects.get().activity.owner == user


def test_fetch_mail_command(imap_server, mailbox_on, capsys):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory(), name="王的邮箱")
    imap_server.append("wang", gbk_mail())
    call_command("fetch_mail", mailbox=mailbox.pk)
    assert capsys.readouterr().out == "王的邮箱: 1 stored, 0 already there, 0 unreadable\n"
    call_command("fetch_mail")
    assert capsys.readouterr().out == "王的邮箱: 0 stored, 0 already there, 0 unreadable\n"


def test_errors_and_screens_speak_chinese(user, client_for):
    response = api_for(user).post(
        "/api/v1/mailboxes",
        json.dumps({"name": "x", "host": "h", "username": "u", "port": 0}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.json()["errors"]["port"] == ["请输入 1 到 65535 之间的端口。"]
    assert response.json()["errors"]["password"] == ["请输入邮箱密码。"]
    user.language = "zh-hans"
    user.save()
    page = client_for(user).get("/mailboxes/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "还没有邮箱。添加您的邮箱，即可在客户时间线上看到他们的邮件。" in page
