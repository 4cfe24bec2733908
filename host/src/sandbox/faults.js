// Fault queue for the sandbox: tests push faults, and each incoming request takes the fault at the head of the
// queue (a fault with `count: n` is taken by n consecutive requests). Kept apart from the handler so the rules
// for what a fault spec may contain live in one place. See sandbox.js for the full list of fault kinds.

const KNOWN = new Set([
  'status', 'count', 'retryAfter', 'body', 'latencyMs', 'rateLimitBurst', 'truncate', 'reset', 'bodyBytes', 'html',
  'rejectToken', 'nextLinkHost', 'apply',
]);

function checkSpec(spec) {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new TypeError('fault spec must be an object');
  for (const key of Object.keys(spec)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown fault option "${key}"; known: ${[...KNOWN].join(', ')}`);
  }
  const intOption = (name, min) => {
    if (spec[name] === undefined) return;
    if (!Number.isInteger(spec[name]) || spec[name] < min) throw new TypeError(`fault ${name} must be an integer ≥ ${min}`);
  };
  intOption('count', 1);
  intOption('rateLimitBurst', 1);
  intOption('latencyMs', 0);
  intOption('bodyBytes', 1);
  intOption('retryAfter', 0);
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)) {
    throw new TypeError('fault status must be an HTTP status code (100–599)');
  }
  if (spec.nextLinkHost !== undefined && (typeof spec.nextLinkHost !== 'string' || !/^[A-Za-z0-9.:-]+$/.test(spec.nextLinkHost))) {
    throw new TypeError('fault nextLinkHost must be a host name (optionally with :port)');
  }
}

/** Creates the queue; `onServed` is called once per request that took a fault. */
export function createFaults(onServed) {
  const queue = [];
  return {
    /** Queues a fault for the next request(s). Returns the queue object for chaining. */
    next(spec) {
      checkSpec(spec);
      const copy = { ...spec };
      if (copy.rateLimitBurst !== undefined) {
        copy.status = 429;
        copy.count = copy.rateLimitBurst;
      }
      queue.push({ spec: copy, left: copy.count ?? 1 });
      return this;
    },
    /** Drops every queued fault. */
    clear() {
      queue.length = 0;
    },
    /** Number of requests that queued faults will still affect. */
    get pending() {
      return queue.reduce((n, f) => n + f.left, 0);
    },
    /** Internal: takes the fault for one request, or null. */
    take() {
      const head = queue[0];
      if (!head) return null;
      head.left -= 1;
      if (head.left <= 0) queue.shift();
      onServed();
      return head.spec;
    },
  };
}
