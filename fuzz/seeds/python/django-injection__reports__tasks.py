"""Background jobs that talk to the ERP."""
import httpx
import requests
from celery import shared_task

ERP = "https://erp.example.com/api"


@shared_task
def push_daily_totals(totals):
    # expect: python/request-without-timeout
    requests.post(f"{ERP}/totals", json=totals)


@shared_task(bind=True, max_retries=3)
def sync_customers(self):
    session = requests.Session()
    # expect: python/request-without-timeout
    customers = session.get(f"{ERP}/customers").json()
    # ok: python/request-without-timeout
    session.post(f"{ERP}/ack", json={"n": len(customers)}, timeout=10)
    # No explicit budget for this task's call (httpx's 5 s default is not a decision).
    # expect: python/request-without-timeout
    httpx.get(f"{ERP}/ping")
    with httpx.Client(timeout=5) as client:
        # ok: python/request-without-timeout
        client.get(f"{ERP}/health")
    # expect: python/request-without-timeout
    httpx.get(f"{ERP}/slow-report", timeout=None)


def cli_fetch(url):
    """Used by a management command, not a view or task."""
    # ok: python/request-without-timeout
    return requests.get(url).text
