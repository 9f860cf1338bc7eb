// The Daily Meridian: section filter, article view with reading time, back navigation.
"use strict";

const WORDS_PER_MINUTE = 200;
const state = { section: "all", returnSection: "all" };
const byId = (id) => document.getElementById(id);
const story = (id) => STORIES.find((s) => s.id === id);

function readingMinutes(s) {
  const words = [s.standfirst, ...s.body].join(" ").split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
}

function likes(s) {
  return `<span class="meta"><img src="assets/heart.png" alt="">${s.likes} · ${s.author}</span>`;
}

function storyLink(s) {
  return `<a href="#" data-story="${s.id}">${s.headline}</a>`;
}

function renderTabs() {
  const nav = byId("sections");
  for (const name of SECTIONS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "tab";
    b.dataset.section = name.toLowerCase();
    b.id = `tab-${name.toLowerCase()}`;
    b.textContent = name;
    nav.appendChild(b);
  }
  for (const b of nav.querySelectorAll(".tab")) b.addEventListener("click", () => showSection(b.dataset.section));
}

function showSection(section) {
  state.section = section;
  for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.section === section);
  byId("article").hidden = true;
  byId("front").hidden = false;
  const lead = STORIES[0];
  const front = section === "all";
  const list = front ? STORIES.slice(1) : STORIES.filter((s) => s.section.toLowerCase() === section);
  byId("lead").hidden = !front;
  if (front) {
    byId("lead").innerHTML =
      `<img src="assets/${lead.photo}" alt="${lead.headline}" data-story="${lead.id}">` +
      `<div><p class="kicker">${lead.section}</p><h2>${storyLink(lead)}</h2><p>${lead.standfirst}</p>${likes(lead)}</div>`;
  }
  const label = list.length === 1 ? "1 story" : `${list.length} stories`;
  byId("list-title").textContent = front ? "Latest stories" : `${list[0] ? list[0].section : section} · ${label}`;
  byId("cards").innerHTML = list
    .map(
      (s) =>
        `<article class="card"><img src="assets/${s.photo}" alt="${s.headline}" data-story="${s.id}">` +
        `<p class="kicker">${s.section}</p><h3>${storyLink(s)}</h3><p>${s.standfirst}</p>${likes(s)}</article>`,
    )
    .join("");
  window.scrollTo(0, 0);
}

function openStory(id) {
  const s = story(id);
  state.returnSection = state.section;
  byId("front").hidden = true;
  byId("article").hidden = false;
  byId("article-section").textContent = s.section;
  byId("article-headline").textContent = s.headline;
  byId("article-standfirst").textContent = s.standfirst;
  byId("article-byline").textContent = `By ${s.author} · 4 March 2025 · ${readingMinutes(s)} min read`;
  byId("article-photo").src = `assets/${s.photo}`;
  byId("article-photo").alt = s.headline;
  byId("article-body").innerHTML = s.body.map((p) => `<p>${p}</p>`).join("");
  window.scrollTo(0, 0);
}

function renderMostRead() {
  byId("most-read").innerHTML = MOST_READ.map((id) => `<li>${storyLink(story(id))}</li>`).join("");
}

function init() {
  renderTabs();
  renderMostRead();
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-story]");
    if (!el) return;
    e.preventDefault();
    openStory(Number(el.dataset.story));
  });
  byId("back").addEventListener("click", (e) => {
    e.preventDefault();
    showSection(state.returnSection);
  });
  showSection("all");
}

init();
