"""annotations.admin: staff can look at annotations, not write them around the services."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "s@example.org", "staff-pass-1")
    client = Client()
    client.force_login(staff)
    return client


def test_staff_see_annotations_but_cannot_change_add_or_delete_them(
    staff_client, owner, make_annotation
):
    annotation = make_annotation(owner, kind="note", body="原样")
    page = f"/admin/annotations/annotation/{annotation.pk}/change/"
    assert staff_client.get("/admin/annotations/annotation/").status_code == 200
    assert staff_client.get(page).status_code == 200  # the view-only form
    staff_client.post(page, {"body": "改了"})
    annotation.refresh_from_db()
    assert (annotation.body, annotation.version) == ("原样", 1)
    assert staff_client.get("/admin/annotations/annotation/add/").status_code == 403
    delete = f"/admin/annotations/annotation/{annotation.pk}/delete/"
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert annotation.__class__.objects.filter(pk=annotation.pk).exists()
