#!/usr/bin/env bash
# The mail tests start their own throwaway Dovecot (IMAP) on a loopback port (tests/mail/servers.py);
# CI only needs the binary. No system-wide Dovecot is started here.
set -euo pipefail
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
  # the package may start a system-wide service; the tests do not use it
  (systemctl disable --now dovecot 2>/dev/null || service dovecot stop 2>/dev/null || true)
fi
