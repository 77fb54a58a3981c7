"""Text from AWS or logs that would be Slack markup if trusted: mentions, forged links, entities, fences."""

EVIL = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123|general>",
    "<!subteam^S123>",
    "<http://evil.example|click>",
    "<https://evil.example>",
    "a & b",
    "``` break out ```",
    "`inline`",
]
PAYLOAD = " ".join(EVIL)
