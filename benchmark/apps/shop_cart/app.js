// Trailhead Outfitters: product grid, cart with quantities, promo codes, order summary.
"use strict";

const PRODUCTS = [
  { id: "trail_runner", name: "Trail Runner", desc: "Red running shoe with a grippy sole", price: 89.0, rating: 5, reviews: 214 },
  { id: "water_bottle", name: "Water Bottle", desc: "Blue insulated bottle, 750 ml", price: 18.5, rating: 4, reviews: 96 },
  { id: "wool_beanie", name: "Wool Beanie", desc: "Yellow merino beanie, one size", price: 22.0, rating: 5, reviews: 58 },
  { id: "day_pack", name: "Day Pack", desc: "Green 22 l backpack with rain cover", price: 64.0, rating: 4, reviews: 131 },
  { id: "headlamp", name: "Headlamp", desc: "300 lumen rechargeable headlamp", price: 35.0, rating: 4, reviews: 77 },
  { id: "camp_mug", name: "Camp Mug", desc: "Enamel mug with a copper rim", price: 12.0, rating: 3, reviews: 40 },
];
const FREE_SHIPPING_FROM = 75.0;
const SHIPPING_FEE = 5.99;
const PROMOS = {
  TRAIL10: { label: "TRAIL10 (10% off)", percent: 10, freeShipping: false },
  FREESHIP: { label: "FREESHIP (free shipping)", percent: 0, freeShipping: true },
};

const state = { lines: [], promo: null, ordered: false };

const money = (v) => "$" + (Math.round(v * 100) / 100).toFixed(2);
const byId = (id) => document.getElementById(id);
const product = (id) => PRODUCTS.find((p) => p.id === id);

function totals() {
  const subtotal = state.lines.reduce((s, l) => s + product(l.id).price * l.qty, 0);
  const promo = state.promo ? PROMOS[state.promo] : null;
  const discount = promo ? Math.round(subtotal * promo.percent) / 100 : 0;
  let shipping = 0;
  if (state.lines.length > 0 && subtotal < FREE_SHIPPING_FROM && !(promo && promo.freeShipping)) shipping = SHIPPING_FEE;
  return { subtotal, discount, shipping, total: subtotal - discount + shipping, count: state.lines.reduce((s, l) => s + l.qty, 0) };
}

function renderGrid() {
  const grid = byId("product-grid");
  for (const p of PRODUCTS) {
    const card = document.createElement("article");
    card.className = "card";
    const stars = Array.from({ length: p.rating }, () => '<img src="assets/star.png" alt="" width="16" height="16">').join("");
    card.innerHTML =
      `<img class="photo" src="assets/${p.id}.jpg" alt="${p.name}">` +
      `<div class="body"><h3>${p.name}</h3><p class="desc">${p.desc}</p>` +
      `<div class="stars">${stars}<span>${p.reviews} reviews</span></div>` +
      `<div class="buy"><span class="price">${money(p.price)}</span>` +
      `<button class="add" id="add-${p.id}" type="button">Add to cart</button></div></div>`;
    grid.appendChild(card);
  }
}

function addToCart(id) {
  const line = state.lines.find((l) => l.id === id);
  if (line) line.qty += 1;
  else state.lines.push({ id, qty: 1 });
  state.ordered = false;
  render();
}

function changeQty(id, delta) {
  const line = state.lines.find((l) => l.id === id);
  if (!line) return;
  line.qty = Math.max(1, Math.min(99, line.qty + delta));
  state.ordered = false;
  render();
}

function removeLine(id) {
  state.lines = state.lines.filter((l) => l.id !== id);
  state.ordered = false;
  render();
}

function applyPromo(raw) {
  const code = raw.trim().toUpperCase();
  const msg = byId("promo-msg");
  if (!code) return;
  if (PROMOS[code]) {
    state.promo = code;
    msg.className = "promo-msg ok";
    msg.textContent = `Code ${code} applied`;
  } else {
    msg.className = "promo-msg bad";
    msg.textContent = `Code ${raw.trim()} is not valid`;
  }
  byId("promo-code").value = "";
  render();
}

function renderLines() {
  const box = byId("cart-lines");
  box.innerHTML = "";
  if (state.lines.length === 0) {
    box.innerHTML = '<p class="empty">Your cart is empty. Add something from the list above.</p>';
    return;
  }
  for (const l of state.lines) {
    const p = product(l.id);
    const row = document.createElement("div");
    row.className = "line";
    row.innerHTML =
      `<img src="assets/${p.id}.jpg" alt="${p.name}">` +
      `<span class="name">${p.name}<span class="unit">${money(p.price)} each</span></span>` +
      `<span class="qty"><button type="button" id="dec-${p.id}" aria-label="Decrease ${p.name} quantity">−</button>` +
      `<output id="qty-${p.id}">${l.qty}</output>` +
      `<button type="button" id="inc-${p.id}" aria-label="Increase ${p.name} quantity">+</button></span>` +
      `<span class="line-total">${money(p.price * l.qty)}</span>` +
      `<button type="button" class="remove" id="remove-${p.id}">Remove</button>`;
    row.querySelector(`#dec-${p.id}`).addEventListener("click", () => changeQty(p.id, -1));
    row.querySelector(`#inc-${p.id}`).addEventListener("click", () => changeQty(p.id, +1));
    row.querySelector(`#remove-${p.id}`).addEventListener("click", () => removeLine(p.id));
    box.appendChild(row);
  }
}

function render() {
  const t = totals();
  byId("cart-badge").textContent = String(t.count);
  renderLines();
  byId("subtotal").textContent = money(t.subtotal);
  byId("shipping").textContent = state.lines.length > 0 && t.shipping === 0 ? "Free" : money(t.shipping);
  const showDiscount = Boolean(state.promo) && PROMOS[state.promo].percent > 0;
  byId("discount-row").hidden = !showDiscount;
  if (state.promo) byId("discount-label").textContent = "Discount " + PROMOS[state.promo].label;
  byId("discount").textContent = "-" + money(t.discount);
  byId("total").textContent = money(t.total);
  byId("checkout").disabled = state.lines.length === 0;
  byId("order-msg").textContent = state.ordered ? `Thank you! Order placed: ${t.count} ${t.count === 1 ? "item" : "items"}, ${money(t.total)}` : "";
}

function init() {
  renderGrid();
  for (const p of PRODUCTS) byId(`add-${p.id}`).addEventListener("click", () => addToCart(p.id));
  byId("promo-form").addEventListener("submit", (e) => {
    e.preventDefault();
    applyPromo(byId("promo-code").value);
  });
  byId("checkout").addEventListener("click", () => {
    if (state.lines.length === 0) return;
    state.ordered = true;
    render();
  });
  render();
}

init();
