// The service-registry console: a plain script, no framework, no build step. It calls the
// registry's public APIs like any client, with the token in X-Auth-Token; the token lives
// in this tab's session storage only (never a cookie, never a URL). Every value the
// server returns is written as a text node or textContent, never parsed as markup, so
// ids, tags, metadata and descriptions may hold markup, quotes or right-to-left marks.
"use strict";

const TOKEN_KEY = "service-registry.console.token";
const PAGE_SIZE = 100;
const LONG_POLL_SECONDS = 25;

const state = {
  token: null,
  user: null,
  levels: [],
  // The view's background work (long polls, the ticking clock), stopped on navigation.
  abort: null,
  timers: [],
};

// ---------------------------------------------------------------- DOM helpers

function byId(id) {
  return document.getElementById(id);
}

/**
 * Text as it is, except that bidirectional controls (which can make "evil" read as
 * "live") are shown as their code points.
 */
function visible(text) {
  return text.replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}]`);
}

/** An element with attributes and children; strings become text nodes. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(visible(String(child))));
  }
  return node;
}

function show(...nodes) {
  const view = byId("view");
  view.replaceChildren(...nodes);
  view.hidden = false;
}

function status(text) {
  byId("status").textContent = visible(text);
}

function link(text, hash) {
  return el("a", { href: hash }, text);
}

function hashFor(...segments) {
  return "#/" + segments.map((s) => encodeURIComponent(s)).join("/");
}

function ageText(millis) {
  if (millis < 0) millis = 0;
  const seconds = Math.floor(millis / 1000);
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

function errorBox(error) {
  return el("p", { class: "error", role: "alert" }, error.message || String(error));
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The message a fault of any of the registry's dialects carries. */
function faultMessage(body, status) {
  if (body && typeof body === "object") {
    if (body.error && typeof body.error.message === "string") return body.error.message;
    if (typeof body.type === "string") return body.details || body.message || `HTTP ${status}`;
    for (const value of Object.values(body)) {
      if (value && typeof value.details === "string" && value.details) return value.details;
    }
  }
  return `HTTP ${status}`;
}

/** One call: JSON in and out; a 401 ends the session (back to sign-in). */
async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json" };
  if (state.token) headers["X-Auth-Token"] = state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: options.signal,
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch (_) {
      parsed = null;
    }
  }
  // A 401 is either the end of the session or a refusal of this call (a tenant the
  // principal is not in): the token's own validity tells which.
  if (response.status === 401 && state.token && !options.keepSession && !(await sessionAlive())) {
    signOut("Your session ended (the token is no longer valid): sign in again.");
    throw new ApiError(401, faultMessage(parsed, 401));
  }
  if (!response.ok) throw new ApiError(response.status, faultMessage(parsed, response.status));
  const date = Date.parse(response.headers.get("Date") || "");
  return { body: parsed, headers: response.headers, serverTime: Number.isNaN(date) ? Date.now() : date };
}

/** Whether the console's token is still valid (a token may validate itself). */
async function sessionAlive() {
  try {
    const response = await fetch("/v3/auth/tokens?nocatalog", {
      method: "HEAD",
      headers: { "X-Auth-Token": state.token, "X-Subject-Token": state.token },
      cache: "no-store",
      credentials: "omit",
    });
    return response.ok;
  } catch (_) {
    return true;
  }
}

const live = (tenant, rest) => `/v1.0/${encodeURIComponent(tenant)}${rest}`;

// ---------------------------------------------------------------- session

function canWrite() {
  return state.levels.some((level) => level === "SA" || level === "SVC" || level === "DA");
}

async function signIn(event) {
  event.preventDefault();
  const errorLine = byId("sign-in-error");
  errorLine.textContent = "";
  const username = byId("username").value.trim();
  const password = byId("password").value;
  const token = byId("token").value.trim();
  let auth;
  if (token) auth = { token: { id: token } };
  else if (username && password) auth = { passwordCredentials: { username, password } };
  else {
    errorLine.textContent = "Give a user name and a password, or a token.";
    return;
  }
  try {
    // A token is exchanged for one of the console's own, which also says who it is.
    const { body } = await api("POST", "/v2.0/tokens", { auth }, { keepSession: true });
    adopt(body.access);
    byId("password").value = "";
    byId("token").value = "";
    route();
  } catch (error) {
    errorLine.textContent = visible(error.message);
  }
}

function adopt(access) {
  state.token = access.token.id;
  state.user = access.user.name;
  state.levels = (access.user.roles || []).map((role) => role.id);
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token: state.token, user: state.user, levels: state.levels }));
}

function signOut(message) {
  stopBackground();
  state.token = null;
  state.user = null;
  state.levels = [];
  sessionStorage.removeItem(TOKEN_KEY);
  byId("view").hidden = true;
  byId("nav").hidden = true;
  byId("sign-out").hidden = true;
  byId("who").textContent = "";
  byId("sign-in").hidden = false;
  byId("sign-in-error").textContent = message || "";
  status("");
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    if (saved && saved.token) Object.assign(state, saved);
  } catch (_) {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

// ---------------------------------------------------------------- background work

function stopBackground() {
  if (state.abort) state.abort.abort();
  state.abort = new AbortController();
  state.timers.forEach((timer) => clearInterval(timer));
  state.timers = [];
}

function every(millis, work) {
  state.timers.push(setInterval(work, millis));
}

/** A marker for the feed at `millis` (event ids are UUIDv7: time first). */
function markerAt(millis) {
  const hex = Math.max(0, Math.floor(millis)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/**
 * Follows a tenant's feed from `since` (server time, ms) with long polls, calling
 * `onEvent` once per event in feed order, until the view changes. `paused()` holds
 * delivery back without losing the place.
 */
async function follow(tenant, since, onEvent, paused = () => false) {
  const signal = state.abort.signal;
  let marker = markerAt(since);
  let answered = false;
  const seen = new Set();
  while (!signal.aborted) {
    if (paused()) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      // Without a marker the feed starts an hour back (or when the tenant was created).
      const from = marker ? `marker=${marker}&` : "";
      const query = `?${from}limit=${PAGE_SIZE}&wait=${LONG_POLL_SECONDS}`;
      const { body } = await api("GET", live(tenant, `/events${query}`), undefined, { signal });
      answered = true;
      for (const event of body.values) {
        marker = event.id;
        // Older than the view: what it shows already includes it.
        if (seen.has(event.id) || event.timestamp < since) continue;
        seen.add(event.id);
        onEvent(event);
      }
      status(`live: following the events feed of tenant ${tenant}`);
    } catch (error) {
      if (signal.aborted || error.status === 401) return;
      // A marker before the tenant existed (a tenant younger than the margin): start
      // from the feed's beginning instead.
      if (error.status === 400 && !answered && marker) {
        marker = null;
        continue;
      }
      status(`live updates paused: ${error.message}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

// ---------------------------------------------------------------- views

async function overview() {
  const [projects, health] = await Promise.all([
    api("GET", "/v3/projects"),
    fetch("/healthz", { cache: "no-store" }).then((r) => (r.ok ? "ready" : `unavailable (${r.status})`), () => "unreachable"),
  ]);
  const rows = projects.body.projects.map((project) => {
    const usage = el("td", {}, "…");
    const timeouts = el("td", {}, "…");
    const rate = el("td", {}, "…");
    api("GET", live(project.id, "/limits"))
      .then(({ body }) => {
        usage.textContent = `${body.usage.service} of ${body.resource.service}`;
        const rule = body.rate["/.*"];
        rate.textContent = rule ? `${rule.used} of ${rule.limit} per ${rule.window}` : "–";
      })
      .catch((error) => (usage.textContent = visible(error.message)));
    // Without a marker the feed starts an hour back.
    api("GET", live(project.id, `/events?type=service.timeout&limit=1000`))
      .then(({ body }) => (timeouts.textContent = body.metadata.next_marker ? "1000 or more" : String(body.values.length)))
      .catch((error) => (timeouts.textContent = visible(error.message)));
    return el(
      "tr",
      {},
      el("td", {}, link(project.name, hashFor("t", project.id, "services"))),
      el("td", {}, project.id),
      usage,
      timeouts,
      rate,
      el("td", {}, link("events", hashFor("t", project.id, "events"))),
    );
  });
  show(
    el("h1", {}, "Overview"),
    el("p", {}, "This node: ", el("strong", { id: "health" }, health)),
    el(
      "table",
      { id: "tenants" },
      el("thead", {}, el("tr", {}, ["tenant", "id", "live services", "timeouts in the last hour", "requests", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 6 }, "No tenants you may see."))),
    ),
  );
}

function serviceRow(tenant, service, now) {
  const tags = el("td", { class: "tags" }, (service.tags || []).map((tag) => el("span", { class: "tag" }, tag)));
  const metadata = el(
    "td",
    { class: "metadata" },
    Object.entries(service.metadata || {}).map(([key, value]) => el("div", {}, el("span", { class: "key" }, key), " = ", el("span", { class: "value" }, value))),
  );
  const age = el("td", { class: "age" });
  age.dataset.lastSeen = service.last_seen === null || service.last_seen === undefined ? "" : String(service.last_seen);
  refreshAge(age, now);
  const row = el(
    "tr",
    { class: "service" },
    el("td", { class: "id" }, link(service.id, hashFor("t", tenant, "services", service.id))),
    tags,
    metadata,
    el("td", {}, `${service.heartbeat_timeout} s`),
    age,
  );
  row.dataset.id = service.id;
  return row;
}

function refreshAge(cell, now) {
  const lastSeen = cell.dataset.lastSeen;
  cell.textContent = lastSeen ? ageText(now - Number(lastSeen)) : "no heartbeat yet";
}

async function services(tenant, params) {
  const marker = params.get("marker") || "";
  const tag = params.get("tag") || "";
  let query = `?limit=${PAGE_SIZE}`;
  if (marker) query += `&marker=${encodeURIComponent(marker)}`;
  if (tag) query += `&tag=${encodeURIComponent(tag)}`;
  const { body, serverTime } = await api("GET", live(tenant, `/services${query}`));
  const skew = serverTime - Date.now();
  const tbody = el("tbody", {}, body.values.map((service) => serviceRow(tenant, service, serverTime)));
  const next = body.metadata.next_marker;
  const lastOnPage = body.values.length ? body.values[body.values.length - 1].id : null;
  const pageHash = (extra) => {
    const search = new URLSearchParams(extra);
    if (tag) search.set("tag", tag);
    const text = search.toString();
    return hashFor("t", tenant, "services") + (text ? `?${text}` : "");
  };
  const filter = el(
    "form",
    { id: "tag-filter", class: "inline" },
    el("label", {}, "Tag ", el("input", { name: "tag", value: tag })),
    el("button", { type: "submit" }, "Filter"),
  );
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = filter.elements.tag.value.trim();
    location.hash = hashFor("t", tenant, "services") + (value ? `?tag=${encodeURIComponent(value)}` : "");
  });
  const search = el(
    "form",
    { id: "id-search", class: "inline" },
    el("label", {}, "Service id ", el("input", { name: "id" })),
    el("button", { type: "submit" }, "Open"),
  );
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = search.elements.id.value.trim();
    if (value) location.hash = hashFor("t", tenant, "services", value);
  });
  show(
    el("h1", {}, `Live services of tenant ${tenant}`),
    tenantNav(tenant),
    filter,
    search,
    el(
      "table",
      { id: "services" },
      el("thead", {}, el("tr", {}, ["id", "tags", "metadata", "timeout", "last heartbeat"].map((h) => el("th", {}, h)))),
      tbody,
    ),
    el("p", { id: "empty", hidden: body.values.length > 0 }, "No live services here."),
    el(
      "p",
      { class: "pager" },
      marker ? link("First page", pageHash({})) : null,
      " ",
      next ? link("Next page", pageHash({ marker: next })) : null,
    ),
  );
  every(1000, () => {
    const now = Date.now() + skew;
    tbody.querySelectorAll("td.age").forEach((cell) => refreshAge(cell, now));
  });
  // A joining service shows if it sorts into this page (or the page is the last); a
  // service that timed out or was removed is marked, then leaves.
  const belongs = (id) => (!marker || id >= marker) && (!next || id < next);
  follow(tenant, serverTime - 2000, (event) => {
    const id = event.payload && event.payload.id;
    if (!id) return;
    const existing = [...tbody.rows].find((row) => row.dataset.id === id);
    if (event.type === "service.join") {
      if (existing || !belongs(id) || (tag && !(event.payload.tags || []).includes(tag))) return;
      const row = serviceRow(tenant, { ...event.payload, last_seen: null }, Date.now() + skew);
      row.classList.add("joined");
      const after = [...tbody.rows].find((candidate) => candidate.dataset.id > id);
      tbody.insertBefore(row, after || null);
      byId("empty").hidden = true;
    } else if (event.type === "service.timeout" || event.type === "service.remove") {
      if (!existing) return;
      existing.classList.add(event.type === "service.timeout" ? "timed-out" : "removed");
      existing.querySelector("td.age").textContent = event.type === "service.timeout" ? "timed out" : "removed";
      setTimeout(() => {
        existing.remove();
        byId("empty").hidden = tbody.rows.length > 0;
      }, 3000);
    }
  });
}

async function serviceDetail(tenant, id) {
  const { body: service, serverTime } = await api("GET", live(tenant, `/services/${encodeURIComponent(id)}`));
  const fields = el(
    "dl",
    { id: "service-fields" },
    el("dt", {}, "id"),
    el("dd", {}, service.id),
    el("dt", {}, "tags"),
    el("dd", {}, (service.tags || []).map((tag) => el("span", { class: "tag" }, tag))),
    el("dt", {}, "metadata"),
    el("dd", {}, Object.entries(service.metadata || {}).map(([key, value]) => el("div", {}, el("span", { class: "key" }, key), " = ", el("span", { class: "value" }, value)))),
    el("dt", {}, "heartbeat timeout"),
    el("dd", {}, `${service.heartbeat_timeout} s`),
    el("dt", {}, "last heartbeat"),
    el("dd", {}, service.last_seen ? ageText(serverTime - service.last_seen) : "no heartbeat yet"),
  );
  const events = el("tbody");
  const outcome = el("p", { id: "outcome", role: "status" });
  const remove = canWrite()
    ? el(
        "button",
        {
          id: "remove",
          type: "button",
          class: "danger",
          onclick: async () => {
            if (!window.confirm(`Remove service ${service.id}? Its followers see it leave.`)) return;
            try {
              await api("DELETE", live(tenant, `/services/${encodeURIComponent(service.id)}`));
              location.hash = hashFor("t", tenant, "services");
            } catch (error) {
              outcome.replaceChildren(errorBox(error));
            }
          },
        },
        "Remove",
      )
    : null;
  show(
    el("h1", {}, "Service ", el("span", { class: "id" }, service.id)),
    el("nav", { class: "sub" }, link(`all services of tenant ${tenant}`, hashFor("t", tenant, "services"))),
    fields,
    remove,
    outcome,
    el("h2", {}, "Its events in the last hour"),
    el("table", { id: "service-events" }, el("thead", {}, el("tr", {}, ["when", "type"].map((h) => el("th", {}, h)))), events),
  );
  // The last hour of the feed (no marker), newest first, this service's only.
  const { body } = await api("GET", live(tenant, "/events?limit=1000"));
  body.values
    .filter((event) => event.payload && event.payload.id === service.id)
    .reverse()
    .forEach((event) => events.append(el("tr", {}, el("td", {}, new Date(event.timestamp).toISOString()), el("td", {}, event.type))));
}

const EVENT_TYPES = ["service.join", "service.timeout", "service.remove", "configuration_value.update", "configuration_value.remove"];

async function eventsView(tenant, params) {
  const type = params.get("type") || "";
  const typeQuery = type ? `&type=${encodeURIComponent(type)}` : "";
  const { body, serverTime } = await api("GET", live(tenant, `/events?limit=${PAGE_SIZE}${typeQuery}`));
  const tbody = el("tbody");
  const addRow = (event, atTop) => {
    const row = el(
      "tr",
      { class: "event" },
      el("td", {}, new Date(event.timestamp).toISOString()),
      el("td", {}, event.type),
      el("td", { class: "payload" }, JSON.stringify(event.payload)),
    );
    row.dataset.id = event.id;
    tbody.insertBefore(row, atTop ? tbody.firstChild : null);
  };
  // The first page of the last hour, newest first.
  [...body.values].reverse().forEach((event) => addRow(event, false));
  let paused = false;
  const held = [];
  const pause = el("button", { id: "pause", type: "button" }, "Pause");
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    if (!paused) held.splice(0).forEach((event) => addRow(event, true));
  });
  const typeSelect = el("select", { name: "type" }, el("option", { value: "" }, "every type"), EVENT_TYPES.map((t) => el("option", { value: t, selected: t === type }, t)));
  typeSelect.addEventListener("change", () => {
    location.hash = hashFor("t", tenant, "events") + (typeSelect.value ? `?type=${encodeURIComponent(typeSelect.value)}` : "");
  });
  show(
    el("h1", {}, `Events of tenant ${tenant}`),
    tenantNav(tenant),
    el("p", { class: "inline" }, el("label", {}, "Type ", typeSelect), " ", pause),
    el("table", { id: "events" }, el("thead", {}, el("tr", {}, ["when", "type", "payload"].map((h) => el("th", {}, h)))), tbody),
  );
  const last = body.values.length ? body.values[body.values.length - 1] : null;
  const since = last && !body.metadata.next_marker ? last.timestamp : serverTime - 2000;
  follow(tenant, since, (event) => {
    if (type && event.type !== type) return;
    if ([...tbody.rows].some((row) => row.dataset.id === event.id)) return;
    if (paused) held.push(event);
    else addRow(event, true);
  });
}


// The value ids of configuration: `/ns/…/key` or `key`, characters the API allows only.
const configurationPath = (tenant, id) => live(tenant, `/configuration/${id.split("/").map(encodeURIComponent).join("/")}`);

async function configuration(tenant, params) {
  const marker = params.get("marker") || "";
  const query = `?limit=${PAGE_SIZE}` + (marker ? `&marker=${encodeURIComponent(marker)}` : "");
  const { body } = await api("GET", live(tenant, `/configuration${query}`));
  const outcome = el("p", { id: "outcome", role: "status" });
  const tbody = el(
    "tbody",
    {},
    body.values.map((value) => {
      // The namespace tree: one step of indent per namespace segment.
      const depth = value.id.startsWith("/") ? value.id.split("/").length - 2 : 0;
      const row = el(
        "tr",
        { class: "value" },
        el("td", { class: `id depth-${Math.min(depth, 10)}` }, value.id),
        el("td", { class: "payload" }, value.value),
        el(
          "td",
          {},
          canWrite()
            ? el(
                "button",
                {
                  type: "button",
                  class: "remove-value",
                  onclick: async () => {
                    if (!window.confirm(`Remove configuration value ${value.id}?`)) return;
                    try {
                      await api("DELETE", configurationPath(tenant, value.id));
                      route();
                    } catch (error) {
                      outcome.replaceChildren(errorBox(error));
                    }
                  },
                },
                "Remove",
              )
            : null,
        ),
      );
      row.dataset.id = value.id;
      return row;
    }),
  );
  const form = canWrite()
    ? el(
        "form",
        { id: "set-value", class: "inline" },
        el("label", {}, "Id ", el("input", { name: "id", placeholder: "/production/cassandra/listen_ip" })),
        el("label", {}, "Value ", el("input", { name: "value" })),
        el("button", { type: "submit" }, "Set"),
      )
    : null;
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = form.elements.id.value.trim();
      try {
        await api("PUT", configurationPath(tenant, id), { value: form.elements.value.value });
        route();
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
  }
  const next = body.metadata.next_marker;
  show(
    el("h1", {}, `Configuration of tenant ${tenant}`),
    tenantNav(tenant),
    form,
    outcome,
    el("table", { id: "configuration" }, el("thead", {}, el("tr", {}, ["id", "value", ""].map((h) => el("th", {}, h)))), tbody),
    el("p", { hidden: body.values.length > 0 }, "No configuration values."),
    el(
      "p",
      { class: "pager" },
      marker ? link("First page", hashFor("t", tenant, "configuration")) : null,
      " ",
      next ? link("Next page", hashFor("t", tenant, "configuration") + `?marker=${encodeURIComponent(next)}`) : null,
    ),
  );
}

/**
 * The catalog a token of this tenant gets: the console's token is rescoped to the tenant
 * (which the API allows only to its members, and SA and SVC), the answer's catalog shown,
 * and that token revoked again.
 */
async function catalogPreview(tenant) {
  const { body } = await api("POST", "/v2.0/tokens", { auth: { token: { id: state.token }, tenantId: String(tenant) } }, { keepSession: true });
  const scoped = body.access.token.id;
  fetch("/v3/auth/tokens", { method: "DELETE", headers: { "X-Auth-Token": scoped, "X-Subject-Token": scoped }, credentials: "omit" }).catch(() => {});
  const rows = [];
  for (const service of body.access.serviceCatalog || []) {
    for (const endpoint of service.endpoints) {
      for (const [interfaceName, key] of [["public", "publicURL"], ["internal", "internalURL"], ["admin", "adminURL"]]) {
        if (!endpoint[key]) continue;
        rows.push(el("tr", {}, el("td", {}, service.name), el("td", {}, service.type), el("td", {}, endpoint.region || "–"), el("td", {}, interfaceName), el("td", { class: "payload" }, endpoint[key])));
      }
    }
  }
  show(
    el("h1", {}, `Catalog of tenant ${tenant}`),
    tenantNav(tenant),
    el("p", {}, "What a token scoped to this tenant gets, tenant id substituted."),
    el("table", { id: "catalog" }, el("thead", {}, el("tr", {}, ["service", "type", "region", "interface", "URL"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    el("p", { hidden: rows.length > 0 }, "The catalog is empty."),
  );
}

async function tenantsView() {
  const projects = await api("GET", "/v3/projects");
  const rows = projects.body.projects.map((project) => {
    const cells = [el("td", {}, "…"), el("td", {}, "…"), el("td", {}, "…")];
    api("GET", live(project.id, "/limits"))
      .then(({ body }) => {
        cells[0].textContent = `${body.usage.service} of ${body.resource.service}`;
        cells[1].textContent = `${body.usage.configuration_value} of ${body.resource.configuration_value}`;
        const rule = body.rate["/.*"];
        cells[2].textContent = rule ? `${rule.used} of ${rule.limit} per ${rule.window}` : "–";
      })
      .catch((error) => (cells[0].textContent = visible(error.message)));
    return el("tr", {}, el("td", {}, link(project.name, hashFor("t", project.id, "services"))), el("td", {}, project.id), el("td", {}, project.enabled ? "enabled" : "disabled"), cells);
  });
  show(
    el("h1", {}, "Tenants"),
    el("p", {}, "Limits are set on the command line (service-registry tenant limits); usage is counted as writes commit."),
    el("table", { id: "limits" }, el("thead", {}, el("tr", {}, ["tenant", "id", "state", "live services", "configuration values", "requests"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
  );
}

/** Links between a tenant's pages. */
function tenantNav(tenant) {
  return el(
    "nav",
    { class: "sub" },
    [
      ["live services", "services"],
      ["events", "events"],
      ["configuration", "configuration"],
      ["catalog", "catalog"],
    ].map(([label, page]) => [link(label, hashFor("t", tenant, page)), " "]),
  );
}


// ---------------------------------------------------------------- registered services (HP-IDM)

const HP_IDM = "/v2.0/HP-IDM/v1.0";
const RELEASE_STATES = ["restricted", "preview", "beta", "public", "decommissioned"];

/** SA and SVC register and edit services and templates (HP-IDM's rule). */
function canManageServices() {
  return state.levels.some((level) => level === "SA" || level === "SVC");
}

/** The `marker` of a `Link: <…?marker=N&limit=M>; rel="next"` header, if any. */
function nextMarkerOf(headers) {
  const header = headers.get("Link") || "";
  const match = /<([^>]*)>\s*;\s*rel="next"/.exec(header);
  if (!match) return null;
  return new URL(match[1], location.origin).searchParams.get("marker");
}

function serviceFields(values) {
  return {
    id: el("input", { name: "id", inputmode: "numeric", value: values.id || "" }),
    serviceName: el("input", { name: "serviceName", value: values.serviceName || "" }),
    serviceType: el("input", { name: "serviceType", value: values.serviceType || "" }),
    releaseState: el("select", { name: "releaseState" }, RELEASE_STATES.filter((s) => s !== "decommissioned").map((state) => el("option", { value: state, selected: state === values.releaseState }, state))),
    description: el("input", { name: "description", value: values.description || "" }),
  };
}

async function registeredServices(params) {
  const marker = params.get("marker") || "";
  const type = params.get("serviceType") || "";
  let query = `?limit=${PAGE_SIZE}`;
  if (marker) query += `&marker=${encodeURIComponent(marker)}`;
  if (type) query += `&serviceType=${encodeURIComponent(type)}`;
  const response = await api("GET", `${HP_IDM}/services${query}`);
  const listed = response.body.registerServices.registerService || [];
  const next = nextMarkerOf(response.headers);
  const outcome = el("p", { id: "outcome", role: "status" });
  const rows = listed.map((service) => {
    const row = el(
      "tr",
      {},
      el("td", { class: "id" }, link(service.id, hashFor("registered", service.id))),
      el("td", {}, service.serviceName),
      el("td", {}, service.serviceType),
      el("td", {}, service.releaseState, service.releaseState === "decommissioned" ? el("span", { class: "tag locked" }, "locked") : null),
      el("td", {}, service.description || ""),
    );
    row.dataset.id = service.id;
    return row;
  });
  const filter = el("form", { id: "type-filter", class: "inline" }, el("label", {}, "serviceType ", el("input", { name: "serviceType", value: type })), el("button", { type: "submit" }, "Filter"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = filter.elements.serviceType.value.trim();
    location.hash = hashFor("registered") + (value ? `?serviceType=${encodeURIComponent(value)}` : "");
  });
  let register = null;
  if (canManageServices()) {
    const fields = serviceFields({ releaseState: "preview" });
    register = el(
      "form",
      { id: "register", class: "inline" },
      el("label", {}, "id ", fields.id),
      el("label", {}, "name ", fields.serviceName),
      el("label", {}, "type ", fields.serviceType),
      el("label", {}, "state ", fields.releaseState),
      el("label", {}, "description ", fields.description),
      el("button", { type: "submit" }, "Register"),
    );
    register.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { registerService: {} };
      for (const [name, input] of Object.entries(fields)) if (input.value.trim()) body.registerService[name] = input.value.trim();
      try {
        const created = await api("POST", `${HP_IDM}/services`, body);
        location.hash = hashFor("registered", created.body.registerService.id);
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
  }
  show(
    el("h1", {}, "Registered services (HP-IDM)"),
    filter,
    register,
    outcome,
    el("table", { id: "registered" }, el("thead", {}, el("tr", {}, ["id", "name", "type", "release state", "description"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    el("p", { hidden: rows.length > 0 }, "No registered services."),
    el(
      "p",
      { class: "pager" },
      marker ? link("First page", hashFor("registered") + (type ? `?serviceType=${encodeURIComponent(type)}` : "")) : null,
      " ",
      next ? link("Next page", hashFor("registered") + `?marker=${encodeURIComponent(next)}` + (type ? `&serviceType=${encodeURIComponent(type)}` : "")) : null,
    ),
  );
}

async function registeredService(id) {
  const { body } = await api("GET", `${HP_IDM}/services/${encodeURIComponent(id)}`);
  const service = body.registerService;
  const locked = service.releaseState === "decommissioned";
  const outcome = el("p", { id: "outcome", role: "status" });
  const parts = [el("h1", {}, "Registered service ", el("span", { class: "id" }, service.id)), el("nav", { class: "sub" }, link("all registered services", hashFor("registered")))];
  parts.push(
    el(
      "dl",
      { id: "registered-fields" },
      el("dt", {}, "name"),
      el("dd", {}, service.serviceName),
      el("dt", {}, "type"),
      el("dd", {}, service.serviceType),
      el("dt", {}, "release state"),
      el("dd", { id: "release-state" }, service.releaseState, locked ? el("span", { class: "tag locked" }, "locked: a decommissioned service keeps that state") : null),
      el("dt", {}, "description"),
      el("dd", {}, service.description || ""),
    ),
  );
  // A PUT names every field; `changes` replaces some of the current ones.
  const update = async (changes) => {
    const current = { id: service.id, serviceName: service.serviceName, serviceType: service.serviceType, releaseState: service.releaseState };
    if (service.description) current.description = service.description;
    await api("PUT", `${HP_IDM}/services/${encodeURIComponent(service.id)}`, { registerService: { ...current, ...changes } });
    route();
  };
  if (canManageServices() && !locked) {
    const fields = serviceFields(service);
    const edit = el(
      "form",
      { id: "edit", class: "inline" },
      el("label", {}, "name ", fields.serviceName),
      el("label", {}, "type ", fields.serviceType),
      el("label", {}, "state ", fields.releaseState),
      el("label", {}, "description ", fields.description),
      el("button", { type: "submit" }, "Save"),
    );
    edit.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = { serviceName: fields.serviceName.value.trim(), serviceType: fields.serviceType.value.trim(), releaseState: fields.releaseState.value };
      if (fields.description.value.trim()) changes.description = fields.description.value.trim();
      try {
        await update(changes);
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
    const decommission = el("button", { id: "decommission", type: "button", class: "danger" }, "Decommission");
    decommission.addEventListener("click", async () => {
      if (!window.confirm(`Decommission ${service.serviceName}? Its state is then locked for good, and it leaves every catalog.`)) return;
      try {
        await update({ releaseState: "decommissioned" });
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
    parts.push(edit, decommission);
  }
  parts.push(outcome);
  // Its endpoint templates.
  const templates = await api("GET", `${HP_IDM}/endpointTemplates?serviceName=${encodeURIComponent(service.serviceName)}&limit=1000`);
  const listed = templates.body.endpointTemplates.endpointTemplate || [];
  parts.push(
    el("h2", {}, "Endpoint templates"),
    el(
      "table",
      { id: "templates" },
      el("thead", {}, el("tr", {}, ["id", "region", "publicURL", "internalURL", "adminURL", "global", "enabled"].map((h) => el("th", {}, h)))),
      el(
        "tbody",
        {},
        listed.map((t) => el("tr", {}, el("td", {}, t.id), el("td", {}, t.region || "–"), el("td", { class: "payload" }, t.publicURL), el("td", { class: "payload" }, t.internalURL || ""), el("td", { class: "payload" }, t.adminURL || ""), el("td", {}, t.global ? "yes" : "no"), el("td", {}, t.enabled ? "yes" : "no"))),
      ),
    ),
    el("p", { hidden: listed.length > 0 }, "No templates."),
  );
  show(...parts);
}

// ---------------------------------------------------------------- routing

async function route() {
  stopBackground();
  if (!state.token) {
    signOut();
    return;
  }
  byId("sign-in").hidden = true;
  byId("sign-out").hidden = false;
  byId("who").textContent = `${state.user} (${state.levels.join(", ")})`;
  const nav = byId("nav");
  nav.replaceChildren(link("Overview", "#/"), link("Tenants", "#/tenants"), link("Registered services", "#/registered"));
  nav.hidden = false;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  status("");
  try {
    if (parts[0] === "t" && parts[2] === "services" && parts.length === 4) await serviceDetail(parts[1], parts[3]);
    else if (parts[0] === "t" && parts[2] === "services") await services(parts[1], params);
    else if (parts[0] === "t" && parts[2] === "events") await eventsView(parts[1], params);
    else if (parts[0] === "t" && parts[2] === "configuration") await configuration(parts[1], params);
    else if (parts[0] === "t" && parts[2] === "catalog") await catalogPreview(parts[1]);
    else if (parts[0] === "tenants") await tenantsView();
    else if (parts[0] === "registered" && parts.length === 2) await registeredService(parts[1]);
    else if (parts[0] === "registered") await registeredServices(params);
    else await overview();
  } catch (error) {
    if (state.token) show(el("h1", {}, "Refused"), errorBox(error), link("Back to the overview", "#/"));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  byId("sign-in-form").addEventListener("submit", signIn);
  byId("sign-out").addEventListener("click", () => {
    // The token is revoked, not just forgotten: it may act on itself (Keystone v3).
    const token = state.token;
    if (token) {
      fetch("/v3/auth/tokens", {
        method: "DELETE",
        headers: { "X-Auth-Token": token, "X-Subject-Token": token },
        credentials: "omit",
      }).catch(() => {});
    }
    signOut("Signed out.");
  });
  window.addEventListener("hashchange", route);
  restore();
  route();
});
