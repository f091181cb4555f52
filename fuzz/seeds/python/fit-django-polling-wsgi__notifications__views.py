import json
import time

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from .models import Notification


@login_required
def inbox(request):
    latest = Notification.objects.filter(recipient=request.user).order_by("-created")[:50]
    return render(request, "notifications/inbox.html", {"notifications": latest})


@login_required
def poll(request):
    """Called by the page every two seconds: anything newer than `since`?"""
    since = int(request.GET.get("since", 0))
    fresh = Notification.objects.filter(recipient=request.user, pk__gt=since).values("pk", "text")
    return JsonResponse({"notifications": list(fresh)})


@login_required
def wait_for_news(request):
    """Long polling: holds the request (and its gunicorn worker) until there is news."""
    since = int(request.GET.get("since", 0))
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        fresh = list(Notification.objects.filter(recipient=request.user, pk__gt=since).values("pk", "text"))
        if fresh:
            return JsonResponse({"notifications": fresh})
        time.sleep(1)
    return JsonResponse({"notifications": []})


@login_required
def stream(request):
    """Server-sent events: one worker per open tab, for as long as the tab stays open."""
    user = request.user

    def events():
        last = 0
        while True:
            for n in Notification.objects.filter(recipient=user, pk__gt=last).values("pk", "text"):
                last = n["pk"]
                yield f"data: {json.dumps(n)}\n\n"
            time.sleep(2)

    return StreamingHttpResponse(events(), content_type="text/event-stream")
