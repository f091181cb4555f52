import json

import stripe
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from .models import Order, OrderLine, Product


class ProductListView(ListView):
    template_name = "catalog/product_list.html"
    paginate_by = 24

    def get_queryset(self):
        return Product.objects.filter(active=True).select_related("category").order_by("name")


# Search is read-only: exempting a GET-only view changes nothing.
# ok: django/csrf-exempt
@method_decorator(csrf_exempt, name="dispatch")
class ProductSearchView(ListView):
    template_name = "catalog/product_list.html"

    def get_queryset(self):
        q = self.request.GET.get("q", "")
        return Product.objects.filter(active=True, name__icontains=q).select_related("category")


@require_GET
# ok: django/csrf-exempt
@csrf_exempt
def stock_level(request, sku):
    product = get_object_or_404(Product, sku=sku)
    return JsonResponse({"sku": product.sku, "stock": product.stock})


# The mini-cart widget posts without a token "because it is only JavaScript".
# expect: django/csrf-exempt
@csrf_exempt
def add_to_cart(request):
    payload = json.loads(request.body)
    product = get_object_or_404(Product, pk=payload["product_id"], active=True)
    cart = request.session.setdefault("cart", {})
    cart[str(product.pk)] = cart.get(str(product.pk), 0) + int(payload.get("quantity", 1))
    request.session.modified = True
    return JsonResponse({"items": sum(cart.values())})


# expect: django/csrf-exempt
@method_decorator(csrf_exempt, name="dispatch")
class CheckoutView(LoginRequiredMixin, View):
    def get(self, request):
        return HttpResponse(status=405)

    def post(self, request):
        cart = request.session.get("cart", {})
        if not cart:
            return HttpResponseBadRequest("empty cart")
        products = Product.objects.in_bulk([int(pk) for pk in cart])
        with transaction.atomic():
            order = Order.objects.create(customer=request.user)
            OrderLine.objects.bulk_create(
                OrderLine(order=order, product=products[int(pk)], quantity=qty, price=products[int(pk)].price)
                for pk, qty in cart.items()
            )
        request.session["cart"] = {}
        return redirect("catalog:product-list")


# Stripe cannot send a CSRF token; the signature check below authenticates the call.
@csrf_exempt  # stackfit: ignore[django/csrf-exempt]
@require_POST
def stripe_webhook(request):
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponseBadRequest()
    if event["type"] == "payment_intent.succeeded":
        intent = event["data"]["object"]
        Order.objects.filter(stripe_payment_intent=intent["id"]).update(status=Order.PAID)
    return HttpResponse(status=204)
