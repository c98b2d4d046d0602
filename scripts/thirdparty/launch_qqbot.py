"""Run the unmodified PyPI `qqbot` (pandolia, SmartQQ) against a local webqq emulator.

Only the environment is arranged, never the client:
  * name resolution: every *.qq.com / *.qlogo.cn / *.gtimg.cn / *.idqqimg.com name resolves to
    127.0.0.1, and ports 80/443 are mapped to the emulator's plain and TLS listeners
    (what a hosts file plus listening on 80/443 would do, without touching /etc/hosts);
  * trust: REQUESTS_CA_BUNDLE / SSL_CERT_FILE name the CA the emulator wrote (set by the caller);
  * Python >= 3.9 removed html.parser.HTMLParser.unescape, which qqbot 2.3.11 (2018) reads at
    import time; the launcher puts the stdlib function back where Python 3.8 had it.

A plugin module (scripts/thirdparty/qqbot_echo.py) answers every buddy message with
"echo: <text>", using qqbot's own onQQMessage hook and bot.SendTo.

Usage: WEBQQ_EMU_PLAIN_PORT=P WEBQQ_EMU_TLS_PORT=T launch_qqbot.py QQBOT-ARGS...
The ports come from the environment because qqbot re-executes sys.argv in a child process
(its restart loop), and the child must arrange the same environment before importing qqbot.
"""
import html
import html.parser
import os
import socket
import sys

EMULATED_SUFFIXES = (".qq.com", ".qlogo.cn", ".gtimg.cn", ".idqqimg.com")


def emulated(host):
    if not isinstance(host, str):
        return False
    host = host.rstrip(".").lower()
    return any(host == s[1:] or host.endswith(s) for s in EMULATED_SUFFIXES)


def install_resolver(plain_port, tls_port):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if emulated(host):
            port = {80: plain_port, 443: tls_port}.get(int(port or 0), port)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def main():
    install_resolver(
        int(os.environ["WEBQQ_EMU_PLAIN_PORT"]), int(os.environ["WEBQQ_EMU_TLS_PORT"])
    )
    if not hasattr(html.parser.HTMLParser, "unescape"):
        html.parser.HTMLParser.unescape = lambda self, s: html.unescape(s)
    from qqbot import RunBot

    RunBot()


if __name__ == "__main__":
    main()
