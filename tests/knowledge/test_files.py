"""Article files and images: staff upload on the edit page; served only to people who may see the
article; raster images inline (embeddable in the Markdown body), everything else a download."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kefu.knowledge import services
from kefu.knowledge.models import ArticleFile

from .images import many_frame_gif, peak_memory

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _upload(client, user, article, name, content, content_type="application/octet-stream"):
    client.force_login(user)
    return client.post(
        reverse("kb:file_upload", args=[article.pk]),
        {"files": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.mark.fault("F2")
def test_staff_upload_image_and_embed_it_in_the_body(client, kb, agent_li):
    article = kb["track"]
    response = _upload(client, agent_li, article, "物流截图.png", PNG, "image/png")
    assert response.status_code == 302
    item = ArticleFile.objects.get(article=article)
    assert item.is_image and item.content_type == "image/png"
    url = reverse("help:file", args=[item.pk, item.filename])
    edit = client.get(reverse("kb:edit", args=[article.pk])).content.decode()
    assert f"![{item.filename}]({url})" in edit  # the Markdown to copy into the body
    services.update_article(article, by=agent_li, body=f"看图：\n\n![截图]({url})")
    client.logout()
    page = client.get(reverse("help:article", args=[article.pk])).content.decode()
    assert f'<img src="{url}"' in page
    image = client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    served = Image.open(io.BytesIO(b"".join(image.streaming_content)))
    assert served.format == "PNG" and served.size == (1, 1)
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image["Content-Security-Policy"]
    assert not image["Content-Disposition"].startswith("attachment")


@pytest.mark.fault("F2")
@pytest.mark.parametrize(
    "name,content,claimed",
    [
        ("evil.html", b"<script>alert(1)</script>", "text/html"),
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


@pytest.mark.fault("F1")
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


@pytest.mark.fault("F1")
def test_files_of_drafts_are_hidden_until_published(client, agent_li, kb):
    draft = services.create_article(by=agent_li, title="草稿", body="x")
    _upload(client, agent_li, draft, "a.png", PNG, "image/png")
    url = reverse("help:file", args=[ArticleFile.objects.get().pk, "a.png"])
    client.logout()
    assert client.get(url).status_code == 404


@pytest.mark.fault("F4")
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


def _stored(item: ArticleFile) -> bytes:
    with item.file.open("rb") as f:
        return f.read()


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 30.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"secret note")
    return out.getvalue()


@pytest.mark.fault("F2")
def test_photo_location_and_hidden_data_are_stripped(client, kb, agent_li):
    """A phone photo's EXIF (GPS position, camera) and a JPEG comment never reach readers, nor
    bytes smuggled after the image's end marker; the picture itself is kept."""
    original = _jpeg_with_gps() + b"PK\x03\x04 hidden zip payload"
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload has a location
    response = _upload(client, agent_li, kb["track"], "门店.jpg", original, "image/jpeg")
    assert response.status_code == 302
    item = ArticleFile.objects.get()
    stored = _stored(item)
    assert item.is_image and item.size == len(stored)
    clean = Image.open(io.BytesIO(stored))
    assert clean.format == "JPEG" and clean.size == (40, 30)
    assert not clean.getexif() and "comment" not in clean.info
    assert (
        b"PhoneMaker" not in stored and b"hidden zip payload" not in stored and b"secret note" not in stored
    )
    r, g, b = clean.convert("RGB").getpixel((20, 15))
    assert r > 150 and g < 80 and b < 80  # still the same red picture


@pytest.mark.fault("F2")
def test_png_text_chunks_are_stripped(client, kb, agent_li):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三 13800138000")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    _upload(client, agent_li, kb["track"], "a.png", out.getvalue(), "image/png")
    stored = _stored(ArticleFile.objects.get())
    assert b"13800138000" not in stored
    clean = Image.open(io.BytesIO(stored))
    assert clean.size == (8, 8) and clean.mode == "RGBA" and "Author" not in clean.info


@pytest.mark.fault("F4")
def test_decompression_bomb_is_refused_with_a_clear_message(client, kb, agent_li):
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # a few KB that would unpack to 400 Mpixels
    assert len(out.getvalue()) < 200_000
    response = _upload(client, agent_li, kb["track"], "bomb.png", out.getvalue(), "image/png")
    assert response.status_code == 302
    assert ArticleFile.objects.count() == 0
    page = client.get(reverse("kb:edit", args=[kb["track"].pk])).content.decode()
    assert "bomb.png" in page and "40" in page  # the name and the pixel limit


@pytest.mark.fault("F2")
@pytest.mark.parametrize(
    "name,content,claimed",
    [
        ("fake.png", b"<svg onload=alert(1)>", "image/png"),
        ("photo.jpg", b"MZ-less plain text pretending", "application/octet-stream"),
        ("scan.bin", b"not an image at all", "image/webp"),
        ("broken.png", PNG[:30], "image/png"),  # a real PNG header, cut short
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image/jpeg"),
    ],
)
def test_non_images_labelled_as_images_are_refused(client, kb, agent_li, name, content, claimed):
    response = _upload(client, agent_li, kb["track"], name, content, claimed)
    assert response.status_code == 302
    assert ArticleFile.objects.count() == 0
    page = client.get(reverse("kb:edit", args=[kb["track"].pk])).content.decode()
    assert name in page


@pytest.mark.fault("F4")
def test_image_refusals_are_clear_4xx_through_the_service(kb, agent_li):
    from kefu.tickets.errors import AttachmentRejected
    from kefu.tickets.services import Upload

    with pytest.raises(AttachmentRejected) as err:
        services.add_file(
            kb["track"], by=agent_li, upload=Upload(name="x.gif", content=b"GIF89a junk", content_type="")
        )
    assert "x.gif" in err.value.message and err.value.status == 422


def test_animated_gif_keeps_its_frames(client, kb, agent_li):
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, comment=b"tracker")
    _upload(client, agent_li, kb["track"], "步骤.gif", out.getvalue(), "image/gif")
    stored = _stored(ArticleFile.objects.get())
    clean = Image.open(io.BytesIO(stored))
    assert clean.format == "GIF" and clean.n_frames == 3 and b"tracker" not in stored


# --------------------------------------------------------------------------- animation bombs (F4)


@pytest.mark.fault("F4")
def test_a_300_frame_gif_bomb_is_refused_before_decoding_with_a_clear_message(client, kb, agent_li):
    bomb = many_frame_gif(400, 400, 300)  # 7 KB that decode to 300 canvases of 400 × 400
    assert len(bomb) < 10_000
    with peak_memory() as peak:
        response = _upload(client, agent_li, kb["track"], "动图.gif", bomb, "image/gif")
    assert response.status_code == 302 and ArticleFile.objects.count() == 0
    assert peak["mb"] < 40, f"the upload took {peak['mb']} MB"  # decoding it took ~190 MB
    page = client.get(reverse("kb:edit", args=[kb["track"].pk])).content.decode()
    assert "动图.gif" in page and "300" in page and "16" in page  # the name and both limits


@pytest.mark.fault("F4")
def test_the_api_refuses_an_animation_bomb_with_a_422(kb, agent_li):
    from kefu.tickets.errors import AttachmentRejected
    from kefu.tickets.services import Upload

    with peak_memory() as peak, pytest.raises(AttachmentRejected) as err:
        services.add_file(
            kb["track"], by=agent_li, upload=Upload(name="loop.gif", content=many_frame_gif(500, 500, 120))
        )
    assert err.value.status == 422 and "loop.gif" in err.value.message
    assert peak["mb"] < 40, f"refusing took {peak['mb']} MB"


@pytest.mark.fault("F4")
def test_frames_growing_past_a_tiny_screen_are_counted_at_their_real_size(kb, agent_li):
    from kefu.tickets.errors import AttachmentRejected
    from kefu.tickets.services import Upload

    # a 1 × 1 screen and first frame, then frames of 3000 × 3000: 27 million pixels to decode
    sneaky = many_frame_gif(3000, 3000, 3, first=(1, 1))
    with peak_memory() as peak, pytest.raises(AttachmentRejected):
        services.add_file(kb["track"], by=agent_li, upload=Upload(name="tiny.gif", content=sneaky))
    assert peak["mb"] < 40, f"refusing took {peak['mb']} MB"
    assert ArticleFile.objects.count() == 0


@pytest.mark.fault("F4")
def test_a_modest_animation_is_kept_with_its_frames_in_bounded_memory(kb, agent_li):
    from kefu.tickets.services import Upload

    with peak_memory() as peak:
        item = services.add_file(
            kb["track"], by=agent_li, upload=Upload(name="操作步骤.gif", content=many_frame_gif(200, 150, 60))
        )
    assert peak["mb"] < 80, f"re-encoding took {peak['mb']} MB"
    clean = Image.open(io.BytesIO(_stored(item)))
    assert item.is_image and clean.format == "GIF" and clean.n_frames == 60 and clean.size == (200, 150)


@pytest.mark.fault("F3")
def test_a_chinese_file_name_downloads_exactly_with_an_ascii_fallback(client, kb, agent_li):
    from urllib.parse import unquote

    name = "退货 流程（图解）.pdf"
    _upload(client, agent_li, kb["track"], name, b"%PDF-1.4 guide", "application/pdf")
    item = ArticleFile.objects.get()
    header = client.get(reverse("help:file", args=[item.pk, item.filename]))["Content-Disposition"]
    assert header.isascii() and header.startswith('attachment; filename="')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name
