import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hrouter.advisor.probe import probe_port, probe_servers


class Models(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path != "/v1/models":
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"object": "list", "data": [{"id": "qwen3-8b"}, {"id": "llama3.2:1b"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_probe_reads_model_ids_from_a_real_loopback_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        found = probe_port(port, "lmstudio")
        assert found.reachable and found.error is None
        assert found.models == ("qwen3-8b", "llama3.2:1b")
        assert found.base_url == f"http://127.0.0.1:{port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_closed_ports_are_reported_unreachable_quickly():
    port = free_port()
    result = probe_servers({port: "ollama"}, timeout=0.3)
    assert len(result) == 1 and not result[0].reachable and result[0].error
