"""Decodes HTTP/1.1 responses with Python's h11, for the differential test in codec_h11.rs.

stdin: a JSON list of {"method": str, "wire": hex}; stdout: a JSON list with, per response,
{"status", "reason" (hex), "headers" [[name, value hex]], "body" (hex), "trailers", "error"}.
Each wire holds one response, then the connection closes.
"""
import json
import sys

import h11


def decode(method, wire):
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "example")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    conn.receive_data(b"")
    out = {"status": None, "reason": "", "headers": [], "body": "", "trailers": [], "error": None}
    body = bytearray()
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                out["error"] = "incomplete"
                break
            if isinstance(event, h11.Response):
                out["status"] = event.status_code
                out["reason"] = event.reason.hex()
                out["headers"] = [[n.decode(), v.hex()] for n, v in event.headers]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                out["trailers"] = [[n.decode(), v.hex()] for n, v in event.headers]
                break
    except h11.RemoteProtocolError as e:
        out["error"] = str(e)
    out["body"] = bytes(body).hex()
    return out


cases = json.load(sys.stdin)
json.dump([decode(c["method"], bytes.fromhex(c["wire"])) for c in cases], sys.stdout)
