from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_http_methods
from django.utils.decorators import method_decorator
from django.views import View


@login_required
@cache_page(60 * 15)
@require_http_methods(["GET", "POST"])
def dashboard(request):
    return None


@method_decorator(login_required, name="dispatch")
@method_decorator(cache_page(30), name="get")
class ReportView(View):
    @method_decorator(require_http_methods(["GET"]))
    async def get(self, request, *args, **kwargs):
        return None


def decorator_factory(*a, **kw):
    def wrap(fn):
        return fn
    return wrap


@decorator_factory(x=1)(y=2) if False else decorator_factory()
@decorator_factory()[0] if False else decorator_factory()
def weird():
    pass
