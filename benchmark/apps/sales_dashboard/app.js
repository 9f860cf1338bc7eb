// Salesly dashboard: KPIs, charts and a sortable table for a region and a date range.
"use strict";

const state = { region: "All", days: 30, sortKey: "revenue", sortDir: "desc" };
const NUMERIC = new Set(["units", "revenue", "profit"]);
const MONTHS = [["Jan", 31], ["Feb", 28], ["Mar", 31], ["Apr", 30], ["May", 31], ["Jun", 30], ["Jul", 31], ["Aug", 31], ["Sep", 30], ["Oct", 31], ["Nov", 30], ["Dec", 31]];
const SVG = "http://www.w3.org/2000/svg";

function money(value) {
  return "$" + Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function compact(value) {
  return value >= 1000 ? "$" + (value / 1000).toFixed(1) + "k" : "$" + Math.round(value);
}

function count(value) {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// Label of the day `back` days before the last day (24 Nov 2026).
function dayLabel(back) {
  let month = 10;
  let day = 24 - back;
  while (day < 1) {
    month = (month + 11) % 12;
    day += MONTHS[month][1];
  }
  return MONTHS[month][0] + " " + day;
}

function regionIndexes(region) {
  return region === "All" ? REGIONS.map((_, i) => i) : [REGIONS.indexOf(region)];
}

function sumOver(values, indexes) {
  return indexes.reduce((total, i) => total + values[i], 0);
}

// Totals over days [start, end) for the chosen regions.
function summarize(start, end, region) {
  const regions = regionIndexes(region);
  const out = { revenue: 0, orders: 0, visits: 0, profit: 0, daily: [], byCategory: {}, rows: [] };
  const perRow = new Map();
  for (const c of CATEGORIES) out.byCategory[c] = 0;
  for (let d = start; d < end; d++) {
    let dayRevenue = 0;
    out.orders += sumOver(SALES.orders[d], regions);
    out.visits += sumOver(SALES.visits[d], regions);
    for (const r of regions) {
      PRODUCTS.forEach((p, i) => {
        const units = SALES.units[d][r][i];
        const revenue = units * p.price;
        dayRevenue += revenue;
        out.byCategory[p.category] += revenue;
        const key = i + ":" + r;
        const row = perRow.get(key) || { product: p.name, category: p.category, region: REGIONS[r], units: 0, revenue: 0, profit: 0 };
        row.units += units;
        row.revenue += revenue;
        row.profit += revenue * p.margin;
        perRow.set(key, row);
      });
    }
    out.revenue += dayRevenue;
    out.daily.push(dayRevenue);
  }
  out.rows = [...perRow.values()];
  out.profit = out.rows.reduce((a, r) => a + r.profit, 0);
  return out;
}

function kpis(summary) {
  return {
    revenue: summary.revenue,
    orders: summary.orders,
    aov: summary.orders ? summary.revenue / summary.orders : 0,
    conversion: summary.visits ? (100 * summary.orders) / summary.visits : 0,
  };
}

function setDelta(id, now, before) {
  const el = document.getElementById(id);
  const change = before ? ((now - before) / before) * 100 : 0;
  el.className = "delta " + (change >= 0 ? "up" : "down");
  el.textContent = (change >= 0 ? "▲ " : "▼ ") + Math.abs(change).toFixed(1) + "% vs previous " + state.days + " days";
}

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function drawBars(byCategory) {
  const svg = document.getElementById("bar-chart");
  const values = CATEGORIES.map((c) => byCategory[c]);
  const max = Math.max(...values, 1);
  const parts = [svgEl("line", { class: "grid", x1: 0, y1: 140, x2: 500, y2: 140 })];
  const slot = 500 / CATEGORIES.length;
  CATEGORIES.forEach((c, i) => {
    const h = (values[i] / max) * 110;
    const x = i * slot + 14;
    parts.push(svgEl("rect", { class: "bar", x, y: 140 - h, width: slot - 28, height: h, rx: 3 }));
    parts.push(svgEl("text", { class: "value-label", x: x + (slot - 28) / 2, y: 134 - h, "text-anchor": "middle" }, compact(values[i])));
    parts.push(svgEl("text", { x: x + (slot - 28) / 2, y: 156, "text-anchor": "middle" }, c));
  });
  svg.replaceChildren(...parts);
}

function drawLine(daily) {
  const svg = document.getElementById("line-chart");
  const max = Math.max(...daily, 1);
  const left = 46;
  const width = 440;
  const step = daily.length > 1 ? width / (daily.length - 1) : 0;
  const y = (v) => 140 - (v / max) * 120;
  const points = daily.map((v, i) => `${(left + i * step).toFixed(1)},${y(v).toFixed(1)}`);
  const parts = [];
  for (const frac of [0, 0.5, 1]) {
    parts.push(svgEl("line", { class: "grid", x1: left, y1: y(max * frac), x2: left + width, y2: y(max * frac) }));
    parts.push(svgEl("text", { x: left - 6, y: y(max * frac) + 3, "text-anchor": "end" }, compact(max * frac)));
  }
  parts.push(svgEl("polygon", { class: "area", points: `${left},140 ${points.join(" ")} ${left + width},140` }));
  parts.push(svgEl("polyline", { class: "line", points: points.join(" ") }));
  const n = daily.length;
  for (const [i, anchor] of [[0, "start"], [Math.floor((n - 1) / 2), "middle"], [n - 1, "end"]]) {
    parts.push(svgEl("text", { x: left + i * step, y: 158, "text-anchor": anchor }, dayLabel(n - 1 - i)));
  }
  svg.replaceChildren(...parts);
}

function sortRows(rows) {
  const { sortKey, sortDir } = state;
  const sign = sortDir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const av = a[sortKey];
    const bv = b[sortKey];
    const primary = NUMERIC.has(sortKey) ? av - bv : String(av).localeCompare(String(bv));
    return primary !== 0 ? sign * primary : a.product.localeCompare(b.product) || a.region.localeCompare(b.region);
  });
}

function drawTable(rows) {
  const body = document.getElementById("rows");
  body.replaceChildren(...sortRows(rows).map((row) => {
    const tr = document.createElement("tr");
    const cells = [row.product, row.category, row.region, count(row.units), money(row.revenue), money(row.profit)];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i >= 3) td.className = "num";
      tr.append(td);
    });
    return tr;
  }));
  for (const th of document.querySelectorAll("th")) {
    const key = th.dataset.key;
    const base = th.textContent.replace(/ [▲▼]$/, "");
    th.textContent = key === state.sortKey ? base + (state.sortDir === "asc" ? " ▲" : " ▼") : base;
    th.classList.toggle("sorted", key === state.sortKey);
  }
  document.getElementById("row-count").textContent = "· " + rows.length + " rows";
}

function render() {
  const now = summarize(DAYS - state.days, DAYS, state.region);
  const before = summarize(DAYS - 2 * state.days, DAYS - state.days, state.region);
  const k = kpis(now);
  const p = kpis(before);
  document.getElementById("kpi-revenue").textContent = money(k.revenue);
  document.getElementById("kpi-orders").textContent = count(k.orders);
  document.getElementById("kpi-aov").textContent = "$" + k.aov.toFixed(2);
  document.getElementById("kpi-conversion").textContent = k.conversion.toFixed(2) + "%";
  setDelta("delta-revenue", k.revenue, p.revenue);
  setDelta("delta-orders", k.orders, p.orders);
  setDelta("delta-aov", k.aov, p.aov);
  setDelta("delta-conversion", k.conversion, p.conversion);
  const scope = (state.region === "All" ? "all regions" : state.region) + ", last " + state.days + " days";
  document.getElementById("bar-caption").textContent = "· " + scope;
  document.getElementById("line-caption").textContent = "· " + scope;
  drawBars(now.byCategory);
  drawLine(now.daily);
  drawTable(now.rows);
  document.getElementById("table-scroll").scrollTop = 0;
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.region === state.region);
  for (const b of document.querySelectorAll(".range button")) b.classList.toggle("active", Number(b.dataset.days) === state.days);
}

document.querySelector(".tabs").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  state.region = button.dataset.region;
  render();
});
document.querySelector(".range").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  state.days = Number(button.dataset.days);
  render();
});
document.querySelector("thead").addEventListener("click", (event) => {
  const th = event.target.closest("th");
  if (!th) return;
  const key = th.dataset.key;
  if (state.sortKey === key) state.sortDir = state.sortDir === "asc" ? "desc" : "asc";
  else {
    state.sortKey = key;
    state.sortDir = NUMERIC.has(key) ? "desc" : "asc";
  }
  render();
});
render();
