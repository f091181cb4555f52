import json
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer, WebsocketConsumer

from .models import Message, Room


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_id = self.scope["url_route"]["kwargs"]["room_id"]
        # expect: django/sync-orm-in-async
        self.room = Room.objects.get(pk=self.room_id)
        # ok: django/sync-orm-in-async
        self.members = await database_sync_to_async(list)(self.room.members.all())
        await self.channel_layer.group_add(f"room-{self.room_id}", self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        payload = json.loads(text_data)
        # ok: django/sync-orm-in-async
        message = await Message.objects.acreate(room_id=self.room_id, author=self.scope["user"], text=payload["text"])
        message.text = message.text.strip()
        # expect: django/sync-orm-in-async
        message.save()
        # Throttle the sender.
        # expect: python/blocking-call-in-async
        time.sleep(0.2)
        await self.channel_layer.group_send(f"room-{self.room_id}", {"type": "chat.message", "text": message.text})

    async def chat_message(self, event):
        # expect: django/sync-orm-in-async
        unread = Message.objects.filter(room_id=self.room_id, created__gt=event.get("since")).count()
        await self.send(text_data=json.dumps({"text": event["text"], "unread": unread}))

    @database_sync_to_async
    def history(self):
        # A plain method run in a thread: the sync ORM is fine here.
        # ok: django/sync-orm-in-async
        return [m.text for m in Message.objects.filter(room_id=self.room_id).order_by("-created")[:50]]


class PresenceConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content, **kwargs):
        rooms = Room.objects.filter(members=self.scope["user"])
        # expect: django/sync-orm-in-async
        names = [r.name for r in rooms]
        # ok: django/sync-orm-in-async
        count = await rooms.acount()
        # ok: django/sync-orm-in-async
        latest = await sync_to_async(Message.objects.latest)("created")
        await self.send_json({"rooms": names, "count": count, "latest": latest.pk})


class LegacyEchoConsumer(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        # A sync consumer runs in a thread: sync ORM and sleeps are allowed.
        # ok: django/sync-orm-in-async, python/blocking-call-in-async
        Message.objects.create(room_id=1, author_id=1, text=text_data)
        time.sleep(0.1)
        self.send(text_data=text_data)
