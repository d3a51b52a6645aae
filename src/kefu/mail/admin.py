"""Mailboxes in the admin UI (several per install); the stored password is encrypted."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import BouncedAddress, InboundMail, Mailbox, OutboxMail
from .secrets import encrypt


class MailboxForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current one."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name", "address", "active", "team", "default_category", "default_type", "closed_reply",
            "imap_host", "imap_port", "imap_security", "imap_user", "imap_password_file", "imap_folder",
            "processed_action", "processed_folder", "auto_reply", "expected_time", "hotline",
            "auto_reply_subject_zh", "auto_reply_body_zh", "auto_reply_subject_en", "auto_reply_body_en",
            "max_message_bytes", "bounce_too_large", "plus_addressing",
        ]  # fmt: skip

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            mailbox.imap_password_encrypted = encrypt(self.cleaned_data["new_password"])
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["name", "address", "active", "imap_host", "team", "processed_action", "last_polled_at"]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "address",
                    "active",
                    "team",
                    "default_category",
                    "default_type",
                    "closed_reply",
                ]
            },
        ),
        (
            _("IMAP"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "new_password",
                    "imap_password_file",
                    "imap_folder",
                    "processed_action",
                    "processed_folder",
                    "uidvalidity",
                    "last_uid",
                    "last_polled_at",
                    "last_error",
                ]
            },
        ),
        (
            _("Auto-reply"),
            {
                "fields": [
                    "auto_reply",
                    "expected_time",
                    "hotline",
                    "auto_reply_subject_zh",
                    "auto_reply_body_zh",
                    "auto_reply_subject_en",
                    "auto_reply_body_en",
                ]
            },
        ),
        (_("Limits"), {"fields": ["max_message_bytes", "bounce_too_large", "plus_addressing"]}),
    ]


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ["id", "mailbox", "from_email", "subject", "state", "decision", "received_at"]
    list_filter = ["state", "decision", "mailbox"]
    search_fields = ["message_id", "from_email", "subject"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in InboundMail._meta.fields if f.name != "raw"]


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "to", "subject", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "kind"]


admin.site.register(BouncedAddress)
