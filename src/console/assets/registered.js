// The console's views of HP-IDM's registered services and their endpoint templates.
// Loaded after console.js, whose helpers it uses; every value is written as text (see
// console.js).
"use strict";

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

const SERVICE_LABELS = { id: "id ", serviceName: "name ", serviceType: "type ", releaseState: "state ", description: "description " };

// A form of the service fields named, each labelled, and its submit button.
function serviceForm(id, fields, names, button) {
  return el("form", { id, class: "inline" }, names.map((name) => el("label", {}, SERVICE_LABELS[name], fields[name])), el("button", { type: "submit" }, button));
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
  // Only SA and SVC may read one service (HP-IDM's rule): others see its templates here.
  const rows = listed.flatMap((service) => {
    const templates = el("tr", { class: "templates-of", hidden: true }, el("td", { colspan: 6 }));
    let shown = null;
    if (!canManageServices()) {
      shown = el("button", { type: "button", class: "show-templates" }, "Templates");
      shown.addEventListener("click", async () => {
        templates.hidden = !templates.hidden;
        if (templates.hidden) return;
        const cell = templates.firstChild;
        const draw = async (page) => {
          try {
            cell.replaceChildren(...(await templatesOf(service, page, draw)));
          } catch (error) {
            cell.replaceChildren(errorBox(error));
          }
        };
        await draw("");
      });
    }
    const row = el(
      "tr",
      {},
      el("td", { class: "id" }, canManageServices() ? link(service.id, hashFor("registered", service.id)) : service.id),
      el("td", {}, service.serviceName),
      el("td", {}, service.serviceType),
      el("td", {}, service.releaseState, service.releaseState === "decommissioned" ? el("span", { class: "tag locked" }, "locked") : null),
      el("td", {}, service.description || ""),
      el("td", {}, shown),
    );
    row.dataset.id = service.id;
    return [row, templates];
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
    register = serviceForm("register", fields, Object.keys(SERVICE_LABELS), "Register");
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
    el("table", { id: "registered" }, el("thead", {}, el("tr", {}, ["id", "name", "type", "release state", "description", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
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

async function registeredService(id, params) {
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
    const edit = serviceForm("edit", fields, ["serviceName", "serviceType", "releaseState", "description"], "Save");
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
  const here = hashFor("registered", service.id);
  const page = (marker) => (location.hash = marker ? `${here}?templates=${encodeURIComponent(marker)}` : here);
  parts.push(...(await templatesOf(service, params.get("templates") || "", page)));
  show(...parts);
}

// ---------------------------------------------------------------- endpoint templates

/**
 * The template as a PUT replaces it: what was read, with `changes` over it. The binding
 * goes along without its count (a PUT without it would remove it).
 */
function templateBody(template, changes) {
  const body = {};
  for (const key of ["id", "name", "type", "region", "publicURL", "publicURL2", "internalURL", "adminURL", "global", "enabled", "releaseState", "version"]) {
    if (template[key] !== undefined) body[key] = template[key];
  }
  if (template.liveness) {
    const { tenantId, tag, minAlive } = template.liveness;
    body.liveness = { tenantId, tag, minAlive };
  }
  return { endpointTemplate: { ...body, ...changes } };
}

/** How often a page of templates reads its fleets' counts again. */
const FLEET_REFRESH_MS = 5000;

/** "2 of 1 alive, tenant 7, tag nova-api", marked down when too few are alive; "–" unbound. */
function fleetCell(template) {
  const liveness = template.liveness;
  if (!liveness) return el("td", { class: "fleet" }, "–");
  const down = liveness.alive < liveness.minAlive;
  return el(
    "td",
    { class: down ? "fleet short" : "fleet" },
    el("strong", {}, String(liveness.alive)),
    ` of ${liveness.minAlive} alive`,
    ...(down ? [el("span", { class: "flag" }, " (out of catalogs)")] : []),
    el("div", { class: "muted" }, "tenant ", liveness.tenantId, ", tag ", liveness.tag),
  );
}

function templateRow(service, template, outcome) {
  const path = `${HP_IDM}/endpointTemplates/${encodeURIComponent(template.id)}`;
  const version = template.version ? [template.version.id, template.version.info, template.version.list].filter(Boolean).join(" ") : "";
  const cells = [
    el("td", { class: "id" }, template.id),
    el("td", {}, template.region || "–"),
    el("td", { class: "payload" }, template.publicURL),
    el("td", { class: "payload" }, template.internalURL || ""),
    el("td", { class: "payload" }, template.adminURL || ""),
    el("td", { class: "payload" }, version),
    el("td", {}, template.global ? "yes" : "no"),
    el("td", { class: "enabled" }, template.enabled ? "yes" : "no"),
    fleetCell(template),
  ];
  if (canManageServices()) {
    const toggle = el("button", { type: "button", class: "toggle-template" }, template.enabled ? "Disable" : "Enable");
    toggle.addEventListener("click", async () => {
      try {
        await api("PUT", path, templateBody(template, { enabled: !template.enabled }));
        route();
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
    const remove = el("button", { type: "button", class: "danger remove-template" }, "Delete");
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Delete endpoint template ${template.id} of ${service.serviceName}? Every tenant's endpoint made from it goes too.`)) return;
      try {
        await api("DELETE", path);
        route();
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
      }
    });
    cells.push(el("td", {}, toggle, " ", remove));
  }
  const row = el("tr", {}, cells);
  row.dataset.id = template.id;
  return row;
}

/** The form that adds a template to `service` (its name and type are the service's). */
function templateForm(service, outcome) {
  const input = (name, attributes = {}) => el("input", { name, ...attributes });
  const fields = {
    id: input("id", { inputmode: "numeric", required: true }),
    region: input("region"),
    publicURL: input("publicURL", { required: true, placeholder: "https://…/v1/%tenant_id%" }),
    internalURL: input("internalURL"),
    adminURL: input("adminURL"),
    version: input("version", { placeholder: "v1.1" }),
    global: input("global", { type: "checkbox" }),
    enabled: input("enabled", { type: "checkbox", checked: true }),
    fleetTenant: input("fleetTenant", { inputmode: "numeric", placeholder: "tenant id" }),
    fleetTag: input("fleetTag", { placeholder: "tag" }),
    fleetMinAlive: input("fleetMinAlive", { inputmode: "numeric", placeholder: "1" }),
  };
  const form = el(
    "form",
    { id: "add-template", class: "grid" },
    ["id", "region", "publicURL", "internalURL", "adminURL", "version"].map((name) => el("label", {}, `${name} `, fields[name])),
    el("label", {}, fields.global, " global"),
    el("label", {}, fields.enabled, " enabled"),
    el("label", { title: "In catalogs only while enough live services of this tenant with this tag are alive" }, "backed by the fleet of ", fields.fleetTenant),
    el("label", {}, "tagged ", fields.fleetTag),
    el("label", {}, "at least ", fields.fleetMinAlive, " alive"),
    el("button", { type: "submit" }, "Add template"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const template = { id: fields.id.value.trim(), name: service.serviceName, type: service.serviceType, publicURL: fields.publicURL.value.trim(), global: fields.global.checked, enabled: fields.enabled.checked };
    for (const name of ["region", "internalURL", "adminURL"]) {
      if (fields[name].value.trim()) template[name] = fields[name].value.trim();
    }
    if (fields.version.value.trim()) template.version = { id: fields.version.value.trim() };
    if (fields.fleetTenant.value.trim() || fields.fleetTag.value.trim()) {
      template.liveness = { tenantId: fields.fleetTenant.value.trim(), tag: fields.fleetTag.value };
      if (fields.fleetMinAlive.value.trim()) template.liveness.minAlive = fields.fleetMinAlive.value.trim();
    }
    try {
      await api("POST", `${HP_IDM}/endpointTemplates`, { endpointTemplate: template });
      route();
    } catch (error) {
      outcome.replaceChildren(errorBox(error));
    }
  });
  return form;
}

/**
 * `service`'s endpoint templates from `marker` on, a page at a time (`page(marker)` shows
 * another), with what SA and SVC may do to them.
 */
async function templatesOf(service, marker, page) {
  let query = `?serviceName=${encodeURIComponent(service.serviceName)}&limit=${PAGE_SIZE}`;
  if (marker) query += `&marker=${encodeURIComponent(marker)}`;
  const response = await api("GET", `${HP_IDM}/endpointTemplates${query}`);
  const listed = response.body.endpointTemplates.endpointTemplate || [];
  const next = nextMarkerOf(response.headers);
  const outcome = el("p", { class: "template-outcome", role: "status" });
  const headings = ["id", "region", "publicURL", "internalURL", "adminURL", "version", "global", "enabled", "fleet"];
  if (canManageServices()) headings.push("");
  const pager = (text, target) => el("button", { type: "button", class: "page", onclick: () => page(target) }, text);
  const tbody = el("tbody", {}, listed.map((template) => templateRow(service, template, outcome)));
  // The fleets' counts move on their own: read again every few seconds while shown.
  if (listed.some((template) => template.liveness)) {
    every(FLEET_REFRESH_MS, async () => {
      if (document.hidden || !tbody.isConnected) return;
      const again = await api("GET", `${HP_IDM}/endpointTemplates${query}`).catch(() => null);
      for (const template of (again && again.body.endpointTemplates.endpointTemplate) || []) {
        const cell = tbody.querySelector(`tr[data-id="${CSS.escape(template.id)}"] td.fleet`);
        if (cell) cell.replaceWith(fleetCell(template));
      }
    });
  }
  return [
    el("h2", {}, `Endpoint templates of ${service.serviceName}`),
    el(
      "table",
      { class: "templates" },
      el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, h)))),
      tbody,
    ),
    el("p", { hidden: listed.length > 0 }, "No templates."),
    el("p", { class: "pager" }, marker ? pager("First page", "") : null, " ", next ? pager("Next page", next) : null),
    canManageServices() ? [el("h3", {}, "Add a template"), templateForm(service, outcome)] : [],
    outcome,
  ].flat();
}
