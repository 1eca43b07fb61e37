// Talking to `depthmask edit`: every request carries the session's token,
// read from the page's own address (the server refuses any request without
// it). Errors come back as {error: "one line"}, as the CLI prints them.
const token = new URLSearchParams(location.search).get("token") ?? "";

export function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}), "X-Depthmask-Token": token };
  return fetch(path, { ...init, headers });
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function fail(r) {
  let msg = `${r.status} ${r.statusText}`;
  try {
    msg = (await r.json()).error ?? msg;
  } catch {
    /* not JSON: the status says it */
  }
  throw new ApiError(r.status, msg);
}

export async function getJSON(path) {
  const r = await api(path);
  if (!r.ok) await fail(r);
  return r.json();
}

export async function sendJSON(method, path, body) {
  const r = await api(path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) await fail(r);
  return r.json();
}

// At most one call of `fn` in flight; calls made meanwhile collapse into
// one more with the newest arguments, so the last value always lands (a
// slider dragged faster than the server answers sends its latest value
// next, never a queue of stale ones).
export function latest(fn) {
  let running = null;
  let queued = null;
  const run = async (args) => {
    try {
      return await fn(...args);
    } finally {
      running = null;
      if (queued) {
        const next = queued;
        queued = null;
        running = run(next.args).then(next.resolve, next.reject);
      }
    }
  };
  const call = (...args) => {
    if (!running) {
      running = run(args);
      return running;
    }
    if (queued) queued.resolve(undefined); // superseded: its caller gets nothing
    return new Promise((resolve, reject) => {
      queued = { args, resolve, reject };
    });
  };
  // Resolves once nothing is in flight or queued.
  call.idle = async () => {
    while (running) {
      try {
        await running;
      } catch {
        /* the caller of that call was told */
      }
    }
  };
  return call;
}
