import fs from 'node:fs';
import path from 'node:path';
import { credentialsFile, environmentToken } from '../config/config.js';

/** What `openexpert login` stored for one server. */
export interface StoredLogin {
  readonly token: string;
  readonly tokenId: string;
  readonly user: string;
  readonly expiresAt: number | null;
}

interface CredentialsFile {
  servers: Record<string, StoredLogin>;
}

function read(file: string): CredentialsFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CredentialsFile>;
    return { servers: parsed.servers && typeof parsed.servers === 'object' ? parsed.servers : {} };
  } catch {
    return { servers: {} };
  }
}

/** The file is the user's alone (0600 in a 0700 directory): it holds bearer tokens. Written whole, then renamed. */
function write(file: string, content: CredentialsFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function storedLogin(url: string, now = Date.now()): StoredLogin | undefined {
  const login = read(credentialsFile()).servers[url];
  return login && typeof login.token === 'string' && (login.expiresAt === null || login.expiresAt > now) ? login : undefined;
}

export function storeLogin(url: string, login: StoredLogin): string {
  const file = credentialsFile();
  const content = read(file);
  content.servers[url] = login;
  write(file, content);
  return file;
}

export function forgetLogin(url: string): StoredLogin | undefined {
  const file = credentialsFile();
  const content = read(file);
  const login = content.servers[url];
  if (!login) return undefined;
  delete content.servers[url];
  write(file, content);
  return login;
}

/** The token CLI commands send to a server: the environment's, else the one `openexpert login` stored for it. */
export function cliToken(url: string): string | undefined {
  return environmentToken() ?? storedLogin(url)?.token;
}
