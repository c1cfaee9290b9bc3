"""OpenTelemetry's httpx instrumentation sees the SDK's requests: one span per attempt.

`HTTPXClientInstrumentor().instrument()` wraps httpx's own `HTTPTransport` and
`AsyncHTTPTransport`, which the SDK's retrying transports send through: each attempt,
a retry included, is then a span of its own. The fixture undoes the wrapping after each
test, so nothing traces the other tests.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from close_seq_ext import make_client
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.sequences import list_sequences

LIST_PATH = "/api/v1/sequence/"
QUICK_RETRIES = {"backoff_initial": 0.001, "backoff_max": 0.001}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """httpx instrumented globally, its spans kept in memory; uninstrumented afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    assert not hasattr(httpx.AsyncHTTPTransport.handle_async_request, "__wrapped__")
    assert not hasattr(httpx.HTTPTransport.handle_request, "__wrapped__")


def statuses(exporter: InMemorySpanExporter) -> list[Any]:
    """The HTTP status of each finished span, in the order they ended."""
    return [_status(span) for span in exporter.get_finished_spans()]


def _status(span: ReadableSpan) -> Any:
    attributes = span.attributes or {}
    # The stable name, or the old one, as OTEL_SEMCONV_STABILITY_OPT_IN chooses.
    return attributes.get("http.response.status_code", attributes.get("http.status_code"))


def client_options(server: CloseServer) -> dict[str, Any]:
    server.inject("GET", LIST_PATH, Fault.status(503))
    return {"api_key": server.api_key, "base_url": server.base_url, **QUICK_RETRIES}


@pytest.mark.anyio
async def test_each_attempt_of_an_async_call_is_a_span(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    async with make_client(**client_options(close_server)) as client:
        await list_sequences.asyncio(client=client)

    assert statuses(spans) == [503, 200]


def test_each_attempt_of_a_sync_call_is_a_span(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    with make_client(**client_options(close_server)) as client:
        list_sequences.sync(client=client)

    assert statuses(spans) == [503, 200]


@pytest.mark.anyio
async def test_spans_carry_neither_the_key_nor_its_header(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    async with make_client(**client_options(close_server)) as client:
        await list_sequences.asyncio(client=client)

    basic = base64.b64encode(f"{close_server.api_key}:".encode()).decode()
    texts = [span.to_json() for span in spans.get_finished_spans()]
    assert len(texts) == 2
    for text in texts:
        assert LIST_PATH in text
        assert close_server.api_key not in text
        assert basic not in text
