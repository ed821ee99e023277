// The console's views of a tenant: the overview of every tenant, its live services, a
// service, its events, configuration, catalog preview and limits. Loaded after
// console.js, whose helpers it uses; every value is written as text (see console.js).
"use strict";

// ---------------------------------------------------------------- views

/** How often the overview reads every tenant's limits and timeouts again. */
const OVERVIEW_REFRESH_MS = 60_000;

/** "14:03:20" for a server time in milliseconds, in the browser's time zone. */
function clockText(millis) {
  return new Date(millis).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/**
 * A tenant's heartbeats per minute against what its fleet needs (one heartbeat per
 * timeout per live service); marked short when fewer came than are needed.
 */
/** Events of a type read for the overview's chart, at most (one page of the feed). */
const HOUR_EVENTS = 1000;

/**
 * The last hour of a tenant's joins (bars up) and timeouts (bars down), a bar a minute,
 * newest on the right, each side scaled to its own busiest minute; a mass timeout shows
 * as a deep bar at a glance. A side whose page was full says that only its first
 * HOUR_EVENTS are drawn.
 */
function hourChart(joins, timeouts) {
  const now = Date.now();
  const perMinute = (events) => {
    const minutes = new Array(60).fill(0);
    for (const event of events.values) {
      const ago = Math.floor((now - event.timestamp) / 60000);
      if (ago >= 0 && ago < 60) minutes[59 - ago] += 1;
    }
    return minutes;
  };
  const up = perMinute(joins);
  const down = perMinute(timeouts);
  const svg = "http://www.w3.org/2000/svg";
  const chart = document.createElementNS(svg, "svg");
  chart.setAttribute("class", "hour-chart");
  chart.setAttribute("viewBox", "0 0 120 32");
  chart.setAttribute("width", "120");
  chart.setAttribute("height", "32");
  const bars = (counts, kind, downward) => {
    const most = Math.max(1, ...counts);
    counts.forEach((count, minute) => {
      if (count === 0) return;
      const height = Math.max(1, Math.round((count / most) * 15));
      const bar = document.createElementNS(svg, "rect");
      bar.setAttribute("class", kind);
      bar.setAttribute("x", String(minute * 2));
      bar.setAttribute("y", String(downward ? 16 : 16 - height));
      bar.setAttribute("width", "1.6");
      bar.setAttribute("height", String(height));
      const title = document.createElementNS(svg, "title");
      title.textContent = `${count} ${kind === "joins" ? "joined" : "timed out"}, ${59 - minute} min ago`;
      bar.append(title);
      chart.append(bar);
    });
  };
  bars(up, "joins", false);
  bars(down, "timeouts", true);
  const axis = document.createElementNS(svg, "line");
  axis.setAttribute("class", "axis");
  axis.setAttribute("x1", "0");
  axis.setAttribute("x2", "120");
  axis.setAttribute("y1", "16");
  axis.setAttribute("y2", "16");
  chart.append(axis);
  const full = [joins.metadata.next_marker ? "joins" : "", timeouts.metadata.next_marker ? "timeouts" : ""].filter(Boolean);
  return el(
    "div",
    { class: "hour" },
    chart,
    ...(full.length ? [el("div", { class: "muted" }, `first ${HOUR_EVENTS} ${full.join(" and ")} drawn`)] : []),
  );
}

function heartbeatCell(cell, heartbeats) {
  const short = heartbeats.per_minute < heartbeats.needed_per_minute;
  cell.classList.toggle("short", short);
  // replaceChildren writes a null as the text "null": the flag goes in only when short.
  cell.replaceChildren(
    el("strong", {}, String(heartbeats.per_minute)),
    ` of ${heartbeats.needed_per_minute} needed`,
    ...(short ? [el("span", { class: "flag" }, " (short)")] : []),
    el("div", { class: "muted" }, `minute to ${clockText(heartbeats.window_end)}`),
  );
}

async function overview() {
  const [projects, health] = await Promise.all([
    api("GET", "/v3/projects"),
    fetch("/healthz", { cache: "no-store" }).then((r) => (r.ok ? "ready" : `unavailable (${r.status})`), () => "unreachable"),
  ]);
  const refreshers = [];
  const rows = projects.body.projects.map((project) => {
    const usage = el("td", {}, "…");
    const timeouts = el("td", {}, "…");
    const beats = el("td", { class: "heartbeats" }, "…");
    const rate = el("td", {}, "…");
    const refresh = () => {
      api("GET", live(project.id, "/limits"))
        .then(({ body }) => {
          usage.textContent = `${body.usage.service} of ${body.resource.service}`;
          heartbeatCell(beats, body.heartbeats);
          const rule = body.rate["/.*"];
          rate.textContent = rule ? `${rule.used} of ${rule.limit} per ${rule.window}` : "–";
        })
        .catch((error) => (usage.textContent = visible(error.message)));
      // Without a marker the feed starts an hour back.
      const lastHour = (type) => api("GET", live(project.id, `/events?type=${type}&limit=${HOUR_EVENTS}`)).then(({ body }) => body);
      Promise.all([lastHour("service.join"), lastHour("service.timeout")])
        .then(([joins, timeouts_]) => {
          timeouts.replaceChildren(
            el("div", {}, timeouts_.metadata.next_marker ? `${HOUR_EVENTS} or more` : String(timeouts_.values.length)),
            hourChart(joins, timeouts_),
          );
        })
        .catch((error) => (timeouts.textContent = visible(error.message)));
    };
    refresh();
    refreshers.push(refresh);
    const row = el(
      "tr",
      {},
      el("td", {}, link(project.name, hashFor("t", project.id, "services"))),
      el("td", {}, project.id),
      usage,
      timeouts,
      beats,
      rate,
      el("td", {}, link("events", hashFor("t", project.id, "events"))),
    );
    row.dataset.tenant = project.id;
    return row;
  });
  const refreshed = el("span", { id: "refreshed" }, clockText(Date.now()));
  const refreshAll = () => {
    refreshers.forEach((refresh) => refresh());
    refreshed.textContent = clockText(Date.now());
  };
  const again = el("button", { type: "button", id: "refresh" }, "Refresh");
  again.addEventListener("click", refreshAll);
  show(
    el("h1", {}, "Overview"),
    el("p", {}, "This node: ", el("strong", { id: "health" }, health)),
    el(
      "table",
      { id: "tenants" },
      el("thead", {}, el("tr", {}, ["tenant", "id", "live services", "timeouts in the last hour", "heartbeats per minute", "requests", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 7 }, "No tenants you may see."))),
    ),
    el(
      "p",
      { class: "muted" },
      "Under each count, the hour drawn a bar a minute, newest on the right: joins up, timeouts down. ",
      "Heartbeats are every node's, counted in the last complete minute (it ends up to 12 s back); a fleet needs one per timeout for each live service. ",
      `Refreshed every minute while this tab is shown (each refresh spends 3 of each tenant's requests), last at `,
      refreshed,
      ". ",
      again,
    ),
  );
  // A hidden tab spends none of the tenants' requests.
  every(OVERVIEW_REFRESH_MS, () => {
    if (!document.hidden) refreshAll();
  });
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
