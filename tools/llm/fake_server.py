"""A local OpenAI-compatible chat server for tests: scripted answers and injected faults.

    with FakeOpenAIServer({"draft": ["```html ...```"], "default": ["ok"]}) as srv:
        settings = LLMSettings(model=srv.model, api_base=srv.api_base, api_key="x")

It listens on 127.0.0.1 at a free port and serves `POST /v1/chat/completions`. Answers are
picked by the purpose header the gateway sends (`X-IWR-Purpose`) and order, falling back to
`default`; a plain list is a `default`-only script. An entry is a string (the answer text) or
a mapping:

- `{"text": "...", "usage": [prompt, completion]}`  an answer with its own usage;
- `{"fault": "rate_limit", "retry_after": 1}`      429 with a Retry-After header;
- `{"fault": "server"}`                            500;
- `{"fault": "bad_request"}`                       400;
- `{"fault": "auth"}`                              401 (a rejected key);
- `{"fault": "not_found"}`                         404 (an unknown model);
- `{"fault": "context_window"}`                    400 with OpenAI's `context_length_exceeded`;
- `{"fault": "delay", "seconds": 5, "text": ...}`  answer after a delay (use > timeout);
- `{"fault": "empty_choices"}`                     200 with `choices: []`;
- `{"fault": "empty_content"}`                     200 with an empty message;
- `{"fault": "no_code"}`                           prose without any code block;
- `{"fault": "truncated_code"}`                    an html block cut off mid-document.

A request with `"stream": true` gets its answer as server-sent chunks of at most 16
characters (`{"text": ..., "chunk_delay": 0.01}` paces them). `streams` holds, per streamed
request, how many content chunks were written before it ended or the client hung up, and
whether it ran to the end.

Like a real provider, the server can check the key and the model before the script is
consulted: `api_key="sk-..."` answers 401 to any other bearer token, `models=["fake-model"]`
answers 404 to any other model name (requests refused this way are not recorded). `GET
/v1/models` lists the models.

Every request body (parsed JSON) is recorded in `requests`, with its purpose in `purposes`.
When the script is used up the server answers 500 with a message saying so.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NO_CODE_TEXT = "I would build the page with a header, a list and a button. Let me know if you want the code."
TRUNCATED_CODE_TEXT = "```html\n<!DOCTYPE html>\n<html><head><title>Page</title></head>\n<body>\n<div class=\"a\">"

Entry = str | dict[str, Any]


class FakeOpenAIServer:
    """Context manager running the fake server; see the module docstring for the script."""

    model = "openai/fake-model"

    def __init__(self, script: dict[str, list[Entry]] | list[Entry] | None = None, *, usage: tuple[int, int] = (100, 50),
                 api_key: str | None = None, models: list[str] | None = None):
        self.api_key = api_key
        self.models = models
        self.refused = 0  # requests answered 401/404 by the key or model check
        self._script: dict[str, list[Entry]] = ({"default": list(script)} if isinstance(script, list)
                                                else {k: list(v) for k, v in (script or {}).items()})
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.usage = usage
        self.requests: list[dict[str, Any]] = []
        self.purposes: list[str | None] = []
        self.streams: list[tuple[int, bool]] = []  # (content chunks written, ran to the end) per streamed request
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_base(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def add(self, purpose: str, *entries: Entry) -> None:
        """Append entries to a purpose's script while running."""
        with self._lock:
            self._script.setdefault(purpose, []).extend(entries)

    def _take(self, purpose: str | None) -> Entry | None:
        with self._lock:
            for key in ([purpose] if purpose else []) + ["default"]:
                entries = self._script.get(key, [])
                i = self._next.get(key, 0)
                if i < len(entries):
                    self._next[key] = i + 1
                    return entries[i]
        return None

    def _record(self, body: dict[str, Any], purpose: str | None) -> None:
        with self._lock:
            self.requests.append(body)
            self.purposes.append(purpose)

    def __enter__(self) -> FakeOpenAIServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- answering ---------------------------------------------------------------

    def respond(self, entry: Entry | None, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, json body) for one scripted entry."""
        if entry is None:
            return 500, {}, _error("fake server: the script has no answer left", "server_error")
        if isinstance(entry, str):
            return 200, {}, self._completion(body, entry)
        fault = entry.get("fault")
        usage = tuple(entry.get("usage", self.usage))
        if fault == "rate_limit":
            return 429, {"Retry-After": str(entry.get("retry_after", 1))}, _error("rate limited", "rate_limit_exceeded")
        if fault == "server":
            return 500, {}, _error("internal error", "server_error")
        if fault == "bad_request":
            return 400, {}, _error("bad request", "invalid_request_error")
        if fault == "auth":
            return 401, {}, _error("Incorrect API key provided.", "invalid_api_key")
        if fault == "not_found":
            return 404, {}, _error(f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                                   "model_not_found")
        if fault == "context_window":
            return 400, {}, _error("This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
                                   "context_length_exceeded")
        if fault == "delay":
            self._stop.wait(float(entry.get("seconds", 10)))
            return 200, {}, self._completion(body, str(entry.get("text", "late")), usage)
        if fault == "empty_choices":
            out = self._completion(body, "")
            out["choices"] = []
            return 200, {}, out
        if fault == "empty_content":
            return 200, {}, self._completion(body, "", usage)
        if fault == "no_code":
            return 200, {}, self._completion(body, NO_CODE_TEXT, usage)
        if fault == "truncated_code":
            return 200, {}, self._completion(body, TRUNCATED_CODE_TEXT, usage, finish_reason="length")
        if fault is not None:
            return 500, {}, _error(f"fake server: unknown fault {fault!r}", "server_error")
        return 200, {}, self._completion(body, str(entry.get("text", "")), usage, entry.get("finish_reason", "stop"))

    def refusal(self, authorization: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """(status, json) when the key or the model is refused, as a provider would, else None."""
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return 401, _error("Incorrect API key provided.", "invalid_api_key")
        if self.models is not None and body.get("model") not in self.models:
            return 404, _error(f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                               "model_not_found")
        return None

    def _completion(self, body: dict[str, Any], text: str, usage: tuple[int, ...] | None = None,
                    finish_reason: str = "stop") -> dict[str, Any]:
        prompt, completion = (usage or self.usage)[:2]
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }


def _stream_events(payload: dict[str, Any], include_usage: bool) -> list[tuple[bool, bytes]]:
    """A completion as server-sent events: (is content, event bytes), ending with `[DONE]`."""
    choice = payload["choices"][0]
    head = {k: payload[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    text = choice["message"]["content"]
    pieces = [m[i : i + 16] for m in re.findall(r"[^\n]*\n|[^\n]+", text) for i in range(0, len(m), 16)]

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return f"data: {json.dumps(head | {'choices': choices} | extra)}\n\n".encode()

    out = [(True, event([{"index": 0, "delta": {"content": p}, "finish_reason": None}])) for p in pieces]
    out.append((False, event([{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}])))
    if include_usage:
        out.append((False, event([], usage=payload["usage"])))
    return [*out, (False, b"data: [DONE]\n\n")]


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "code": code}}


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def _send(self, status: int, headers: dict[str, str], payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                names = server.models or [server.model.split("/", 1)[1]]
                self._send(200, {}, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
            else:
                self._send(404, {}, _error(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, _error(f"no route {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {}, _error("invalid JSON body", "invalid_request_error"))
                return
            refused = server.refusal(self.headers.get("Authorization"), body)
            if refused is not None:
                with server._lock:
                    server.refused += 1
                self._send(refused[0], {}, refused[1])
                return
            purpose = self.headers.get("X-IWR-Purpose")
            server._record(body, purpose)
            entry = server._take(purpose)
            status, headers, payload = server.respond(entry, body)
            if status == 200 and body.get("stream") and payload.get("choices"):
                delay = float(entry.get("chunk_delay", 0)) if isinstance(entry, dict) else 0.0
                self._stream(_stream_events(payload, bool((body.get("stream_options") or {}).get("include_usage"))), delay)
            else:
                self._send(status, headers, payload)

        def _stream(self, events: list[tuple[bool, bytes]], delay: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            written, whole = 0, False
            try:
                for is_content, data in events:
                    self.wfile.write(data)
                    self.wfile.flush()
                    written += is_content
                    if delay and is_content:
                        server._stop.wait(delay)
                whole = True
            except (BrokenPipeError, ConnectionResetError):
                pass
            with server._lock:
                server.streams.append((written, whole))

    return Handler
