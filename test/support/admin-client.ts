import type { TestApp } from './test-app.js';
import { readBody } from './test-app.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghij';
/** Env for startTestApp: the admin routes need a key. */
export const ADMIN_ENV = { ADMIN_API_KEYS: ADMIN_KEY };

export interface AdminResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** Calls the admin API of a test app with the bearer key (or another Authorization header). */
export function adminClient(t: Pick<TestApp, 'url'>, authorization: string | null = `Bearer ${ADMIN_KEY}`) {
  const call = async (method: string, path: string, body?: unknown): Promise<AdminResponse> => {
    const headers: Record<string, string> = {};
    if (authorization !== null) headers.authorization = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${t.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await readBody(response), headers: response.headers };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    put: (path: string, body?: unknown) => call('PUT', path, body),
    delete: (path: string) => call('DELETE', path),
  };
}
