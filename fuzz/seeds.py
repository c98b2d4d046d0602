#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*) from the real
server captures (webqq-captures.md, the shared golden fixtures) and the test vectors of
webqq-proto's unit tests.

    python3 fuzz/seeds.py [path/to/webqq-captures.md]

`response_decoder`'s seeds are hand-made and left alone. The session scripts follow the
byte format documented in fuzz_targets/session.rs.
"""
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/webqq-captures.md"


def capture_blocks():
    """Section number -> the lines of its code blocks."""
    text = open(CAPTURES, encoding="utf-8").read()
    sections = {}
    for m in re.finditer(r"^## (\d+)\. .*?(?=^## |\Z)", text, re.S | re.M):
        lines = []
        for block in re.findall(r"```\n(.*?)```", m.group(0), re.S):
            lines.extend(block.splitlines())
        sections[int(m.group(1))] = lines
    return sections


CAP = capture_blocks()


def lines(n, prefix=""):
    return [l for l in CAP[n] if l.strip() and l.lstrip().startswith(prefix)]


def block(n):
    return "\n".join(CAP[n]) + "\n"


def unmask(s):
    """The authors masked some numbers with x; the unmasked variant is valid JSON."""
    return re.sub(r"(?<=:)\d*x+\d*", "123456789", s)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


for target in ["poll2_decoder", "ptui_parsers", "content_codec", "json_models", "session"]:
    d = os.path.join(HERE, "corpus", target)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.remove(os.path.join(d, f))

# ---- poll2_decoder: captures §45–§59 (poll), §23 and §63 (send and other replies) -------
POLLS = []
for n in (45, 47, 49, 51, 53):
    for l in lines(n, "{"):
        POLLS.append((n, l))
        if unmask(l) != l:
            POLLS.append((n, unmask(l)))
for i, (n, l) in enumerate(POLLS):
    write("poll2_decoder", f"cap{n}-{i}", l)
for n in (55, 57):
    for i, l in enumerate(lines(n, "{")):
        write("poll2_decoder", f"cap{n}-{i}", l)
write("poll2_decoder", "cap59", "{'retcode': 0, 'retmsg': 'ok', 'errmsg': 'error'}")
write("poll2_decoder", "cap59-json", '{"retcode":0,"retmsg":"ok","errmsg":"error"}')
write("poll2_decoder", "cap23", block(23))
for i, part in enumerate(json.loads(block(23))):
    write("poll2_decoder", f"cap23-{i}", json.dumps(part))
write("poll2_decoder", "cap63", lines(63, "[")[0].split("]", 1)[1])
write("poll2_decoder", "cap63-unmasked", unmask(lines(63, "[")[0].split("]", 1)[1]))
# Test vectors (poll.rs, send_reply.rs).
for i, body in enumerate([
    '{"retcode":0,"result":"ok"}',
    '{"retcode":116,"p":"2c0d8375e6c09f2af3ce60c6e081bdf4db271a14d0d85060"}',
    '{"retcode":120}',
    '{"retcode":1202}',
    '{"retcode":100012,"errmsg":"error","retmsg":"cmd[qconnect.0], errmsg[RecvTimeout]"}',
    '<html><body>504 Gateway Time-out</body></html>',
    '{"errCode":0,"msg":"send ok"}',
    '{"errCode":3,"errMsg":"ERROR"}',
    '{"retcode":100100,"result":"ok"}',
    '{"retcode":"103"}',
    '{"retcode":0,"result":[{"poll_type":"buddies_status_change","value":{"uin":1,"status":"busy","client_type":1}},'
    '{"poll_type":"kick_message","value":{"msg_id":1,"from_uin":10000,"to_uin":2,"reason":"elsewhere","show_reason":1}},'
    '{"poll_type":"discu_message","value":{"msg_id":3,"from_uin":10000,"did":77,"send_uin":5,"seq":9,"time":5,"content":[["font",{}],"hi"]}},'
    '{"poll_type":"group_web_message","value":{"from_uin":8,"send_uin":9,"xml":"<d/>"}},'
    '{"poll_type":"buddylist_change","value":{"added_friends":[{"uin":4,"groupid":1}],"removed_friends":[{"uin":5}]}},'
    '{"poll_type":"av_request","value":{"x":1}},{"no_type":1}]}',
    '{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":3,"from_uin":1,"time":30,"content":[]}},'
    '{"poll_type":"message","value":{"msg_id":1,"from_uin":1,"time":10,"content":[]}}]}',
]):
    write("poll2_decoder", f"vector-{i}", body)

# ---- ptui_parsers: captures §1–§15, plus the pt4_auth and login page vectors -----------
PTUI = []
for n in (1, 3, 5, 7, 9, 11, 13):
    for l in lines(n, "ptui"):
        PTUI.append((n, l.split(" `")[0]))
for i, (n, l) in enumerate(PTUI):
    write("ptui_parsers", f"cap{n}-{i}", l)
# §15 reassembled as its note says: the tokens joined, the \x escapes as UTF-8 bytes.
tokens = eval(lines(15, "[")[0])  # a Python list literal, as logged
write("ptui_parsers", "cap15", "".join(
    t if i in (0, len(tokens) - 1) or t.strip() in (",", "") else f"'{t}'"
    for i, t in enumerate(tokens)).encode("latin-1"))
write("ptui_parsers", "cap15-tokens", lines(15, "[")[0])
write("ptui_parsers", "checkvc-5-fields",
      r"ptui_checkVC('0','!ZDP','\x96\x00\xb9\xd6\xcf\x87\xae\xf4','34bfca26f1d14b3ab7f93c0deeb782dfc5e723bc055952acf969ebf7d1c4','1');")
write("ptui_parsers", "checkvc-5-captcha",
      r"ptui_checkVC('1','bk9gaJlbRSmYU-nOXKxvPaAxjzPHr99tjldA-NhvvyRe2YxlAt94yA**','\x00\x00\x00\x00\x95\x1a\x82\x5c','','0');")
write("ptui_parsers", "ptuicb-escapes", "ptuiCB('0','a\\'b','\\x00\\xa5', 'x\\u4F60');\r\n")
write("ptui_parsers", "qr-waiting", "ptuiCB('66','0','','0','二维码未失效。', '');")
write("ptui_parsers", "qr-scanned", "ptuiCB('67','0','','0','二维码认证中。', '');")
write("ptui_parsers", "qr-expired", "ptuiCB('65','0','','0','二维码已失效。', '');")
write("ptui_parsers", "abnormal", "ptuiCB('0','0','http://aq.qq.com/cn2/abnormal','0','x', 'n');")
write("ptui_parsers", "pt4-auth",
      "ptui_qlogin_CB('0', 'https://ptlogin4.web2.qq.com/check_sig?pttype=2&uin=1&service=jump', '')")
write("ptui_parsers", "login-sig",
      '<script>var g_pt_version="10040", g_login_sig=encodeURIComponent("abc*DEF-1");</script>')
write("ptui_parsers", "cap17", lines(17, "ptuiV")[0].replace("\\r\\n", "\r\n"))

# ---- content_codec: mode 0 = received content arrays, mode 1 = text to send ------------
i = 0
for n, l in POLLS + [(61, None)]:
    if l is None:
        continue
    try:
        v = json.loads(l)
    except ValueError:
        continue
    for item in v.get("result", []):
        c = item.get("value", {}).get("content")
        if c is not None:
            write("content_codec", f"recv-cap{n}-{i}", b"\0" + json.dumps(c, ensure_ascii=False).encode())
            i += 1
for j, l in enumerate(lines(61, "r:")):
    sent = json.loads(json.loads(l[2:])["content"])
    write("content_codec", f"recv-cap61-{j}", b"\0" + json.dumps(sent, ensure_ascii=False).encode())
write("content_codec", "recv-garbage-cap",
      b"\0" + json.dumps([["font", {"size": 10}], " \u0000\n\u0000\u0000\u0000\u0000\u0002\u5B8B\u4F53\r"]).encode())
write("content_codec", "recv-unknowns", b'\0[["font",{}],["video",1],42,["face","x"],"ok\\r"]')
for j, text in enumerate([
    "hello",
    "a[微笑]b[不是表情][OK][",
    "[微笑]",
    "",
    "line one\r\nline two ",
    "a" * 650 + " " + "b" * 300,
    "a" * 100 + " " + "你" * 400,
    "字" * 500,
    "群消息发送测试[呲牙]",
    "123[撇嘴]456[惊讶]",
]):
    write("content_codec", f"send-{j}", b"\1" + text.encode())

# ---- json_models: byte 0 picks the model (order of json_models.rs) ------------------------
MODELS = []
vf = json.loads(block(23))[0]
MODELS.append((0, "cap23", json.dumps(vf)))
MODELS.append((0, "vector", '{"retcode":0,"result":{"vfwebqq":"aca0a384c4031c5f575c4febc2d8ab13"}}'))
for j, l in enumerate(lines(19, "{")):
    MODELS.append((1, f"cap19-{j}", l))
MODELS.append((1, "cap21", block(21)))
MODELS.append((2, "cap25", '{"retcode":0,"result":' + block(25) + "}"))
MODELS.append((2, "cap33", lines(33, "{")[0]))
MODELS.append((3, "cap27", block(27)))
MODELS.append((4, "cap31", block(31)))
MODELS.append((4, "cap31-comma", block(31).replace('"city":"......"}\n  {', '"city":"......"},\n  {')))
MODELS.append((5, "vector", '{"retcode":0,"result":{"dnamelist":[{"name":"good day","did":2006892653}]}}'))
MODELS.append((6, "cap35", lines(35, "{")[0]))
MODELS.append((7, "vector", '{"retcode":0,"result":[{"uin":1100872453,"status":"online","client_type":21}]}'))
MODELS.append((8, "vector", '{"retcode":0,"result":{"uin":123,"account":123,"nick":"me &amp; &#x4F60;","face":522,"lnick":"","birthday":{"year":1990}}}'))
MODELS.append((8, "cap37", CAP[37][0]))
MODELS.append((9, "vector", '{"retcode":0,"result":{"uiuin":"","account":2489288370,"uin":10077914}}'))
MODELS.append((10, "vector", '{"retcode":0,"result":{"type":10,"value":"c4e6ad4d7e3d29b4","flags":{"text":1,"pic":1}}}'))
MODELS.append((10, "cap63", lines(63, "{")[-1]))
for m, name, body in MODELS:
    write("json_models", f"m{m}-{name}", bytes([m]) + body.encode())

# ---- session: scripts (see fuzz_targets/session.rs) ----------------------------------------
TAGS = ["LoginPage", "Check", "Captcha", "Login", "CheckSig", "QrShow", "QrLogin", "GetVfwebqq",
        "Login2", "Relink", "Friends", "Groups", "Discussions", "SelfInfo", "OnlineBuddies",
        "RecentList", "GroupMembers", "DiscussionMembers", "FriendUin2", "Poll", "Send",
        "C2cSig", "Heartbeat", "Logout", "Pt4Auth", "FriendRequest"]
STATUS = {200: 0, 302: 4, 304: 6, 404: 7, 500: 8, 502: 9, 503: 10, 504: 11}
COOKIE = {"ptwebqq": 1, "qrsig": 2, "uin": 4, "skey": 8, "p_skey": 16, "supertoken": 32}


class Script:
    def __init__(self, profile, password, seed=3):
        self.b = bytearray([profile, (seed << 1) | int(password)])

    def reply(self, tag, body, status=200, cookies=()):
        body = body.encode() if isinstance(body, str) else body
        mask = sum(COOKIE[c] for c in cookies)
        self.b += bytes([0, TAGS.index(tag), STATUS[status], mask]) + struct.pack("<H", len(body)) + body
        return self

    def error(self, tag, kind):
        self.b += bytes([1, TAGS.index(tag), kind])
        return self

    def wait(self, quarter_seconds):
        self.b += bytes([2, quarter_seconds])
        return self

    def next_timer(self):
        self.b += bytes([3])
        return self

    def send(self, target, text):
        t = text.encode()
        t += b" " * (-len(t) % 8)
        self.b += bytes([4, target, len(t) // 8]) + t
        return self

    def logout(self):
        self.b += bytes([7])
        return self


FRIENDS = '{"retcode":0,"result":{"friends":[{"uin":11,"categories":0}],"info":[{"uin":11,"nick":"eleven"}],"marknames":[],"categories":[]}}'
GROUPS = lines(27, "{")  # the capture's first line only opens it; use the whole block
GROUPS = '{"retcode":0,"result":{"gnamelist":[{"gid":500,"code":600,"name":"grp"}],"gmasklist":[],"gmarklist":[]}}'
DISCUS = '{"retcode":0,"result":{"dnamelist":[{"did":700,"name":"talk"}]}}'
SELF = '{"retcode":0,"result":{"uin":123456789,"account":123456789,"nick":"me","face":522}}'
ONLINE = '{"retcode":0,"result":[{"uin":11,"status":"online","client_type":1}]}'
LOGIN2 = lines(19, "{")[0]
# Captures §13 with the author's masks (`<qq>`, `<隐藏>`) filled in: the session checks the URL.
LOGIN_OK = (lines(13, "ptui")[0].replace("<qq>", "123456789").replace("<隐藏>", "858faebe7a504ee4")
            .replace("<昵称>", "me"))


def contacts(s):
    return (s.reply("Friends", FRIENDS).reply("Groups", GROUPS).reply("Discussions", DISCUS)
            .reply("SelfInfo", SELF).reply("OnlineBuddies", ONLINE)
            .reply("RecentList", '{"retcode":0,"result":[]}'))


def polls(s, bodies):
    for b in bodies:
        s.reply("Poll", b).next_timer()
    return s


def w2014_online(seed=3):
    s = Script(1, True, seed)
    s.reply("LoginPage", '<script>var g_login_sig=encodeURIComponent("SIG1");</script>')
    s.reply("Check", lines(5, "ptui")[0])
    s.reply("Login", LOGIN_OK, cookies=("ptwebqq", "skey", "uin"))
    s.reply("CheckSig", "", status=302, cookies=("p_skey",))
    s.reply("Login2", LOGIN2)
    return contacts(s)


def s2018_online(seed=5):
    s = Script(4, False, seed)
    s.reply("QrShow", b"\x89PNG", cookies=("qrsig",))
    s.next_timer().reply("QrLogin", "ptuiCB('66','0','','0','二维码未失效。', '');")
    s.next_timer().reply("QrLogin", "ptuiCB('67','0','','0','二维码认证中。', '');")
    s.next_timer().reply("QrLogin", open(os.path.join(HERE, "corpus/ptui_parsers/seed-cap15"), "rb").read())
    s.reply("CheckSig", "", status=302, cookies=("ptwebqq", "uin"))
    s.reply("GetVfwebqq", json.dumps({"retcode": 0, "result": {"vfwebqq": vf["result"]["vfwebqq"]}}))
    s.reply("Login2", lines(19, "{")[1])
    return contacts(s)


caps = [l for _, l in POLLS]
write("session", "w2014-polls", polls(w2014_online(), caps).b)
write("session", "w2014-poll-errors", polls(w2014_online(), lines(55, "{") + lines(57, "{")).b)
s = w2014_online()
s.send(0, "hello").reply("Send", '{"retcode":0,"result":"ok"}')
s.wait(4).send(1, "群消息发送测试[呲牙]").reply("Send", '{"errmsg":"error!!!","retcode":1202}')
s.reply("Poll", caps[0]).wait(4).send(3, "hi").reply("C2cSig", '{"retcode":0,"result":{"type":10,"value":"c4e6"}}')
s.reply("Send", '{"retcode":108}').reply("Poll", '{"retcode":121,"t":"0"}')
s.reply("Relink", LOGIN2).send(2, "字" * 300).reply("Send", '{"retcode":0,"result":"ok"}')
s.wait(4).reply("Send", '{"retcode":100100,"result":"ok"}').error("Poll", 4).logout()
write("session", "w2014-sends", s.b)
s = w2014_online()
s.send(0, "a").error("Send", 1).next_timer().error("Send", 6).send(0, "b").reply("Poll", '{"retcode":116,"p":"2c0d8375e6c09f2af3ce60c6e081bdf4db271a14d0d85060"}')
s.reply("Send", '{"retcode":100001}', status=502).reply("Poll", '{"retcode":103,"errmsg":""}')
write("session", "w2014-faults", s.b)
s = Script(1, True)
s.reply("LoginPage", "<html>no sig since 2015-04</html>").reply("Check", lines(3, "ptui")[0])
s.reply("Captcha", b"\xff\xd8JPEG")
s.b += bytes([5, 0])  # submit the captcha
s.reply("Login", lines(9, "ptui")[0])
s.reply("Check", lines(1, "ptui")[1]).reply("Login", lines(7, "ptui")[0])
write("session", "w2013-captcha", s.b)
write("session", "s2018-polls", polls(s2018_online(), caps + ['{"retcode":0,"retmsg":"ok","errmsg":"error"}']).b)
s = s2018_online()
s.send(2, "hello [微笑]").reply("Send", '{"errCode":0,"msg":"send ok"}').reply("Poll", "", status=504)
s.reply("Poll", '{"retcode":100012}').wait(200).reply("Poll", lines(57, "{")[0])
write("session", "s2018-send-relogin", s.b)
s = Script(2, True)
s.reply("LoginPage", "").reply("Check", r"ptui_checkVC('0','!ZDP','\x96\x00\xb9\xd6\xcf\x87\xae\xf4','34bfca26f1d14b3ab7f93c0deeb782dfc5e723bc055952acf969ebf7d1c4','1');")
s.reply("Login", LOGIN_OK, cookies=("ptwebqq",)).reply("CheckSig", "", status=302)
s.reply("GetVfwebqq", json.dumps(vf)).next_timer().reply("GetVfwebqq", json.dumps({"retcode": 0, "result": vf["result"]}))
s.reply("Login2", LOGIN2)
write("session", "s2015-password", contacts(s).b)
print("seeds written under", os.path.join(HERE, "corpus"))

# ---- emulator_requests: client requests as the real clients sent them ---------------------
EMU_HEADERS = ("User-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 Chrome/49.0\r\n"
               "Referer: http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2\r\n")


def http_request(method, url, body=None, extra=""):
    rest = url.split("://", 1)[1]
    host, _, target = rest.partition("/")
    req = f"{method} /{target} HTTP/1.1\r\nHost: {host}\r\n{EMU_HEADERS}{extra}"
    if body is None:
        return (req + "\r\n").encode()
    body = body.encode()
    return (req + "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class EmuScript:
    def __init__(self, profile, config=0, cut=128):
        self.b = bytearray([profile, config, cut])

    def accept(self, slot):
        self.b += bytes([0, slot])
        return self

    def data(self, slot, data):
        self.b += bytes([1, slot]) + struct.pack("<H", len(data)) + data
        return self

    def eof(self, slot):
        self.b += bytes([2, slot])
        return self

    def wait(self, quarters):
        self.b += bytes([3, 0, quarters])
        return self

    def deadline(self):
        self.b += bytes([4, 0])
        return self


from urllib.parse import quote

R_POLL = json.dumps({"ptwebqq": "PTW", "clientid": 53999199, "psessionid": "PS", "key": ""})
R_SEND = json.loads(lines(61, "r:")[0][2:])
group_get = [l for l in CAP[29] if l.startswith("http")][0]
reqs = [
    http_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver"),
    http_request("GET", "https://ui.ptlogin2.qq.com/cgi-bin/login?daid=164&target=self&style=16&mibao_css=m_webqq&appid=501004106&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20131024001"),
    http_request("GET", "https://ssl.ptlogin2.qq.com/check?pt_tea=1&uin=10001&appid=501004106&js_ver=10114&js_type=0&login_sig=&u1=http%3A%2F%2Fw.qq.com%2Fproxy.html&r=0.5"),
    http_request("GET", "https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1&daid=164"),
    http_request("GET", "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken=1178303247&webqq_type=10&remember_uin=1&login2qq=1&aid=501004106&u1=http%3A%2F%2Fw.qq.com%2Fproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&ptredirect=0&ptlang=2052&daid=164&from_ui=1&pttype=1&dumy=&fp=loginerroralert&action=0-0-1&mibao_css=m_webqq&t=1&g=1&js_type=0&js_ver=10197&login_sig=&pt_randsalt=2"),
    http_request("GET", group_get.replace("http://", "http://", 1)),
    http_request("POST", "http://d1.web2.qq.com/channel/login2", "r=" + quote(json.dumps({"ptwebqq": "PTW", "clientid": 53999199, "psessionid": "", "status": "online"}))),
    http_request("POST", "http://d1.web2.qq.com/channel/poll2", "r=" + quote(R_POLL)),
    http_request("POST", "http://d.web2.qq.com/channel/send_buddy_msg2", "r=" + quote(json.dumps(R_SEND))),
    http_request("POST", "http://s.web2.qq.com/api/get_user_friends2", "r=" + quote(json.dumps({"vfwebqq": "VF", "hash": "00C8003300CA00F0"}))),
    http_request("POST", "http://ui.ptlogin2.qq.com/_emulator/qr/scan", "{}"),
    http_request("POST", "http://ui.ptlogin2.qq.com/_emulator/say", json.dumps({"from": 10002, "to": {"buddy": 10001}, "text": "hi"})),
    http_request("GET", "http://ui.ptlogin2.qq.com/_emulator/sessions"),
]
for profile in range(5):
    s = EmuScript(profile, config=4 * profile + (profile % 2))
    for i, r in enumerate(reqs):
        slot = i % 4
        s.accept(slot).data(slot, r)
        if i % 3 == 2:
            s.eof(slot)
    s.wait(8).deadline()
    write("emulator_requests", f"profile{profile}-endpoints", s.b)
pipelined = b"".join(reqs[:3]) + http_request("HEAD", "http://ui.ptlogin2.qq.com/cgi-bin/ver")
write("emulator_requests", "pipelined-head",
      EmuScript(4).accept(0).data(0, pipelined[:50]).data(0, pipelined[50:]).eof(0).b)
chunked = (b"POST /channel/poll2 HTTP/1.1\r\nHost: d1.web2.qq.com\r\nTransfer-Encoding: chunked\r\n"
           b"Expect: 100-continue\r\n\r\n5\r\nr=%7B\r\n4;ext=1\r\n%7D \r\n0\r\nX-T: 1\r\n\r\n")
write("emulator_requests", "chunked-continue", EmuScript(4).accept(1).data(1, chunked).deadline().b)
poll = http_request("POST", "http://d1.web2.qq.com/channel/poll2", "r=" + quote(R_POLL), "Connection: keep-alive\r\n")
write("emulator_requests", "held-poll-idle",
      EmuScript(2, config=2).accept(0).data(0, poll).wait(255).deadline().deadline().accept(1).data(1, reqs[0]).b)
write("emulator_requests", "bad-request",
      EmuScript(0).accept(0).data(0, b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").b)
print("emulator seeds written")

# ---- client: server bytes on the connection that carried a request to a path ---------------
CPATHS = ["/cgi-bin/login", "/check", "/getimage", "/login", "/check_sig", "/ptqrshow", "/ptqrlogin",
          "/api/getvfwebqq", "/channel/login2", "/api/get_user_friends2",
          "/api/get_group_name_list_mask2", "/api/get_discus_list", "/api/get_self_info2",
          "/channel/get_online_buddies2", "/channel/get_recent_list2", "/channel/poll2",
          "/channel/send_buddy_msg2", "/channel/send_qun_msg2", "/channel/send_discu_msg2",
          "/channel/send_sess_msg2", "/channel/get_c2cmsg_sig2", "/api/get_group_info_ext2",
          "/channel/get_discu_info", "/api/get_friend_uin2", "/web2/get_msg_tip", "/channel/logout2",
          "/pt4_auth", "/"]
SET_COOKIE = {
    "ptwebqq": "ptwebqq=PTW; Path=/; Domain=qq.com",
    "qrsig": "qrsig=hJ9GvNx*oIvLjP5I5dQ19KPa3zwxNI62eALLO; Path=/; Domain=ptlogin2.qq.com",
    "uin": "uin=o0123456789; Path=/; Domain=qq.com",
    "skey": "skey=@abc; Path=/; Domain=qq.com",
    "p_skey": "p_skey=PS; Path=/; Domain=web2.qq.com",
}


def http_response(body, status=200, cookies=(), ctype="text/plain; charset=utf-8", extra=""):
    body = body.encode() if isinstance(body, str) else body
    reason = {200: "OK", 302: "Found", 502: "Bad Gateway", 504: "Gateway Time-out"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\nServer: tws\r\nContent-Type: {ctype}\r\n"
    for c in cookies:
        head += f"Set-Cookie: {SET_COOKIE[c]}\r\n"
    head += f"{extra}Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    return head.encode() + body


class ClientScript:
    def __init__(self, profile, password, seed=3):
        self.b = bytearray([profile, (seed << 2) | int(password)])

    def reply(self, path, body, status=200, cookies=(), extra=""):
        r = http_response(body, status, cookies, extra=extra)
        self.b += bytes([1, CPATHS.index(path)]) + struct.pack("<H", len(r)) + r
        return self

    def eof(self, path):
        self.b += bytes([2, CPATHS.index(path), 0])
        return self

    def next_timer(self):
        self.b += bytes([4])
        return self

    def send(self, target, text):
        t = text.encode()
        t += b" " * (-len(t) % 8)
        self.b += bytes([5, target, len(t) // 8]) + t
        return self


def client_contacts(s):
    return (s.reply("/api/get_user_friends2", FRIENDS).reply("/api/get_group_name_list_mask2", GROUPS)
            .reply("/api/get_discus_list", DISCUS).reply("/api/get_self_info2", SELF)
            .reply("/channel/get_online_buddies2", ONLINE)
            .reply("/channel/get_recent_list2", '{"retcode":0,"result":[]}'))


def client_w2014():
    s = ClientScript(1, True)
    s.reply("/cgi-bin/login", '<script>var g_login_sig=encodeURIComponent("SIG1");</script>')
    s.reply("/check", lines(5, "ptui")[0])
    s.reply("/login", LOGIN_OK, cookies=("ptwebqq", "skey", "uin"))
    s.reply("/check_sig", "", status=302, cookies=("p_skey",), extra="Location: http://w.qq.com/proxy.html\r\n")
    s.reply("/channel/login2", LOGIN2)
    return client_contacts(s)


def client_s2018():
    s = ClientScript(4, False, 5)
    s.reply("/ptqrshow", b"\x89PNG", cookies=("qrsig",))
    s.next_timer().reply("/ptqrlogin", "ptuiCB('66','0','','0','二维码未失效。', '');")
    s.next_timer().reply("/ptqrlogin", "ptuiCB('67','0','','0','二维码认证中。', '');")
    s.next_timer().reply("/ptqrlogin", open(os.path.join(HERE, "corpus/ptui_parsers/seed-cap15"), "rb").read())
    s.reply("/check_sig", "", status=302, cookies=("ptwebqq", "uin"), extra="Location: http://w.qq.com/proxy.html\r\n")
    s.reply("/api/getvfwebqq", json.dumps({"retcode": 0, "result": {"vfwebqq": vf["result"]["vfwebqq"]}}))
    s.reply("/channel/login2", lines(19, "{")[1])
    return client_contacts(s)


s = client_w2014()
for body in caps[:6]:
    s.reply("/channel/poll2", body).next_timer()
write("client", "w2014-polls", s.b)
s = client_w2014()
s.send(0, "hello").reply("/channel/send_buddy_msg2", '{"retcode":0,"result":"ok"}')
s.next_timer().send(1, "群消息发送测试[呲牙]").reply("/channel/send_qun_msg2", '{"errmsg":"error!!!","retcode":1202}')
s.reply("/channel/poll2", caps[0]).next_timer().send(3, "hi")
s.reply("/channel/get_c2cmsg_sig2", '{"retcode":0,"result":{"type":10,"value":"c4e6"}}')
s.eof("/channel/send_sess_msg2").next_timer().reply("/channel/poll2", '{"retcode":121,"t":"0"}')
s.reply("/channel/login2", LOGIN2).send(2, "字" * 300).reply("/channel/send_discu_msg2", "", status=502)
write("client", "w2014-sends", s.b)
s = client_s2018()
for body in caps[6:12] + ['{"retcode":0,"retmsg":"ok","errmsg":"error"}']:
    s.reply("/channel/poll2", body).next_timer()
s.reply("/channel/poll2", "", status=504).next_timer().reply("/channel/poll2", '{"retcode":103,"errmsg":""}')
write("client", "s2018-polls", s.b)
chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(caps[0]) + caps[0].encode()
           + b"\r\n0\r\n\r\n")
s = client_w2014()
s.b += bytes([1, CPATHS.index("/channel/poll2")]) + struct.pack("<H", len(chunked)) + chunked
write("client", "w2014-chunked-poll", s.b)
print("client seeds written")
