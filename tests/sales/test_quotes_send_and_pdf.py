"""A quote goes out by e-mail through a real SMTP server with its PDF attached, and the PDF itself: A4 pages
that render, whose text layer holds the number, the Persian labels and the payable amount in words."""

import email
import email.policy
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.customers.models import CustomerEmail, Interaction
from peyvand.sales.models import Product, Quote, QuoteStatus
from peyvand.sales.pdf import DocumentPDFError, font_paths, quote_pdf
from peyvand.sales.services.quotes import quote_create, quote_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return Product.objects.create(name="سرور HP DL380", unit="دستگاه", unit_price=1_250_000)


@pytest.fixture
def quote(agent_a, customer_a, product):
    return quote_create(
        by=agent_a,
        data={
            "customer_id": customer_a.pk,
            "title": "پیشنهاد سرور",
            "lines": [{"product_id": product.pk, "quantity": 1, "vat_applies": False}],
            "notes": "بر اساس نیازسنجی فنی",
        },
    )


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


# --- e-mail -----------------------------------------------------------------------------------------------


def test_sending_delivers_the_pdf_through_smtp_and_marks_the_quote_sent(
    smtp_server, api_client, agent_a, customer_a, quote
):
    CustomerEmail.objects.create(customer=customer_a, email="buyer@example.com", is_primary=True)
    subject = f"پیش‌فاکتور {quote.number} از پیوند"
    response = post(api_client(agent_a), f"/api/v1/quotes/{quote.pk}/send", {"subject": subject, "message": "با سلام"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "sent" and body["sent_to"] == "buyer@example.com" and body["sent_at"]

    assert len(smtp_server.messages) == 1
    recipients, raw = smtp_server.messages[0]
    assert recipients == ["buyer@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(message["Subject"]).strip() == subject  # encoded on the wire, the same Persian text once decoded
    assert "با سلام" in message.get_body(preferencelist=("plain",)).get_content()
    attachments = list(message.iter_attachments())
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    assert attachments[0].get_filename() == f"{quote.number}.pdf"
    pdf = attachments[0].get_content()
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    try:
        assert quote.number in document[0].get_textpage().get_text_range()
    finally:
        document.close()

    quote_type = ContentType.objects.get_for_model(Quote)
    event = Interaction.objects.filter(related_type=quote_type, related_id=str(quote.pk)).latest("id")
    assert (event.channel, event.direction, event.subject) == ("email", "out", subject)
    assert "buyer@example.com" in event.body


def test_sending_to_several_addresses_and_again_after_a_first_time(smtp_server, agent_a, quote):
    quote_send(quote=quote, by=agent_a, to="a@example.com; b@example.com")
    quote = quote_send(quote=Quote.objects.get(pk=quote.pk), by=agent_a, to="c@example.com")
    assert [recipients for recipients, _raw in smtp_server.messages] == [
        ["a@example.com", "b@example.com"],
        ["c@example.com"],
    ]
    assert quote.status == QuoteStatus.SENT and quote.sent_to == "c@example.com"


def test_a_bad_address_sends_nothing(smtp_server, api_client, agent_a, quote):
    response = post(api_client(agent_a), f"/api/v1/quotes/{quote.pk}/send", {"to": "not an address"})
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]
    assert smtp_server.messages == []
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_a_customer_without_an_address_must_be_given_one(smtp_server, api_client, agent_a, quote):
    response = post(api_client(agent_a), f"/api/v1/quotes/{quote.pk}/send")
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]
    assert smtp_server.messages == []


def test_a_mail_server_that_refuses_leaves_the_quote_unsent(settings, agent_a, quote, free_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port, 2
    with pytest.raises(ValidationError) as error:
        quote_send(quote=quote, by=agent_a, to="buyer@example.com")
    assert "to" in error.value.message_dict
    stored = Quote.objects.get(pk=quote.pk)
    assert stored.status == QuoteStatus.DRAFT and stored.sent_at is None


# --- the PDF ----------------------------------------------------------------------------------------------


def render(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    pages = [
        (page.get_size(), page.get_textpage().get_text_range(), page.render(scale=1).to_pil()) for page in document
    ]
    document.close()
    return pages


def test_the_persian_pdf_has_the_number_labels_digits_and_amount_in_words(quote):
    with translation.override("fa"):
        pages = render(quote_pdf(quote))
    assert len(pages) == 1
    (width, height), text, image = pages[0]
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1
    assert quote.number in text
    # The text layer keeps the letters (their joined forms map back to the same letters).
    assert "مبلغ قابل پرداخت" in text
    assert "یک میلیون و دویست و پنجاه هزار ریال" in text
    assert "۱٬۲۵۰٬۰۰۰" in text  # amounts in Rials, with Persian digits
    assert "1,250,000" not in text


def test_the_english_pdf_is_in_english(quote):
    pages = render(quote_pdf(quote, lang="en"))
    text = pages[0][1]
    assert "Quotation" in text and "Total payable" in text
    assert "one million two hundred fifty thousand Rials" in text
    assert "1,250,000" in text


def test_many_lines_run_over_pages_each_with_the_table_header(agent_a, customer_a, product):
    many = quote_create(
        by=agent_a,
        data={"customer_id": customer_a.pk, "lines": [{"product_id": product.pk, "quantity": n} for n in range(1, 61)]},
    )
    pages = render(quote_pdf(many, lang="fa"))
    assert len(pages) >= 2
    with_lines = [text for _size, text, _image in pages if "دستگاه" in text]
    assert len(with_lines) >= 2
    for text in with_lines:
        assert "مبلغ واحد" in text and "خدمت" in text
    assert f"صفحه ۱ از {len(pages)}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in pages[0][1]
    # The totals come once, after the last line.
    assert sum("مبلغ قابل پرداخت" in text for _size, text, _image in pages) == 1
    assert Decimal(60) == many.lines.last().quantity


def test_a_missing_font_says_how_to_get_it(settings, tmp_path):
    settings.NODE_MODULES = tmp_path
    with pytest.raises(DocumentPDFError, match="npm ci"):
        font_paths()
