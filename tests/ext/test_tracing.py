"""OpenTelemetry's httpx instrumentation sees the SDK's requests: one span per attempt.

`HTTPXClientInstrumentor().instrument()` wraps httpx's own `HTTPTransport` and
`AsyncHTTPTransport`, which the SDK's retrying transports send through: each attempt,
a retry included, is then a span of its own. The fixture undoes the wrapping after each
test, so nothing traces the other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from close_seq_ext.testing import CloseServer

from .observe_support import LIST_PATH, key_forms, list_after_a_503, list_after_a_503_sync


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


@pytest.mark.anyio
async def test_each_attempt_of_an_async_call_is_a_span(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    await list_after_a_503(close_server)

    assert statuses(spans) == [503, 200]


def test_each_attempt_of_a_sync_call_is_a_span(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    list_after_a_503_sync(close_server)

    assert statuses(spans) == [503, 200]


@pytest.mark.anyio
async def test_spans_carry_neither_the_key_nor_its_header(
    close_server: CloseServer, spans: InMemorySpanExporter
) -> None:
    await list_after_a_503(close_server)

    texts = [span.to_json() for span in spans.get_finished_spans()]
    assert len(texts) == 2
    for text in texts:
        assert LIST_PATH in text
        for secret in key_forms(close_server):
            assert secret not in text
