import asyncio
import subprocess

import httpx
import requests
from django.http import JsonResponse

from .models import Message, Room


async def room_detail(request, room_id):
    # ok: django/sync-orm-in-async
    room = await Room.objects.aget(pk=room_id)
    # expect: django/sync-orm-in-async
    member_count = room.members.count()
    return JsonResponse({"name": room.name, "members": member_count})


async def room_messages(request, room_id):
    messages = Message.objects.filter(room_id=room_id).order_by("-created")
    data = []
    # expect: django/sync-orm-in-async
    for m in messages:
        data.append({"text": m.text})
    # ok: django/sync-orm-in-async
    async for m in Message.objects.filter(room_id=room_id, text__icontains="urgent"):
        data.append({"urgent": m.text})
    return JsonResponse({"messages": data})


async def export_room(request, room_id):
    # expect: python/blocking-call-in-async
    subprocess.run(["pg_dump", "--table=chat_message", "chat"], check=True)
    # ok: python/blocking-call-in-async
    await asyncio.to_thread(subprocess.run, ["gzip", "/tmp/chat.sql"], check=True)
    # ok: python/blocking-call-in-async
    proc = await asyncio.create_subprocess_exec("ls", "/tmp")
    await proc.wait()
    return JsonResponse({"ok": True})


async def room_weather(request, room_id):
    # expect: python/blocking-call-in-async, python/request-without-timeout
    forecast = requests.get("https://weather.example.com/today").json()
    # ok: python/blocking-call-in-async, python/request-without-timeout
    async with httpx.AsyncClient() as client:
        alerts = (await client.get("https://weather.example.com/alerts")).json()
    return JsonResponse({"forecast": forecast, "alerts": alerts})


def sync_weather(request):
    # ok: python/request-without-timeout
    return JsonResponse(requests.get("https://weather.example.com/today", timeout=5).json())
