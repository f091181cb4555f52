"""Reporting views: raw SQL, shell exports and HTML snippets, some done right."""
import base64
import os
import pickle
import shlex
import subprocess

import yaml
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views import View

from .models import Sale

ORDER_COLUMNS = {"total": "total", "date": "created"}
SALES_TABLE = "reports_sale"


def sales_report(request):
    order = ORDER_COLUMNS.get(request.GET.get("order"), "created")
    since = request.GET.get("since", "2024-01-01")
    with connection.cursor() as cursor:
        # Only the column comes from the request, and through a fixed mapping.
        # ok: django/sql-injection
        cursor.execute("SELECT region, SUM(total) FROM " + SALES_TABLE + " WHERE created >= %s GROUP BY region", [since])
        totals = cursor.fetchall()
        # expect: django/sql-injection
        cursor.execute(f"SELECT customer, total FROM reports_sale WHERE created >= '{since}' ORDER BY {order}")
        rows = cursor.fetchall()
    return JsonResponse({"totals": totals, "rows": rows})


def region_report(request, region):
    limit = int(request.GET.get("limit", "50"))
    # The URL kwarg is request data: an error.
    # expect: django/sql-injection
    sales = Sale.objects.raw("SELECT * FROM reports_sale WHERE region = '%s' LIMIT %d" % (region, limit))
    ids = [s.pk for s in sales]
    placeholders = ", ".join(["%s"] * len(ids))
    # ok: django/sql-injection
    top = Sale.objects.raw(f"SELECT * FROM reports_sale WHERE id IN ({placeholders}) ORDER BY total DESC", ids)
    return JsonResponse({"top": [s.pk for s in top]})


def refresh_materialized_view(view_name):
    """Called from a management command with names from the code: a warning, not request data."""
    with connection.cursor() as cursor:
        # expect: django/sql-injection
        cursor.execute("REFRESH MATERIALIZED VIEW " + view_name)


class CustomerSearch(View):
    def get(self, request):
        name = request.GET.get("name", "")
        # expect: django/unsafe-mark-safe
        heading = mark_safe(f"<h1>Results for {name}</h1>")
        # ok: django/unsafe-mark-safe
        safe_heading = format_html("<h1>Results for {}</h1>", name)
        # ok: django/unsafe-mark-safe
        escaped = mark_safe("<h2>" + escape(name) + "</h2>")
        # expect: django/unsafe-mark-safe
        subtitle = format_html("<p>{}</p>".format(name))
        return HttpResponse(heading + safe_heading + escaped + subtitle)


def customer_badge(customer):
    # Data from the database is not request data, but still not escaped.
    # expect: django/unsafe-mark-safe
    return mark_safe('<span class="badge">' + customer.nickname + "</span>")


def login_done(request):
    next_url = request.GET.get("next", "/")
    if request.GET.get("fast"):
        # ok: django/open-redirect
        return redirect("/dashboard/?from=" + next_url)
    # expect: django/open-redirect
    return HttpResponseRedirect(next_url)


def back_to_region(request, region):
    # ok: django/open-redirect
    return redirect("reports:region", region=region)


def export(request):
    region = request.POST["region"]
    fmt = request.POST.get("format", "csv")
    # expect: python/command-injection
    os.system(f"pg_dump --table=reports_sale --where=\"region='{region}'\" > /tmp/{region}.{fmt}")
    # ok: python/command-injection
    subprocess.run(["gzip", f"/tmp/{region}.{fmt}"], check=True)
    # ok: python/command-injection
    subprocess.run("gzip -f /tmp/" + shlex.quote(region) + ".csv", shell=True, check=True)
    return HttpResponse("queued")


def rotate_logs(directory):
    # expect: python/command-injection
    subprocess.check_call("find %s -name '*.log' -mtime +7 -delete" % directory, shell=True)


def import_layout(request):
    # expect: python/unsafe-deserialization
    layout = pickle.loads(base64.b64decode(request.POST["layout"]))
    # expect: python/unsafe-deserialization
    options = yaml.load(request.POST.get("options", "{}"), Loader=yaml.Loader)
    # ok: python/unsafe-deserialization
    defaults = yaml.safe_load(request.POST.get("defaults", "{}"))
    return JsonResponse({"layout": layout, "options": options, "defaults": defaults})


def load_cached_layout(blob):
    # Bytes from our own cache: a warning, not request data.
    # expect: python/unsafe-deserialization
    return pickle.loads(blob)


def switch_report(request, region):
    # A URL kwarg is a path segment the pattern matched: the redirect stays on the site.
    # ok: django/open-redirect
    return redirect(region)


def report_link(request):
    # The condition reads the request, the value does not.
    # ok: django/open-redirect
    target = "/reports/full/" if "full" in request.GET else "/reports/"
    return redirect(target)


def paginate(request):
    base = reverse("reports:list")
    page = request.GET.get("page", "1")
    # ok: django/open-redirect
    return HttpResponseRedirect(f"{base}?page={page}")


def back(request):
    # The Referer header is whatever the client sends.
    # expect: django/open-redirect
    return redirect(request.META.get("HTTP_REFERER", "/"))


def load_report_layout(path):
    with open(path) as f:
        # ok: python/unsafe-deserialization
        return yaml.load(f, Loader=yaml.SafeLoader)


def load_pickled_defaults():
    # A literal payload shipped with the code.
    # ok: python/unsafe-deserialization
    return pickle.loads(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94.")
