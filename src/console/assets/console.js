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

/** Draws the view: nodes and arrays of them; null, undefined and false draw nothing. */
function show(...nodes) {
  const view = byId("view");
  view.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== null && node !== undefined && node !== false));
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
    else if (parts[0] === "registered" && parts.length === 2) await registeredService(parts[1], params);
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
