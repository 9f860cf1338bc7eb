// Notably sign-up: inline validation, password strength meter, success summary.
"use strict";

const MIN_PASSWORD = 8;
const PLANS = { free: "Free ($0/month)", pro: "Pro ($8/month)", team: "Team ($20/month)" };
const STRENGTH = [
  { label: "Weak", color: "#dc2626" },
  { label: "Weak", color: "#dc2626" },
  { label: "Fair", color: "#f59e0b" },
  { label: "Good", color: "#84cc16" },
  { label: "Strong", color: "#16a34a" },
  { label: "Very strong", color: "#15803d" },
];
const byId = (id) => document.getElementById(id);

function strengthScore(pw) {
  let score = 0;
  if (pw.length >= MIN_PASSWORD) score++;
  if (pw.length >= 12) score++;
  if (/[a-z]/.test(pw) && /[A-Z]/.test(pw)) score++;
  if (/\d/.test(pw)) score++;
  if (/[^A-Za-z0-9]/.test(pw)) score++;
  return score;
}

const checks = {
  name: (v) => (v.trim().length >= 2 ? "" : "Please enter your full name"),
  email: (v) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? "" : "Enter a valid email address"),
  password: (v) => (v.length >= MIN_PASSWORD ? "" : `Password must be at least ${MIN_PASSWORD} characters`),
};

function showError(field, message) {
  byId(`${field}-error`).textContent = message;
  byId(field).classList.toggle("invalid", Boolean(message));
}

function validateLive(field) {
  const value = byId(field).value;
  showError(field, value === "" ? "" : checks[field](value));
}

function renderStrength() {
  const pw = byId("password").value;
  const bar = byId("meter-bar");
  if (!pw) {
    bar.style.width = "0";
    byId("strength").textContent = "Password strength: –";
    return;
  }
  const score = strengthScore(pw);
  bar.style.width = `${Math.max(1, score) * 20}%`;
  bar.style.background = STRENGTH[score].color;
  byId("strength").textContent = `Password strength: ${STRENGTH[score].label}`;
}

function renderPlans() {
  for (const input of document.querySelectorAll("input[name=plan]")) input.closest(".plan").classList.toggle("selected", input.checked);
}

function selectedPlan() {
  return document.querySelector("input[name=plan]:checked").value;
}

function submit(e) {
  e.preventDefault();
  let ok = true;
  for (const field of Object.keys(checks)) {
    const message = checks[field](byId(field).value);
    showError(field, message);
    if (message) ok = false;
  }
  const agreed = byId("terms").checked;
  byId("terms-error").textContent = agreed ? "" : "You must agree to the Terms of Service";
  if (!agreed || !ok) return;
  const name = byId("name").value.trim();
  byId("welcome").textContent = `Welcome, ${name}!`;
  const rows = [
    ["Name", name],
    ["Email", byId("email").value.trim()],
    ["Password", `${byId("password").value.length} characters (${STRENGTH[strengthScore(byId("password").value)].label})`],
    ["Plan", PLANS[selectedPlan()]],
    ["Terms", "Accepted"],
  ];
  byId("summary").innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd></dd>`).join("");
  byId("summary").querySelectorAll("dd").forEach((dd, i) => { dd.textContent = rows[i][1]; });
  byId("signup").hidden = true;
  byId("success").hidden = false;
}

function init() {
  for (const field of Object.keys(checks)) byId(field).addEventListener("input", () => validateLive(field));
  byId("password").addEventListener("input", renderStrength);
  for (const input of document.querySelectorAll("input[name=plan]")) input.addEventListener("change", renderPlans);
  byId("terms").addEventListener("change", () => { if (byId("terms").checked) byId("terms-error").textContent = ""; });
  byId("signup").addEventListener("submit", submit);
  renderPlans();
  renderStrength();
}

init();
