// The HTTP API v1 client: JSON in and out, bearer token, the uniform error
// body {"error": {"code", "message"}} turned into an APIError.

export class APIError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// createAPI returns get/post/put/del bound to a token getter. onUnauthorized
// runs on any 401, so that the page can ask for a new login.
export function createAPI(getToken, onUnauthorized) {
  async function call(method, path, body, headers = {}) {
    const h = { Accept: 'application/json', ...headers };
    const token = getToken();
    if (token) h.Authorization = `Bearer ${token}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new APIError(0, 'network', 'the server cannot be reached');
    }
    if (res.status === 204) return null;
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new APIError(res.status, e.code, e.message);
      if (data && data.state) err.state = data.state; // a conflict says what became of the thing
      if (res.status === 401 && onUnauthorized) onUnauthorized(err);
      throw err;
    }
    return data;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body === undefined ? {} : body, headers),
    put: (path, body) => call('PUT', path, body),
    del: (path) => call('DELETE', path),
  };
}

// Features reads the server's OpenAPI document once, so that the pages
// offer only what the server really serves (endpoints being added later
// light up without a new build).
export class Features {
  constructor(paths = {}) {
    this.paths = paths;
  }

  static async load() {
    try {
      const res = await fetch('/api/v1/openapi.json', { cache: 'no-store' });
      if (!res.ok) return new Features();
      const doc = await res.json();
      return new Features(doc.paths || {});
    } catch {
      return new Features();
    }
  }

  has(method, path) {
    const p = this.paths[path];
    return Boolean(p && p[method.toLowerCase()]);
  }
}

// tokenClaims reads a JWT's payload without checking it (the server does):
// the page only wants the subject and the expiry.
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return {};
  }
}
