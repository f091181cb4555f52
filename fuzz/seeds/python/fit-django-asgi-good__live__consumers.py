from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Card


class BoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add("board", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard("board", self.channel_name)

    async def receive_json(self, content):
        card = await Card.objects.aget(pk=content["card"])
        card.title = content["title"]
        await card.asave(update_fields=["title", "updated"])
        await self.channel_layer.group_send("board", {"type": "card.updated", "card": card.pk, "title": card.title})

    async def card_updated(self, event):
        await self.send_json(event)
