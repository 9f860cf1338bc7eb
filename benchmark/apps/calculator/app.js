// CalcPad: an immediate-entry calculator with operator precedence, keyboard input and history.
"use strict";

const SYMBOL = { "+": "+", "-": "−", "*": "×", "/": "÷" };
const PRIORITY = { "+": 1, "-": 1, "*": 2, "/": 2 };
const MAX_DIGITS = 12;

const state = {
  tokens: [],        // numbers and operator keys entered so far: [12, "+", 3, "*"]
  entry: "0",        // the number being typed, as text
  result: null,      // the last result (number) while it is shown, else null
  error: false,
  fixed: false,      // "2 decimal places" setting
  history: [],       // newest first: {expr, value}
};

const exprEl = document.getElementById("expression");
const resultEl = document.getElementById("result");
const historyEl = document.getElementById("history");
const toggle = document.getElementById("fixed-toggle");

function applyOperator(a, op, b) {
  if (op === "+") return a + b;
  if (op === "-") return a - b;
  if (op === "*") return a * b;
  if (b === 0) throw new Error("division by zero");
  return a / b;
}

// Evaluates [n, op, n, op, n, ...] with * and / before + and -.
function evaluate(tokens) {
  const values = [tokens[0]];
  const ops = [];
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i];
    while (ops.length && PRIORITY[ops[ops.length - 1]] >= PRIORITY[op]) {
      const b = values.pop();
      values.push(applyOperator(values.pop(), ops.pop(), b));
    }
    ops.push(op);
    values.push(tokens[i + 1]);
  }
  while (ops.length) {
    const b = values.pop();
    values.push(applyOperator(values.pop(), ops.pop(), b));
  }
  return values[0];
}

function formatNumber(value) {
  if (state.fixed) return value.toFixed(2);
  const rounded = Number(value.toPrecision(12));
  if (Math.abs(rounded) >= 1e12) return rounded.toExponential(6);
  return String(rounded);
}

function describe(tokens) {
  return tokens.map((t) => (typeof t === "number" ? String(t) : SYMBOL[t])).join(" ");
}

function render() {
  const pending = state.result === null && !state.error ? [...state.tokens] : [];
  exprEl.textContent = describe(pending);
  if (state.error) resultEl.textContent = "Error";
  else if (state.result !== null) resultEl.textContent = formatNumber(state.result);
  else resultEl.textContent = state.entry;
  toggle.setAttribute("aria-checked", String(state.fixed));
  historyEl.replaceChildren(...historyItems());
}

function historyItems() {
  if (!state.history.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No calculations yet";
    return [li];
  }
  return state.history.map((item) => {
    const li = document.createElement("li");
    const value = item.value === null ? "Error" : formatNumber(item.value);
    li.innerHTML = "<span></span> = <span class='ans'></span>";
    li.firstChild.textContent = item.expr;
    li.lastChild.textContent = value;
    li.title = "Use this result";
    if (item.value !== null) li.addEventListener("click", () => reuse(item.value));
    return li;
  });
}

function startFresh() {
  if (state.result !== null || state.error) {
    state.tokens = [];
    state.result = null;
    state.error = false;
  }
}

function inputDigit(d) {
  startFresh();
  const digits = state.entry.replace(/[-.]/g, "");
  if (state.entry === "0") state.entry = d;
  else if (state.entry === "-0") state.entry = "-" + d;
  else if (digits.length < MAX_DIGITS) state.entry += d;
}

function inputPoint() {
  startFresh();
  if (state.entry === "") state.entry = "0";
  if (!state.entry.includes(".")) state.entry += ".";
}

function inputOperator(op) {
  if (state.error) return;
  if (state.result !== null) {
    state.tokens = [state.result];
    state.result = null;
    state.entry = "";
  } else if (state.entry !== "") {
    state.tokens.push(Number(state.entry));
    state.entry = "";
  } else if (state.tokens.length) {
    state.tokens.pop();
  }
  state.tokens.push(op);
}

function equals() {
  if (state.result !== null || state.error) return;
  const tokens = [...state.tokens];
  if (state.entry !== "") tokens.push(Number(state.entry));
  else if (tokens.length) tokens.pop();
  if (tokens.length < 3) return;
  const expr = describe(tokens);
  let value;
  try {
    value = evaluate(tokens);
  } catch (err) {
    state.history.unshift({ expr, value: null });
    state.error = true;
    state.tokens = [];
    state.entry = "0";
    return;
  }
  value = Number(value.toPrecision(12));
  state.history.unshift({ expr, value });
  state.result = value;
  state.entry = "0";
}

function negate() {
  if (state.result !== null) state.result = -state.result;
  else if (state.entry === "" || state.error) return;
  else state.entry = state.entry.startsWith("-") ? state.entry.slice(1) : "-" + state.entry;
}

function percent() {
  if (state.result !== null) state.result = state.result / 100;
  else if (state.entry !== "") state.entry = String(Number((Number(state.entry) / 100).toPrecision(12)));
}

function backspace() {
  if (state.result !== null || state.error || state.entry === "") return;
  state.entry = state.entry.slice(0, -1);
  if (state.entry === "" || state.entry === "-") state.entry = "0";
}

function clearAll() {
  state.tokens = [];
  state.entry = "0";
  state.result = null;
  state.error = false;
}

function reuse(value) {
  state.tokens = [];
  state.entry = "0";
  state.error = false;
  state.result = value;
  render();
}

function press(key) {
  if (/^[0-9]$/.test(key)) inputDigit(key);
  else if (key === ".") inputPoint();
  else if (key in SYMBOL) inputOperator(key);
  else if (key === "=") equals();
  else if (key === "C") clearAll();
  else if (key === "neg") negate();
  else if (key === "%") percent();
  else if (key === "Backspace") backspace();
  else return false;
  render();
  return true;
}

const KEY_ALIASES = { x: "*", X: "*", ",": ".", Escape: "C", Delete: "C", c: "C" };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key === "Enter" ? "=" : KEY_ALIASES[event.key] || event.key;
  if (press(key)) event.preventDefault();
});

const keypad = document.getElementById("keypad");
keypad.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus on the page
keypad.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (button) press(button.dataset.key);
});

toggle.addEventListener("click", () => {
  state.fixed = !state.fixed;
  render();
});

document.getElementById("clear-history").addEventListener("click", () => {
  state.history = [];
  render();
});

// Earlier calculations of this session (restored as saved), oldest first.
const EARLIER = [
  ["64 ÷ 4", 16], ["19.99 × 3", 59.97], ["250 − 40 × 5", 50], ["0.1 + 0.2", 0.3], ["45 + 55 ÷ 5", 56],
  ["125 + 75", 200], ["9 × 8", 72], ["100 ÷ 8", 12.5], ["3.5 × 4", 14], ["2 + 3 × 4", 14],
  ["50 − 12.5", 37.5], ["81 ÷ 9", 9], ["7 × 7", 49], ["1200 − 350 ÷ 7", 1150],
];
for (const [expr, value] of EARLIER) state.history.unshift({ expr, value });
render();
