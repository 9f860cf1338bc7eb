// FlyAway: flight search with deterministic results, flight choice, passengers, booking reference.
"use strict";

const AIRPORTS = {
  lisbon: "LIS", berlin: "BER", paris: "CDG", rome: "FCO", madrid: "MAD",
  oslo: "OSL", vienna: "VIE", athens: "ATH", london: "LHR", amsterdam: "AMS",
};
const AIRLINES = [
  { id: "skyline", name: "Skyline Air", code: "SK" },
  { id: "aurora", name: "Aurora Jet", code: "AU" },
  { id: "nordwind", name: "Nordwind", code: "NW" },
];
const DATES = ["Mon 10 Mar", "Tue 11 Mar", "Wed 12 Mar", "Thu 13 Mar", "Fri 14 Mar"];
const CABINS = { economy: { label: "Economy", factor: 1.0 }, premium: { label: "Premium", factor: 1.6 }, business: { label: "Business", factor: 2.5 } };
const TAX_PER_PASSENGER = 24.0;
const MAX_PASSENGERS = 9;
const FLIGHTS_PER_SEARCH = 8;

const state = { dateIndex: 0, cabin: "economy", flights: [], chosen: null, passengers: 1, route: null };
const byId = (id) => document.getElementById(id);
const money = (v) => "$" + v.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const pad = (n) => String(n).padStart(2, "0");
const clock = (minutes) => `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}`;

function hash(text) {
  // FNV-1a, 32 bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function prng(seed) {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function airport(text) {
  const key = text.trim().toLowerCase();
  if (AIRPORTS[key]) return { city: key[0].toUpperCase() + key.slice(1), code: AIRPORTS[key] };
  for (const [city, code] of Object.entries(AIRPORTS)) {
    if (code.toLowerCase() === key) return { city: city[0].toUpperCase() + city.slice(1), code };
  }
  return null;
}

function makeFlights(from, to, dateIndex, cabin) {
  const rand = prng(hash(`${from.code}-${to.code}-${dateIndex}`));
  const baseMinutes = 90 + (hash(`${from.code}${to.code}`) % 150);
  const flights = [];
  let depart = 6 * 60 + Math.floor(rand() * 6) * 5;
  for (let i = 0; i < FLIGHTS_PER_SEARCH; i++) {
    const airline = AIRLINES[Math.floor(rand() * AIRLINES.length)];
    const stops = rand() < 0.3 ? 1 : 0;
    const duration = baseMinutes + stops * 55 + Math.floor(rand() * 6) * 5;
    const economy = Math.round(60 + baseMinutes * 0.5 + rand() * 80 - stops * 25);
    flights.push({
      number: `${airline.code} ${100 + Math.floor(rand() * 900)}`,
      airline, stops, duration, depart,
      arrive: depart + duration,
      fare: Math.round(economy * CABINS[cabin].factor),
    });
    depart += 85 + Math.floor(rand() * 8) * 5;
  }
  return flights;
}

function renderDates() {
  const box = byId("dates");
  box.innerHTML = "";
  DATES.forEach((label, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "date" + (i === state.dateIndex ? " active" : "");
    b.id = `date-${i}`;
    b.textContent = label;
    b.addEventListener("click", () => { state.dateIndex = i; renderDates(); });
    box.appendChild(b);
  });
}

function renderCabins() {
  for (const b of document.querySelectorAll(".cabin")) b.classList.toggle("active", b.dataset.cabin === state.cabin);
}

function search() {
  const err = byId("search-error");
  const from = airport(byId("from").value);
  const to = airport(byId("to").value);
  err.textContent = "";
  if (!from) { err.textContent = `No airport found for '${byId("from").value.trim()}'`; return; }
  if (!to) { err.textContent = `No airport found for '${byId("to").value.trim()}'`; return; }
  if (from.code === to.code) { err.textContent = "Origin and destination must be different"; return; }
  state.route = { from, to, date: DATES[state.dateIndex], cabin: CABINS[state.cabin].label };
  state.flights = makeFlights(from, to, state.dateIndex, state.cabin);
  state.chosen = null;
  state.passengers = 1;
  byId("intro").hidden = true;
  byId("results-box").hidden = false;
  byId("results-title").textContent =
    `${state.flights.length} flights from ${from.city} (${from.code}) to ${to.city} (${to.code}) · ${state.route.date} · ${state.route.cabin}`;
  byId("results").scrollTop = 0;
  renderResults();
  renderBooking();
}

function renderResults() {
  const list = byId("results");
  list.innerHTML = "";
  state.flights.forEach((f, i) => {
    const row = document.createElement("div");
    row.className = "flight" + (state.chosen === i ? " chosen-row" : "");
    const h = Math.floor(f.duration / 60), m = f.duration % 60;
    row.innerHTML =
      `<img src="assets/airline_${f.airline.id}.png" alt="${f.airline.name}" width="40" height="40">` +
      `<div class="airline"><b>${f.airline.name}</b>${f.number}</div>` +
      `<div><div class="times">${clock(f.depart)} – ${clock(f.arrive)}</div>` +
      `<div class="meta">${state.route.from.code} → ${state.route.to.code}</div></div>` +
      `<div class="meta">${h}h ${pad(m)}m<br>${f.stops === 0 ? "Nonstop" : "1 stop"}</div>` +
      `<div class="fare">$${f.fare}</div>` +
      `<button type="button" class="pick" id="select-${i}">${state.chosen === i ? "Selected" : "Select"}</button>`;
    row.querySelector("button").addEventListener("click", () => choose(i));
    list.appendChild(row);
  });
}

function choose(i) {
  state.chosen = i;
  byId("confirmation").hidden = true;
  byId("booking-error").textContent = "";
  renderResults();
  renderBooking();
}

function prices() {
  const f = state.flights[state.chosen];
  const fare = f.fare * state.passengers;
  const taxes = TAX_PER_PASSENGER * state.passengers;
  return { fare, taxes, total: fare + taxes };
}

function renderBooking() {
  const has = state.chosen !== null;
  byId("booking-hint").hidden = has;
  byId("booking-form").hidden = !has;
  if (!has) { byId("confirmation").hidden = true; return; }
  const f = state.flights[state.chosen];
  byId("chosen").innerHTML =
    `<b>${f.airline.name} ${f.number}</b><br>${state.route.from.city} ${clock(f.depart)} → ${state.route.to.city} ${clock(f.arrive)}` +
    `<br>${state.route.date} · ${state.route.cabin}`;
  const p = prices();
  byId("pax-count").textContent = String(state.passengers);
  byId("fare-label").textContent = `Fare (${state.passengers} × $${f.fare})`;
  byId("fare-total").textContent = money(p.fare);
  byId("tax-label").textContent = `Taxes & fees (${state.passengers} × ${money(TAX_PER_PASSENGER)})`;
  byId("tax-total").textContent = money(p.taxes);
  byId("grand-total").textContent = money(p.total);
}

function setPassengers(n) {
  state.passengers = Math.max(1, Math.min(MAX_PASSENGERS, n));
  byId("confirmation").hidden = true;
  renderBooking();
}

function bookingReference(f, name) {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let h = hash(`${f.number}|${state.route.date}|${state.route.cabin}|${name.toUpperCase()}|${state.passengers}`);
  let ref = "";
  for (let i = 0; i < 6; i++) { ref += alphabet[h % alphabet.length]; h = Math.floor(h / alphabet.length) + (i + 7) * 131; }
  return "FA-" + ref;
}

function confirm() {
  const name = byId("passenger-name").value.trim().replace(/\s+/g, " ");
  const err = byId("booking-error");
  if (name.length < 2) { err.textContent = "Please enter the passenger name"; byId("confirmation").hidden = true; return; }
  err.textContent = "";
  const f = state.flights[state.chosen];
  byId("booking-ref").textContent = bookingReference(f, name);
  const others = state.passengers - 1;
  byId("booking-summary").textContent =
    `${name}${others ? ` + ${others} more` : ""} · ${f.number} · ${state.route.date} · ${money(prices().total)}`;
  byId("confirmation").hidden = false;
}

function init() {
  renderDates();
  for (const b of document.querySelectorAll(".cabin")) {
    b.addEventListener("click", () => { state.cabin = b.dataset.cabin; renderCabins(); });
  }
  byId("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  byId("pax-inc").addEventListener("click", () => setPassengers(state.passengers + 1));
  byId("pax-dec").addEventListener("click", () => setPassengers(state.passengers - 1));
  byId("confirm").addEventListener("click", confirm);
  byId("passenger-name").addEventListener("keydown", (e) => { if (e.key === "Enter") confirm(); });
}

init();
