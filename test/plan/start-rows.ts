/**
 * The start-command table for test/plan/start-commands.test.ts: small app directories, each
 * with the Dockerfile a real project of that shape would have, and the argv its distroless
 * image must run, written by hand from what the original image runs (or why none is safe).
 */

/** An argument that names a file: see `path` and `classpath`. */
export type Arg = string | { path: string } | { classpath: string };

/**
 * A file, relative to the ORIGINAL image's WORKDIR. Any spelling that names the same file from
 * the new image's WORKDIR passes (absolute, or relative to it). Written with `./` it must stay
 * absolute or dot-relative: `node --require tracing.js` would look for a package of that name.
 */
export const path = (p: string): Arg => ({ path: p });

/** A `:`-separated class path whose entries are files as in `path` (`dir/*` is java's own wildcard). */
export const classpath = (p: string): Arg => ({ classpath: p });

/** A tool a row's build needs on the host; the row is skipped with the reason when it is missing. */
export type Tool = 'python3' | 'javac' | 'go';

export interface StartRow {
  name: string;
  /** The app directory: Dockerfile and sources, path -> content. */
  files: Record<string, string>;
  /** Files made executable (scripts run by path). */
  executable?: string[];
  /** Stub packages written as wheels into the app's wheelhouse/ (name -> version). */
  wheels?: Record<string, string>;
  needs?: Tool[];
  /** What the distroless container must run: the interpreter by its basename, a binary by its absolute path (or `path`). */
  expect?: Arg[];
  /** When no safe translation exists: what the reason must name. */
  refused?: RegExp;
  /** What convert's explanation must mention (a change the user has to know about). */
  notes?: RegExp;
}

const pkg = (o: Record<string, unknown>) => JSON.stringify({ version: '1.0.0', private: true, license: 'UNLICENSED', ...o }, null, 2) + '\n';
const lock = (name: string) => JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0', license: 'UNLICENSED' } } }, null, 2) + '\n';

const HTTP_SERVER = `'use strict';
const http = require('node:http');

const port = Number(process.env.PORT) || 3000;
http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  })
  .listen(port, () => console.log(\`listening on \${port}\`));
`;

const PORT_ARG_SERVER = `'use strict';
const http = require('node:http');

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 3000;
http.createServer((req, res) => res.end('ok\\n')).listen(port);
`;

const WSGI_APP = `def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\\n"]
`;

const GO_MAIN = `package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
)

func main() {
	port := flag.String("port", "8080", "port to listen on")
	flag.Parse()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("listening on :%s", *port)
	log.Fatal(http.ListenAndServe(":"+*port, nil))
}
`;

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>inventory</artifactId>
  <version>1.2.0</version>
  <packaging>jar</packaging>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build>
    <finalName>app</finalName>
    <pluginManagement>
      <plugins>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.11.0</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.2.5</version></plugin>
      </plugins>
    </pluginManagement>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-jar-plugin</artifactId>
        <version>3.4.1</version>
        <configuration>
          <archive><manifest><mainClass>com.example.inventory.App</mainClass></manifest></archive>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`;

const JAVA_APP = `package com.example.inventory;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class App {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
        server.createContext("/", exchange -> {
            byte[] body = "ok\\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }
}
`;

export const ROWS: StartRow[] = [
  {
    // npm is not in the runtime: `npm start` is the start script, flags included.
    name: 'CMD ["npm","start"] -> start script `node --enable-source-maps dist/main.js`',
    files: {
      'package.json': pkg({ name: 'orders-api', scripts: { start: 'node --enable-source-maps dist/main.js', test: 'node --test' } }),
      'package-lock.json': lock('orders-api'),
      'dist/main.js': `${HTTP_SERVER}//# sourceMappingURL=main.js.map\n`,
      'dist/main.js.map': '{"version":3,"file":"main.js","sources":["../src/main.ts"],"names":[],"mappings":""}\n',
      Dockerfile: `FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY dist ./dist
EXPOSE 3000
CMD ["npm", "start"]
`,
    },
    expect: ['node', '--enable-source-maps', path('dist/main.js')],
  },
  {
    name: 'shell-form `CMD npm run serve` -> the "serve" script',
    files: {
      'package.json': pkg({ name: 'docs-site', scripts: { serve: 'node server.js', test: 'node --test' } }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /srv
COPY . .
EXPOSE 3000
CMD npm run serve
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    name: 'node --require ./tracing.js app.js (preload kept, by a path node reads as a file)',
    files: {
      'package.json': pkg({ name: 'checkout', main: 'app.js' }),
      'package-lock.json': lock('checkout'),
      'tracing.js': "'use strict';\nprocess.on('exit', () => console.log('spans flushed'));\n",
      'app.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim AS build
WORKDIR /opt/app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .

FROM node:20-slim
WORKDIR /opt/app
COPY --from=build /opt/app ./
USER node
CMD ["node", "--require", "./tracing.js", "app.js"]
`,
    },
    expect: ['node', '--require', path('./tracing.js'), path('app.js')],
  },
  {
    // No main, no start script, no server.js: only the CMD says what runs.
    name: 'CMD ["node","src/index.js"] with no main and no start script',
    files: {
      'package.json': pkg({ name: 'queue-worker', scripts: { test: 'node --test' } }),
      'src/index.js': "'use strict';\nsetInterval(() => console.log('polling'), 5000);\n",
      Dockerfile: `FROM node:20-slim
WORKDIR /usr/src/app
COPY package.json ./
RUN npm install --omit=dev
COPY src ./src
CMD ["node", "src/index.js"]
`,
    },
    expect: ['node', path('src/index.js')],
  },
  {
    name: 'python -m reporter (a package with __main__.py)',
    files: {
      'requirements.txt': '# standard library only\n',
      'reporter/__init__.py': '',
      'reporter/__main__.py': 'import platform\n\nprint("report from", platform.node())\n',
      Dockerfile: `FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY reporter ./reporter
CMD ["python", "-m", "reporter"]
`,
    },
    needs: ['python3'],
    expect: ['python3', '-m', 'reporter'],
  },
  {
    // The console script's shebang names the builder's interpreter; the module runs anywhere.
    name: 'gunicorn app:app -b :8080 -> python3 -m gunicorn',
    files: {
      'requirements.txt': 'gunicorn==22.0.0\n',
      'app.py': WSGI_APP,
      Dockerfile: `FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
COPY wheelhouse ./wheelhouse
RUN pip install --no-cache-dir --no-index --find-links=wheelhouse -r requirements.txt
COPY . .
EXPOSE 8080
CMD ["gunicorn", "app:app", "-b", ":8080"]
`,
    },
    wheels: { gunicorn: '22.0.0' },
    needs: ['python3'],
    expect: ['python3', '-m', 'gunicorn', 'app:app', '-b', ':8080'],
  },
  {
    name: 'uvicorn main:app --host 0.0.0.0 -> python3 -m uvicorn',
    files: {
      'requirements.txt': 'uvicorn==0.30.1\n',
      'main.py': 'async def app(scope, receive, send):\n    await send({"type": "http.response.start", "status": 200, "headers": []})\n    await send({"type": "http.response.body", "body": b"ok"})\n',
      Dockerfile: `FROM python:3.11
WORKDIR /code
COPY ./requirements.txt /code/requirements.txt
COPY ./wheelhouse /code/wheelhouse
RUN pip install --no-cache-dir --no-index --find-links /code/wheelhouse -r /code/requirements.txt
COPY ./main.py /code/
CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]
`,
    },
    wheels: { uvicorn: '0.30.1' },
    needs: ['python3'],
    expect: ['python3', '-m', 'uvicorn', 'main:app', '--host', '0.0.0.0'],
  },
  {
    // JVM options before -jar: the java base's own `java -jar` entrypoint cannot carry them.
    name: 'ENTRYPOINT java -Xmx256m -jar app.jar, the jar built by maven in a builder stage',
    files: {
      'pom.xml': POM,
      // Offline: the plugins come from the local repository, never from the network.
      '.mvn/maven.config': '--offline\n',
      'src/main/java/com/example/inventory/App.java': JAVA_APP,
      Dockerfile: `FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
WORKDIR /opt/app
COPY --from=build /build/target/app.jar app.jar
EXPOSE 8080
ENTRYPOINT ["java", "-Xmx256m", "-jar", "app.jar"]
`,
    },
    needs: ['javac'],
    expect: ['java', '-Xmx256m', '-jar', path('app.jar')],
  },
  {
    // The class path wildcard is java's own (exec form: no shell globs it).
    name: 'java -cp app:app/lib/* Main (classes, not a jar)',
    files: {
      'src/main/java/Main.java': 'public class Main {\n    public static void main(String[] args) throws Exception {\n        System.out.println("batch job done");\n    }\n}\n',
      Dockerfile: `FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY src ./src
RUN mkdir -p out/lib && javac -d out $(find src/main/java -name '*.java')

FROM eclipse-temurin:17-jre
WORKDIR /srv
COPY --from=build /build/out ./app
CMD ["java", "-cp", "app:app/lib/*", "Main"]
`,
    },
    needs: ['javac'],
    expect: ['java', '-cp', classpath('app:app/lib/*'), 'Main'],
  },
  {
    name: 'python main.py /etc (positional arguments kept)',
    files: {
      'requirements.txt': '# no third-party packages\n',
      'main.py': 'import os\nimport sys\n\nroot = sys.argv[1] if len(sys.argv) > 1 else "."\nfor name in sorted(os.listdir(root)):\n    print(name)\n',
      Dockerfile: `FROM python:3.11-slim
WORKDIR /usr/src/app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "main.py", "/etc"]
`,
    },
    needs: ['python3'],
    expect: ['python3', path('main.py'), '/etc'],
  },
  {
    name: 'ENTRYPOINT ["python3"] + CMD ["main.py","/etc"]',
    files: {
      'main.py': 'import os\nimport sys\n\nprint(len(os.listdir(sys.argv[1])), "entries")\n',
      Dockerfile: `FROM python:3.11-slim
WORKDIR /opt/tool
COPY main.py .
ENTRYPOINT ["python3"]
CMD ["main.py", "/etc"]
`,
    },
    needs: ['python3'],
    expect: ['python3', path('main.py'), '/etc'],
  },
  {
    name: 'Go binary: ENTRYPOINT ["/usr/local/bin/api"] + CMD ["--port","8080"]',
    files: {
      'go.mod': 'module example.com/api\n\ngo 1.22\n',
      'main.go': GO_MAIN,
      Dockerfile: `FROM golang:1.22 AS build
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /usr/local/bin/api .

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/api /usr/local/bin/api
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/api"]
CMD ["--port", "8080"]
`,
    },
    needs: ['go'],
    expect: ['/usr/local/bin/api', '--port', '8080'],
  },
  {
    name: 'Go binary run as ./server from WORKDIR /app (cgo default: glibc base)',
    files: {
      'go.mod': 'module example.com/server\n\ngo 1.22\n',
      'main.go': GO_MAIN,
      Dockerfile: `FROM golang:1.22 AS builder
WORKDIR /app
COPY go.mod ./
COPY *.go ./
RUN go build -o server .

FROM debian:bookworm-slim
WORKDIR /app
COPY --from=builder /app/server .
EXPOSE 8080
CMD ["./server"]
`,
    },
    needs: ['go'],
    // `./server` from /app and `/app/server` run the same file; both spellings pass.
    expect: [path('./server')],
  },
  {
    // The shell expanded $PORT when the container started. Exec form does not expand variables,
    // and there is no shell to do it, so the variable must be resolved now: PORT is set by the
    // image's own ENV to a literal, so its value is what the original runs with its defaults.
    // Substituting it is the faithful translation; what is lost (a `-e PORT=…` given at run time
    // no longer reaches the argv) is a change the user must be told about, hence `notes`.
    name: 'shell-form `CMD node server.js --port $PORT` with ENV PORT=8080 (value substituted)',
    files: {
      'package.json': pkg({ name: 'ws-gateway', main: 'server.js' }),
      'server.js': PORT_ARG_SERVER,
      Dockerfile: `FROM node:20-slim
ENV PORT=8080
WORKDIR /home/node/app
COPY . .
EXPOSE 8080
CMD node server.js --port $PORT
`,
    },
    expect: ['node', path('server.js'), '--port', '8080'],
    notes: /PORT/,
  },
  {
    // Here PORT has no value in the image: the original gets it (or an empty word) from the
    // run-time environment only. No exec-form argv says the same, so nothing safe can be written.
    name: 'shell-form `CMD node server.js --port $PORT` with PORT never set (refused)',
    files: {
      'package.json': pkg({ name: 'ws-edge', main: 'server.js' }),
      'server.js': PORT_ARG_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /app
COPY . .
CMD node server.js --port $PORT
`,
    },
    refused: /\$PORT/,
  },
  {
    name: 'ENTRYPOINT ["node"] + CMD ["server.js"]',
    files: {
      'package.json': pkg({ name: 'inventory-ui' }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /app
COPY package.json ./
RUN npm install --omit=dev
COPY server.js ./
ENTRYPOINT ["node"]
CMD ["server.js"]
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    // prod inherits base's CMD; the dev stage's CMD is not on prod's FROM chain.
    name: 'CMD inherited from the parent stage (FROM base AS prod, no CMD)',
    files: {
      'package.json': pkg({ name: 'billing', scripts: { dev: 'node --watch server.js' } }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim AS base
WORKDIR /usr/src/app
COPY package.json server.js ./
EXPOSE 3000
CMD ["node", "server.js"]

FROM base AS dev
ENV NODE_ENV=development
CMD ["node", "--watch", "server.js"]

FROM base AS prod
ENV NODE_ENV=production
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    // The script runs database migrations before it execs the CMD. Distroless has no /bin/sh to
    // run it, and starting the CMD without it would start the server on an unmigrated database
    // with no sign of why: a "review note" is too easy to miss for that. Refused, naming the script.
    name: 'ENTRYPOINT ["./docker-entrypoint.sh"] wrapping CMD ["node","server.js"] (refused)',
    files: {
      'package.json': pkg({ name: 'accounts', scripts: { migrate: 'node migrate.js' } }),
      'server.js': HTTP_SERVER,
      'migrate.js': "'use strict';\nconsole.log('migrations applied');\n",
      'docker-entrypoint.sh': '#!/bin/sh\nset -e\n\nif [ -n "$DATABASE_URL" ]; then\n  node migrate.js\nfi\n\nexec "$@"\n',
      Dockerfile: `FROM node:20-slim
WORKDIR /app
COPY . .
RUN chmod +x docker-entrypoint.sh
ENTRYPOINT ["./docker-entrypoint.sh"]
CMD ["node", "server.js"]
`,
    },
    executable: ['docker-entrypoint.sh'],
    refused: /docker-entrypoint\.sh/,
  },
  {
    // tini reaps zombies and forwards signals; the runtime's --init (or the orchestrator) does
    // that job, and the app's own argv is unchanged. The user must be told, hence `notes`.
    name: 'tini -- wrapper (ENTRYPOINT ["/usr/bin/tini","--"] + CMD ["node","server.js"])',
    files: {
      'package.json': pkg({ name: 'notifier' }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /usr/src/app
COPY package.json ./
RUN npm install --omit=dev
COPY . .
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "server.js"]
`,
    },
    expect: ['node', path('server.js')],
    notes: /tini/,
  },
  {
    name: 'CMD ["sh","-c","node server.js"]',
    files: {
      'package.json': pkg({ name: 'search-proxy' }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /srv
COPY . .
CMD ["sh", "-c", "node server.js"]
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    // Two commands in sequence need a shell; running only one of them would skip the migration.
    name: 'CMD ["npm","start"] where start is `node migrate.js && node server.js` (refused)',
    files: {
      'package.json': pkg({ name: 'ledger', scripts: { start: 'node migrate.js && node server.js' } }),
      'package-lock.json': lock('ledger'),
      'server.js': HTTP_SERVER,
      'migrate.js': "'use strict';\nconsole.log('migrations applied');\n",
      Dockerfile: `FROM node:20-slim
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
CMD ["npm", "start"]
`,
    },
    refused: /node migrate\.js && node server\.js/,
  },
  {
    // express-generator's layout: the entry file has no .js extension.
    name: 'CMD ["yarn","start"] -> `node ./bin/www`',
    files: {
      'package.json': pkg({ name: 'storefront', scripts: { start: 'node ./bin/www' } }),
      'yarn.lock': '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n',
      'app.js': "'use strict';\nmodule.exports = (req, res) => res.end('ok\\n');\n",
      'bin/www': "#!/usr/bin/env node\n'use strict';\nconst http = require('node:http');\nhttp.createServer(require('../app')).listen(Number(process.env.PORT) || 3000);\n",
      Dockerfile: `FROM node:20-slim
WORKDIR /usr/src/app
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile --production
COPY . .
EXPOSE 3000
CMD ["yarn", "start"]
`,
    },
    executable: ['bin/www'],
    expect: ['node', path('bin/www')],
  },
  {
    // pnpm's documented Dockerfile: the runtime stage is FROM base and inherits its WORKDIR.
    name: 'CMD ["pnpm","start"] -> `node server.mjs` (final stage FROM base)',
    files: {
      'package.json': pkg({ name: 'events', type: 'module', packageManager: 'pnpm@9.1.0', scripts: { start: 'node server.mjs' } }),
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .: {}\n",
      'server.mjs': "import http from 'node:http';\n\nhttp.createServer((req, res) => res.end('ok\\n')).listen(8000);\n",
      Dockerfile: `FROM node:20-slim AS base
ENV PNPM_HOME="/pnpm"
ENV PATH="$PNPM_HOME:$PATH"
RUN corepack enable
WORKDIR /app
COPY package.json pnpm-lock.yaml ./

FROM base AS prod-deps
RUN --mount=type=cache,id=pnpm,target=/pnpm/store pnpm install --prod --frozen-lockfile

FROM base
COPY --from=prod-deps /app/node_modules /app/node_modules
COPY . .
EXPOSE 8000
CMD ["pnpm", "start"]
`,
    },
    expect: ['node', path('server.mjs')],
  },
  {
    name: 'WORKDIR inherited from the parent stage (FROM base AS runtime)',
    files: {
      'server.py': 'from http.server import HTTPServer, SimpleHTTPRequestHandler\n\nimport config\n\nHTTPServer(("", config.PORT), SimpleHTTPRequestHandler).serve_forever()\n',
      'config.py': 'PORT = 8000\n',
      'test_server.py': 'import unittest\n\nimport config\n\n\nclass ConfigTest(unittest.TestCase):\n    def test_port(self):\n        self.assertEqual(config.PORT, 8000)\n',
      Dockerfile: `FROM python:3.11-slim AS base
WORKDIR /opt/app
ENV PYTHONUNBUFFERED=1

FROM base AS test
COPY . .
RUN python -m unittest discover

FROM base AS runtime
COPY server.py config.py ./
EXPOSE 8000
CMD ["python", "server.py"]
`,
    },
    needs: ['python3'],
    expect: ['python3', path('server.py')],
  },
  {
    // npm's documented default: with no start script, `npm start` runs `node server.js`.
    name: 'CMD ["npm","start"] with no start script and a server.js (npm default)',
    files: {
      'package.json': pkg({ name: 'hello', scripts: { test: 'node --test' } }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /opt/app
COPY package.json ./
COPY server.js ./
CMD ["npm", "start"]
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    // main is the library entry and start a dev server: the Dockerfile says what the image runs.
    name: 'CMD ["node","dist/server.js"] wins over package.json main and start',
    files: {
      'package.json': pkg({ name: 'catalog', main: 'lib/index.js', scripts: { start: 'node lib/dev-server.js' } }),
      'lib/index.js': "'use strict';\nmodule.exports = { version: '1.0.0' };\n",
      'lib/dev-server.js': HTTP_SERVER,
      'dist/server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /usr/src/app
COPY package.json ./
COPY lib ./lib
COPY dist ./dist
CMD ["node", "dist/server.js"]
`,
    },
    expect: ['node', path('dist/server.js')],
  },
  {
    // A shell-form ENTRYPOINT ignores CMD (Docker passes CMD to sh -c as $0, $1…, unused).
    name: 'shell-form `ENTRYPOINT exec node server.js` ignores CMD ["--inspect"]',
    files: {
      'package.json': pkg({ name: 'metrics' }),
      'server.js': HTTP_SERVER,
      Dockerfile: `FROM node:20-slim
WORKDIR /srv/app
COPY . .
ENTRYPOINT exec node server.js
CMD ["--inspect"]
`,
    },
    expect: ['node', path('server.js')],
  },
  {
    name: 'python3 -u worker.py (interpreter flags kept)',
    files: {
      'requirements.txt': '# standard library only\n',
      'worker.py': 'import time\n\nwhile True:\n    print("tick", flush=False)\n    time.sleep(5)\n',
      Dockerfile: `FROM python:3.11-slim
WORKDIR /worker
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY worker.py .
CMD ["python3", "-u", "worker.py"]
`,
    },
    needs: ['python3'],
    expect: ['python3', '-u', path('worker.py')],
  },
];
