"""A small HTTP service for the distill demo: JSON on / and /health, port from $PORT (default 8080)."""
import json
import os
import signal
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = datetime.now(timezone.utc).isoformat()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            status, body = 200, {"service": "python-http", "message": "hello from a distroless container", "started": STARTED}
        elif self.path == "/health":
            status, body = 200, {"status": "ok", "uid": os.getuid()}
        else:
            status, body = 404, {"error": "not found"}
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    # PID 1 gets no default SIGTERM handling: stop cleanly on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on :{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
