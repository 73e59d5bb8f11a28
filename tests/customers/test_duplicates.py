"""Duplicate detection: certain matches on identifiers, probable ones on names, on save, on import and by scan."""

import pytest
from django.core.management import call_command

from peyvand.customers import services
from peyvand.customers.duplicates import (
    find_duplicates_of,
    record_candidates_for,
    scan_duplicates,
    scan_duplicates_task,
)
from peyvand.customers.duplicates import scan as scan_module
from peyvand.customers.models import (
    CustomerAddress,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateKind,
    DuplicateSource,
    DuplicateStatus,
)

pytestmark = pytest.mark.django_db


def person(by, **data):
    data.setdefault("first_name", "")
    data.setdefault("last_name", "نمونه")
    return services.customer_create(by=by, data=data)


def pair_of(a, b):
    return DuplicateCandidate.objects.get(first_id=min(a.pk, b.pk), second_id=max(a.pk, b.pk))


def test_it_finds_a_phone_written_differently_as_certain(manager_a):
    a = person(manager_a, first_name="علی", last_name="کریمی", phones=[{"number": "09121234567"}])
    b = person(manager_a, first_name="مهدی", last_name="صادقی", phones=[{"number": "+98 912 123 4567"}])
    found = find_duplicates_of(b)
    assert [(d.other.pk, d.kind, d.reasons, d.score) for d in found] == [(a.pk, DuplicateKind.CERTAIN, ["phone"], 100)]
    candidate = pair_of(a, b)
    assert (candidate.kind, candidate.reasons, candidate.found_by) == ("certain", ["phone"], DuplicateSource.SAVE)


def test_it_finds_an_email_in_other_case(manager_a):
    a = person(manager_a, last_name="یک", emails=[{"email": "Sara@Example.com"}])
    b = person(manager_a, last_name="دو", emails=[{"email": "sara@example.COM"}])
    assert pair_of(a, b).reasons == ["email"]


def test_it_finds_the_same_national_code(manager_a):
    a = person(manager_a, last_name="یک", national_id="0076229645")
    b = person(manager_a, last_name="دو", national_id="۰۰۷۶۲۲۹۶۴۵")
    assert pair_of(a, b).reasons == ["national_id"]


def test_similar_names_in_the_same_city_are_probable(manager_a):
    a = person(manager_a, first_name="علي", last_name="رضايي", addresses=[{"city": "تهران"}])
    b = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    candidate = pair_of(a, b)
    assert (candidate.kind, candidate.reasons) == (DuplicateKind.PROBABLE, ["name"])
    assert candidate.score >= 88


def test_similar_names_in_other_cities_are_not_matched(manager_a):
    person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "شیراز"}])
    assert not DuplicateCandidate.objects.exists()


def test_similar_names_in_the_same_organisation_are_probable(manager_a):
    org = services.customer_create(by=manager_a, data={"kind": "organization", "name": "شرکت آلفا"})
    a = person(manager_a, first_name="زهرا", last_name="حسینی", organization_id=org.pk)
    b = person(manager_a, first_name="زهرا", last_name="حسيني", organization_id=org.pk)
    assert pair_of(a, b).kind == DuplicateKind.PROBABLE


def test_different_names_in_the_same_city_are_not_matched(manager_a):
    person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    person(manager_a, first_name="علی", last_name="رحیمی", addresses=[{"city": "تهران"}])
    assert not DuplicateCandidate.objects.exists()


def test_a_pair_is_stored_once_and_updated(manager_a):
    a = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    b = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    assert pair_of(a, b).kind == DuplicateKind.PROBABLE
    services.customer_update(customer=a, by=manager_a, data={"phones": [{"number": "09121111111"}]})
    services.customer_update(customer=b, by=manager_a, data={"phones": [{"number": "09121111111"}]})
    scan_duplicates()
    assert DuplicateCandidate.objects.count() == 1
    assert (pair_of(a, b).kind, pair_of(a, b).reasons) == (DuplicateKind.CERTAIN, ["phone", "name"])


def test_a_dismissed_pair_stays_dismissed(manager_a):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    b = person(manager_a, last_name="دو", phones=[{"number": "09121234567"}])
    services.duplicate_dismiss(candidate=pair_of(a, b), by=manager_a)
    services.customer_update(customer=b, by=manager_a, data={"national_id": "0076229645"})
    services.customer_update(customer=a, by=manager_a, data={"national_id": "0076229645"})
    scan_duplicates()
    assert pair_of(a, b).status == DuplicateStatus.DISMISSED
    assert pair_of(a, b).reasons == ["phone"]


def test_deleted_customers_are_not_matched(manager_a):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    services.customer_delete(customer=a, by=manager_a)
    person(manager_a, last_name="دو", phones=[{"number": "09121234567"}])
    assert not DuplicateCandidate.objects.exists()
    assert scan_duplicates()["certain"] == 0


def test_the_scan_finds_what_saving_finds(manager_a):
    a = person(manager_a, first_name="علي", last_name="رضايي", addresses=[{"city": "تهران"}])
    b = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    c = person(manager_a, last_name="سه", phones=[{"number": "09121234567"}], emails=[{"email": "x@example.com"}])
    d = person(manager_a, last_name="چهار", phones=[{"number": "09121234567"}])
    e = person(manager_a, last_name="پنج", emails=[{"email": "X@example.com"}], national_id="0076229645")
    f = person(manager_a, last_name="شش", national_id="0076229645")
    saved = {(p.first_id, p.second_id, p.kind, tuple(p.reasons)) for p in DuplicateCandidate.objects.all()}
    DuplicateCandidate.objects.all().delete()
    counts = scan_duplicates()
    scanned = {(p.first_id, p.second_id, p.kind, tuple(p.reasons)) for p in DuplicateCandidate.objects.all()}
    assert scanned == saved
    assert {(x, y) for x, y, _k, _r in scanned} == {
        (a.pk, b.pk),
        (c.pk, d.pk),
        (c.pk, e.pk),
        (e.pk, f.pk),
    }
    assert counts == {"certain": 3, "probable": 1, "created": 4, "updated": 0, "closed": 0}
    assert all(p.found_by == DuplicateSource.SCAN for p in DuplicateCandidate.objects.all())


def test_the_import_hook_records_a_batch(manager_a):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    b = person(manager_a, last_name="دو")
    # As an import writing rows without the save hook would leave them:
    from peyvand.customers.models import CustomerPhone

    CustomerPhone.objects.create(customer=b, number="+989121234567")
    assert record_candidates_for([b.pk]) == 1
    assert pair_of(a, b).found_by == DuplicateSource.IMPORT


def test_the_command_and_the_task_run_the_scan(manager_a, capsys, settings):
    a = person(manager_a, last_name="یک")
    b = person(manager_a, last_name="دو")
    from peyvand.customers.models import CustomerPhone

    CustomerPhone.objects.create(customer=a, number="+989121234567")
    CustomerPhone.objects.create(customer=b, number="+989121234567")
    call_command("scan_duplicates")
    assert "certain: 1" in capsys.readouterr().out
    assert pair_of(a, b).found_by == DuplicateSource.SCAN
    assert scan_duplicates_task.call() == {"certain": 1, "probable": 0, "created": 0, "updated": 0, "closed": 0}


# --- stale pairs ----------------------------------------------------------------------------------------


def test_the_scan_closes_open_pairs_that_no_longer_hold(manager_a, capsys):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    b = person(manager_a, last_name="دو", phones=[{"number": "09121234567"}])
    c = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    d = person(manager_a, first_name="علی", last_name="رضائی", addresses=[{"city": "تهران"}])
    e = person(manager_a, last_name="پنج", emails=[{"email": "e@example.com"}])
    f = person(manager_a, last_name="شش", emails=[{"email": "e@example.com"}])
    g = person(manager_a, last_name="هفت", national_id="0076229645")
    h = person(manager_a, last_name="هشت", national_id="0076229645")
    services.duplicate_dismiss(candidate=pair_of(g, h), by=manager_a)
    assert DuplicateCandidate.objects.count() == 4
    # Changed behind the save hook's back (as a bulk fix or an import in place would): no reason holds any more.
    CustomerPhone.objects.filter(customer=b).update(number="+989129999999")
    CustomerAddress.objects.filter(customer=d).update(city="شیراز")
    f.deleted_at = e.created_at
    f.save(update_fields=["deleted_at"])
    g.national_id = ""
    g.save(update_fields=["national_id"])

    call_command("scan_duplicates")

    assert "closed: 3" in capsys.readouterr().out
    assert not DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).exists()
    # A dismissed pair is the record of a decision: it stays though its reason has gone.
    assert pair_of(g, h).status == DuplicateStatus.DISMISSED
    for x, y in ((a, b), (c, d), (e, f)):
        assert not DuplicateCandidate.objects.filter(first_id=min(x.pk, y.pk), second_id=max(x.pk, y.pk)).exists()


def test_the_scan_keeps_open_pairs_whose_reason_holds_though_it_does_not_find_them(manager_a, monkeypatch):
    trio = [person(manager_a, last_name=name, phones=[{"number": "02188880000"}]) for name in ("یک", "دو", "سه")]
    assert DuplicateCandidate.objects.count() == 3
    # A number shared by more customers than MAX_GROUP is left out of the scan's GROUP BY (a switchboard);
    # the pairs saving found are still true, so they stay.
    monkeypatch.setattr(scan_module, "MAX_GROUP", 2)
    assert scan_duplicates()["closed"] == 0
    assert DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count() == 3
    CustomerPhone.objects.filter(customer=trio[2]).delete()
    counts = scan_duplicates()
    assert counts["closed"] == 2
    assert DuplicateCandidate.objects.get().reasons == ["phone"]


def test_the_scan_brings_a_kept_pair_up_to_date(manager_a):
    a = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    b = person(manager_a, first_name="علی", last_name="رضایی", addresses=[{"city": "تهران"}])
    services.customer_update(customer=a, by=manager_a, data={"phones": [{"number": "09121111111"}]})
    services.customer_update(customer=b, by=manager_a, data={"phones": [{"number": "09121111111"}]})
    assert pair_of(a, b).reasons == ["phone", "name"]
    CustomerPhone.objects.filter(customer=b).delete()
    assert scan_duplicates()["closed"] == 0
    assert (pair_of(a, b).kind, pair_of(a, b).reasons) == (DuplicateKind.PROBABLE, ["name"])


def test_saving_a_customer_drops_its_open_pairs_that_no_longer_hold(manager_a):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    b = person(manager_a, last_name="دو", phones=[{"number": "09121234567"}])
    c = person(manager_a, last_name="سه", emails=[{"email": "c@example.com"}])
    d = person(manager_a, last_name="چهار", emails=[{"email": "c@example.com"}])
    services.duplicate_dismiss(candidate=pair_of(c, d), by=manager_a)
    services.customer_update(customer=b, by=manager_a, data={"phones": [{"number": "09351112233"}]})
    services.customer_update(customer=d, by=manager_a, data={"emails": [{"email": "d@example.com"}]})
    assert not DuplicateCandidate.objects.filter(first_id=a.pk, second_id=b.pk).exists()
    assert pair_of(c, d).status == DuplicateStatus.DISMISSED
    # And the pair comes back when the reason does.
    services.customer_update(customer=b, by=manager_a, data={"phones": [{"number": "09121234567"}]})
    assert pair_of(a, b).status == DuplicateStatus.OPEN


def test_deleting_a_customer_closes_its_open_pairs_on_the_next_save_or_scan(manager_a):
    a = person(manager_a, last_name="یک", phones=[{"number": "09121234567"}])
    b = person(manager_a, last_name="دو", phones=[{"number": "09121234567"}])
    services.customer_delete(customer=b, by=manager_a)
    assert scan_duplicates()["closed"] == 1
    assert not DuplicateCandidate.objects.filter(first_id=a.pk).exists()
