/** The run plan's language is what the final stage runs; runtimes without a distroless base are refused, never mapped onto another language's base. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDockerfile } from '../../src/plan/index.ts';

const PY_WITH_NODE_ASSETS = `# syntax=docker/dockerfile:1
FROM node:20-bookworm AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY frontend ./frontend
RUN npm run build && npm run lint && npx tsc --noEmit

FROM python:3.12-slim
WORKDIR /srv/app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /src/dist ./static
EXPOSE 8000
CMD ["uwsgi", "--http", ":8000", "--module", "app:app"]
`;

test('a Python final stage with a Node stage that builds assets is planned as Python, not Node', () => {
  const p = planDockerfile(PY_WITH_NODE_ASSETS, { context: { 'requirements.txt': 'uwsgi\nflask\n', 'package.json': '{"name":"ui"}' } });
  assert.equal(p.language, 'python');
  if (p.status === 'planned') assert.equal(p.base.flavour, 'python3');
});

for (const [name, text, what] of [
  ['Ruby on Rails', 'FROM ruby:3.3-slim\nWORKDIR /rails\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\nEXPOSE 3000\nCMD ["./bin/rails", "server", "-b", "0.0.0.0"]\n', /Ruby/],
  ['PHP on apache', 'FROM php:8.3-apache\nRUN docker-php-ext-install pdo_mysql\nCOPY src/ /var/www/html/\n', /PHP/],
  ['a Ruby app started by bundle on a Debian base', 'FROM debian:12-slim\nRUN apt-get update && apt-get install -y ruby-full && rm -rf /var/lib/apt/lists/*\nCOPY . /app\nWORKDIR /app\nCMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]\n', /Ruby/],
] as const) {
  test(`${name} is refused with the reason (no distroless runtime for it), not put on a nodejs base`, () => {
    const p = planDockerfile(text);
    assert.equal(p.status, 'refused');
    if (p.status === 'refused') assert.match(p.reason, what);
  });
}
