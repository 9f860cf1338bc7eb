// Forkful gallery: live search, category chips, and a detail panel with a servings stepper.
"use strict";

const MIN_SERVINGS = 1;
const MAX_SERVINGS = 12;
const view = { category: "All", query: "", open: null, servings: 0 };

const grid = document.getElementById("grid");
const search = document.getElementById("search");
const detail = document.getElementById("detail");

function matches(recipe) {
  const q = view.query.trim().toLowerCase();
  const inCategory = view.category === "All" || recipe.category === view.category;
  return inCategory && (!q || recipe.title.toLowerCase().includes(q));
}

function cardFor(recipe) {
  const card = document.createElement("article");
  card.className = "card";
  card.dataset.id = recipe.id;
  card.tabIndex = 0;
  card.setAttribute("role", "button");
  card.setAttribute("aria-label", "Open " + recipe.title);
  card.innerHTML = `<img src="assets/${recipe.image}" alt=""><div class="info"><span class="cat"></span><h3></h3>
    <div class="meta"><img src="assets/dot.png" alt=""><span class="mins"></span><img src="assets/star.png" alt=""><span class="stars"></span></div></div>`;
  card.querySelector("img").alt = recipe.title;
  card.querySelector(".cat").textContent = recipe.category;
  card.querySelector("h3").textContent = recipe.title;
  card.querySelector(".mins").textContent = recipe.minutes + " min";
  card.querySelector(".stars").textContent = recipe.rating.toFixed(1);
  card.addEventListener("click", () => openRecipe(recipe.id));
  return card;
}

function renderGallery() {
  const shown = RECIPES.filter(matches);
  grid.replaceChildren(...shown.map(cardFor));
  document.getElementById("count").textContent = shown.length + (shown.length === 1 ? " recipe" : " recipes");
  document.getElementById("empty").hidden = shown.length > 0;
  document.getElementById("empty-text").textContent = "No recipes match '" + view.query.trim() + "'";
  for (const chip of document.querySelectorAll("#chips button")) chip.classList.toggle("active", chip.dataset.category === view.category);
}

function formatAmount(value) {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded);
}

function scaledIngredients(recipe, servings) {
  const factor = servings / recipe.serves;
  return recipe.ingredients.map(([amount, unit, name]) => {
    const qty = formatAmount(amount * factor);
    return unit ? `${qty} ${unit} ${name}` : `${qty} ${name}`;
  });
}

function renderDetail() {
  const recipe = RECIPES.find((r) => r.id === view.open);
  detail.hidden = !recipe;
  if (!recipe) return;
  document.getElementById("detail-img").src = "assets/" + recipe.image;
  document.getElementById("detail-img").alt = recipe.title;
  document.getElementById("detail-title").textContent = recipe.title;
  document.getElementById("detail-meta").innerHTML = `<img src="assets/dot.png" alt="">${recipe.minutes} min · ${recipe.category} · <img src="assets/star.png" alt="">${recipe.rating.toFixed(1)}`;
  document.getElementById("servings-value").textContent = String(view.servings);
  document.getElementById("servings-minus").disabled = view.servings <= MIN_SERVINGS;
  document.getElementById("servings-plus").disabled = view.servings >= MAX_SERVINGS;
  document.getElementById("ingredients").replaceChildren(...scaledIngredients(recipe, view.servings).map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
  document.getElementById("method").replaceChildren(...recipe.method.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

function openRecipe(id) {
  view.open = id;
  view.servings = RECIPES.find((r) => r.id === id).serves;
  renderDetail();
}

function closeRecipe() {
  view.open = null;
  renderDetail();
}

function changeServings(delta) {
  view.servings = Math.min(MAX_SERVINGS, Math.max(MIN_SERVINGS, view.servings + delta));
  renderDetail();
}

const chips = document.getElementById("chips");
for (const name of CATEGORIES) {
  const chip = document.createElement("button");
  chip.type = "button";
  chip.dataset.category = name;
  chip.textContent = name;
  chips.append(chip);
}
chips.addEventListener("click", (event) => {
  const chip = event.target.closest("button");
  if (!chip) return;
  view.category = chip.dataset.category;
  renderGallery();
});
search.addEventListener("input", () => {
  view.query = search.value;
  renderGallery();
});
document.getElementById("clear-search").addEventListener("click", () => {
  search.value = "";
  view.query = "";
  renderGallery();
});
document.getElementById("servings-minus").addEventListener("click", () => changeServings(-1));
document.getElementById("servings-plus").addEventListener("click", () => changeServings(1));
document.getElementById("close-detail").addEventListener("click", closeRecipe);
detail.addEventListener("click", (event) => {
  if (event.target === detail) closeRecipe();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && view.open) closeRecipe();
});
renderGallery();
