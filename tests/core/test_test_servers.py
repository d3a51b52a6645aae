"""The suite's rule for real servers: skipped with the install command on a laptop, failed under CI."""

import pytest

from tests.servers import require


def test_a_missing_server_is_a_skip_that_says_what_to_install(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install dovecot-imapd"):
        require("Dovecot (IMAP)", found=False, install="apt-get install dovecot-imapd")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_under_ci_a_missing_server_fails(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="apt-get install dovecot-imapd"):
        require("Dovecot (IMAP)", found=False, install="apt-get install dovecot-imapd")


def test_a_present_server_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require("Dovecot (IMAP)", found=True, install="apt-get install dovecot-imapd")
