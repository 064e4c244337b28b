"""The baseline of `messaging_fanout`: a bare Channels consumer that joins one group and echoes
whatever is sent to it through the channel layer. No authentication, no database, no middleware."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.messaging_bare_settings")

import django

django.setup()

from typing import Any  # noqa: E402

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "bench.fanout"


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def fanout_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/notifications/", EchoConsumer.as_asgi())])}
)
