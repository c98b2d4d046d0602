"""qqbot plugin: answer every buddy message with "echo: <text>" (qqbot's documented hook)."""


def onQQMessage(bot, contact, member, content):
    if contact.ctype == "buddy" and not content.startswith("echo: "):
        bot.SendTo(contact, "echo: " + content)
