"""Views that touch the risky APIs the safe way."""
import shlex
import subprocess

import requests
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from rest_framework import generics
from rest_framework.permissions import AllowAny

from .models import Product

SEARCH_SQL = "SELECT id, name FROM store_product WHERE name ILIKE %s LIMIT %s"
STOCK_API = "https://erp.example.com/stock/"


def product_detail(request, pk):
    product = get_object_or_404(Product, pk=pk)
    # ok: python/request-without-timeout
    stock = requests.get(STOCK_API + product.sku, timeout=(3.05, 10)).json()
    # ok: django/unsafe-mark-safe
    badge = format_html('<span class="sku">{}</span>', product.sku)
    return render(request, "store/detail.html", {"product": product, "badge": badge, "stock": stock})


def search(request):
    q = request.GET.get("q", "")
    limit = int(request.GET.get("limit", "20"))
    with connection.cursor() as cursor:
        # ok: django/sql-injection
        cursor.execute(SEARCH_SQL, [f"%{q}%", limit])
        rows = cursor.fetchall()
    return JsonResponse({"results": rows})


def set_language(request):
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=True):
        next_url = "/"
    response = HttpResponseRedirect(next_url)  # ok: django/open-redirect
    response.set_cookie("lang", request.POST.get("lang", "en"), secure=True, httponly=True)
    return response


def go_to_product(request, pk):
    # A fixed path prefix cannot leave the site.
    # ok: django/open-redirect
    return redirect(f"/products/{pk}/")


def export(request, pk):
    name = get_object_or_404(Product, pk=pk).sku
    # ok: python/command-injection
    out = subprocess.check_output("zip -r /tmp/export.zip " + shlex.quote(name), shell=True, timeout=60)
    return JsonResponse({"size": len(out)})


def help_icon(request):
    # ok: django/unsafe-mark-safe
    return JsonResponse({"icon": mark_safe("<svg aria-hidden='true'></svg>")})


class ProductList(generics.ListAPIView):
    """Read-only catalogue, public on purpose."""

    queryset = Product.objects.order_by("name")
    # ok: drf/default-allow-any
    permission_classes = [AllowAny]
