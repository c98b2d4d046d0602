"""An ordinary aiocqhttp bot (PyPI, unmodified library): it answers every private message
with "pong: <text>" and prints the gateway's answer to that send as one JSON line."""
import json
import sys

from aiocqhttp import CQHttp

port, token = int(sys.argv[1]), sys.argv[2]
bot = CQHttp(access_token=token)


@bot.on_message("private")
async def pong(event):
    result = await bot.send(event, "pong: " + event.raw_message)
    print(json.dumps({"got": event.raw_message, "user_id": event.user_id, "reply": result}), flush=True)


bot.run(host="127.0.0.1", port=port)
