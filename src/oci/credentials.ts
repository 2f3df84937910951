/**
 * Registry credentials from the files `docker login` and `podman login` write: `$REGISTRY_AUTH_FILE`,
 * `${XDG_RUNTIME_DIR}/containers/auth.json`, and `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`), with `auths` (base64 `user:password`), `credHelpers` and `credsStore`
 * (runs `docker-credential-<name> get`, the server on stdin). Secrets never appear in errors.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from './docker-ref.ts';
import { DistillError } from '../util/errors.ts';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from (a file path or helper name), for messages; never the secret. */
  source: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The auth files searched, in order (podman's before docker's, as podman does). */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json'));
  return out;
}

/** Keys a registry may be stored under in `auths` (bare host, with scheme, Docker Hub's v1 URL). */
function keysFor(registry: string): string[] {
  if (registry === DOCKER_HUB.name) return [DOCKER_HUB.authKey, DOCKER_HUB.name, `index.${DOCKER_HUB.name}`, DOCKER_HUB.apiHost];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** Normalises an `auths` key to its host, so `https://host/v1/` matches `host`. */
function hostOfKey(k: string): string {
  return k.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as AuthFile;
  } catch {
    throw new DistillError(path, 'auth file is not valid JSON', { code: 'E_INPUT' });
  }
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin. */
export function runCredentialHelper(helper: string, server: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const prog = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(prog, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', (e) => reject(new DistillError(prog, `cannot run credential helper: ${e.message}`, { code: 'E_TOOL_FAILED' })));
    child.on('close', (code) => {
      if (code !== 0) {
        // "credentials not found" is a normal answer: the helper simply has nothing for this server.
        if (/not found/i.test(out + err)) return resolve(undefined);
        return reject(new DistillError(prog, `credential helper failed for ${server} (exit ${code})`, { code: 'E_TOOL_FAILED' }));
      }
      try {
        const j = JSON.parse(out) as { Username?: string; Secret?: string };
        if (!j.Secret) return resolve(undefined);
        resolve({ username: j.Username ?? '', password: j.Secret, source: prog });
      } catch {
        reject(new DistillError(prog, `credential helper printed something that is not JSON for ${server}`, { code: 'E_TOOL_FAILED' }));
      }
    });
    child.stdin.end(server);
  });
}

function decodeAuth(entry: NonNullable<AuthFile['auths']>[string], source: string): Credentials | undefined {
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i === -1) throw new DistillError(source, 'an "auth" entry is not base64 of user:password', { code: 'E_INPUT' });
    return { username: text.slice(0, i), password: text.slice(i + 1), source };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, source };
  return undefined;
}

/** Finds credentials for `registry` (host[:port]), or undefined for anonymous access. */
export async function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const keys = keysFor(registry);
  for (const path of authFiles(env)) {
    const f = await readAuthFile(path);
    if (!f) continue;
    const helperKey = Object.keys(f.credHelpers ?? {}).find((k) => keys.includes(k) || hostOfKey(k) === registry);
    if (helperKey) {
      const c = await runCredentialHelper(f.credHelpers![helperKey]!, helperKey, env);
      if (c) return c;
    }
    const auths = f.auths ?? {};
    const key = keys.find((k) => auths[k]) ?? Object.keys(auths).find((k) => hostOfKey(k) === registry);
    if (key) {
      const c = decodeAuth(auths[key]!, path);
      if (c) return c;
    }
    if (f.credsStore) {
      const c = await runCredentialHelper(f.credsStore, registry === DOCKER_HUB.name ? DOCKER_HUB.authKey : registry, env);
      if (c) return c;
    }
  }
  return undefined;
}
