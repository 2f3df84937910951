// A small HTTP service for the distill demo: JSON on / and /health, port from $PORT (default 8080).
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
const started = new Date().toISOString();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  let status = 200;
  let body;
  if (url.pathname === '/') body = { service: 'node-express', message: 'hello from a distroless container', started };
  else if (url.pathname === '/health') body = { status: 'ok', uid: typeof process.getuid === 'function' ? process.getuid() : null };
  else {
    status = 404;
    body = { error: 'not found' };
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
});

server.listen(port, () => console.log(`listening on :${port}`));
// Exit promptly on the stop signal: PID 1 gets no default signal handling.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
