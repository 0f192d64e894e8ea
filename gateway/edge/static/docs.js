// Renders the merged OpenAPI document (and the AsyncAPI channels) as a list; no third-party code.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array") return `array of ${schemaName(schema.items)}`;
  if (schema.anyOf) return schema.anyOf.map(schemaName).join(" | ");
  return schema.type || "";
}

function operationView(path, method, op) {
  const body = el("div");
  if (op.description) body.append(el("p", {}, op.description));
  const params = op.parameters || [];
  if (params.length) {
    const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "required")));
    for (const p of params) table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, schemaName(p.schema)), el("td", {}, p.required ? "yes" : "")));
    body.append(table);
  }
  const content = op.requestBody && op.requestBody.content;
  if (content) {
    for (const [type, media] of Object.entries(content)) body.append(el("p", {}, "Body (", el("code", {}, type), "): ", schemaName(media.schema)));
  }
  const answers = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "answer")));
  for (const [status, answer] of Object.entries(op.responses || {})) {
    const media = answer.content ? Object.entries(answer.content)[0] : null;
    answers.append(el("tr", {}, el("td", {}, status), el("td", {}, answer.description || "", media ? ` — ${media[0]} ${schemaName(media[1].schema)}` : "")));
  }
  body.append(answers);
  if (op.security && op.security.length) body.append(el("p", { class: "muted" }, "Sends a bearer token when signed in."));
  const summary = el("summary", {}, el("span", { class: `method ${method.toUpperCase()}` }, method.toUpperCase()), " ", el("span", { class: "path" }, path), " ", el("span", { class: "muted" }, `${op.summary || ""} · ${op.operationId || ""}`));
  const item = el("details", { "data-search": `${path} ${op.operationId || ""} ${op.summary || ""}`.toLowerCase() }, summary, body);
  return item;
}

function render(doc) {
  const main = document.getElementById("operations");
  main.textContent = "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationView(path, method, op));
    }
  }
  for (const tag of [...byTag.keys()].sort()) {
    main.append(el("h2", {}, tag));
    for (const view of byTag.get(tag)) main.append(view);
  }
  const missing = (doc.info || {})["x-unavailable-services"];
  if (missing && missing.length) main.prepend(el("p", { class: "muted" }, `Not answering right now: ${missing.join(", ")}`));
}

function renderEvents(doc) {
  const section = document.getElementById("events");
  section.append(el("h2", {}, "Events (NATS subjects)"));
  for (const [channel, item] of Object.entries(doc.channels || {})) {
    const op = item.subscribe || {};
    section.append(el("details", { "data-search": channel.toLowerCase() }, el("summary", {}, el("span", { class: "path" }, channel), " ", el("span", { class: "muted" }, op.summary || "")), el("p", {}, item.description || "")));
  }
}

document.getElementById("filter").addEventListener("input", (event) => {
  const needle = event.target.value.trim().toLowerCase();
  for (const node of document.querySelectorAll("details")) node.hidden = needle && !node.dataset.search.includes(needle);
});

fetch("/api/openapi.json").then((r) => r.json()).then(render).catch((error) => {
  document.getElementById("operations").textContent = `The OpenAPI document could not be loaded: ${error}`;
});
fetch("/api/asyncapi.json").then((r) => r.json()).then(renderEvents).catch(() => {});
