"""Article files and images: staff upload on the edit page; served only to people who may see the
article; raster images inline (embeddable in the Markdown body), everything else a download."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.knowledge import services
from kefu.knowledge.models import ArticleFile

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _upload(client, user, article, name, content, content_type="application/octet-stream"):
    client.force_login(user)
    return client.post(
        reverse("kb:file_upload", args=[article.pk]),
        {"files": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_staff_upload_image_and_embed_it_in_the_body(client, kb, agent_li):
    article = kb["track"]
    response = _upload(client, agent_li, article, "物流截图.png", PNG, "image/png")
    assert response.status_code == 302
    item = ArticleFile.objects.get(article=article)
    assert item.is_image and item.content_type == "image/png" and item.size == len(PNG)
    url = reverse("help:file", args=[item.pk, item.filename])
    edit = client.get(reverse("kb:edit", args=[article.pk])).content.decode()
    assert f"![{item.filename}]({url})" in edit  # the Markdown to copy into the body
    services.update_article(article, by=agent_li, body=f"看图：\n\n![截图]({url})")
    client.logout()
    page = client.get(reverse("help:article", args=[article.pk])).content.decode()
    assert f'<img src="{url}"' in page
    image = client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image["Content-Security-Policy"]
    assert not image["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "name,content,claimed",
    [
        ("evil.html", b"<script>alert(1)</script>", "text/html"),
        ("fake.png", b"<svg onload=alert(1)>", "image/png"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
    ],
)
def test_other_files_are_sandboxed_downloads(client, kb, agent_li, name, content, claimed):
    _upload(client, agent_li, kb["track"], name, content, claimed)
    item = ArticleFile.objects.get()
    assert not item.is_image
    response = client.get(reverse("help:file", args=[item.pk, item.filename]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_files_of_internal_articles_are_staff_only(client, kb, agent_li, customer_x):
    _upload(client, agent_li, kb["internal-comp"], "标准.pdf", b"%PDF-1.4 internal", "application/pdf")
    item = ArticleFile.objects.get()
    url = reverse("help:file", args=[item.pk, item.filename])
    assert client.get(url).status_code == 200  # agent_li is still logged in
    client.force_login(customer_x.user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(reverse("help:file", args=[999999, "x.pdf"])).status_code == 404


def test_files_of_drafts_are_hidden_until_published(client, agent_li, kb):
    draft = services.create_article(by=agent_li, title="草稿", body="x")
    _upload(client, agent_li, draft, "a.png", PNG, "image/png")
    url = reverse("help:file", args=[ArticleFile.objects.get().pk, "a.png"])
    client.logout()
    assert client.get(url).status_code == 404


def test_forbidden_and_oversized_uploads_are_refused(client, kb, agent_li, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 100
    _upload(client, agent_li, kb["track"], "setup.exe", b"MZ\x90\x00", "application/octet-stream")
    _upload(client, agent_li, kb["track"], "big.pdf", b"%PDF" + b"x" * 200, "application/pdf")
    assert ArticleFile.objects.count() == 0
    page = client.get(reverse("kb:edit", args=[kb["track"].pk])).content.decode()
    assert "setup.exe" in page and "big.pdf" in page  # the reasons are shown


def test_customers_cannot_upload_and_staff_can_remove(client, kb, agent_li, customer_x):
    assert _upload(client, customer_x.user, kb["track"], "a.png", PNG).status_code == 404
    assert ArticleFile.objects.count() == 0
    _upload(client, agent_li, kb["track"], "a.png", PNG, "image/png")
    item = ArticleFile.objects.get()
    response = client.post(reverse("kb:file_delete", args=[kb["track"].pk, item.pk]))
    assert response.status_code == 302 and ArticleFile.objects.count() == 0
