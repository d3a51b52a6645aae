"""Reading the receiving MTA's Authentication-Results verdict (FAULTS X3: a forged From)."""

from __future__ import annotations

from kefu.mail.authresults import dmarc_failure, results

TRUSTED = ["mx.yunshan.example"]


def test_a_dmarc_fail_from_our_mta_names_the_domain():
    header = (
        "mx.yunshan.example; spf=fail smtp.mailfrom=evil.example; "
        "dkim=none (no signature); dmarc=fail (p=reject dis=none) header.from=VIP.example.cn"
    )
    assert dmarc_failure(header, TRUSTED) == (
        "sender not authenticated: DMARC fail for vip.example.cn at mx.yunshan.example"
    )


def test_a_verdict_written_by_anyone_else_is_ignored():
    # a forger writes their own header; only our MTA's authserv-id counts
    forged = "mx.attacker.example; dmarc=fail header.from=vip.example.cn"
    assert dmarc_failure(forged, TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; dmarc=fail header.from=a.cn", []) == ""


def test_pass_none_and_unreadable_headers_are_not_failures():
    assert dmarc_failure("mx.yunshan.example; dmarc=pass header.from=a.cn", TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; dmarc=none header.from=a.cn", TRUSTED) == ""
    assert dmarc_failure("mx.yunshan.example; none", TRUSTED) == ""
    assert dmarc_failure(";;;===(((", TRUSTED) == ""
    assert dmarc_failure("", TRUSTED) == ""


def test_comments_and_version_are_read_past():
    authserv, found = results(
        "mx.yunshan.example 1; dkim=pass (2048-bit key; unprotected) header.d=a.cn; "
        "dmarc=fail (p=quarantine (strict)) header.from=a.cn"
    )
    assert authserv == "mx.yunshan.example"
    assert found["dkim"][0] == "pass" and found["dmarc"][0] == "fail"
