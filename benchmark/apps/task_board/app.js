// TaskBoard: a todo list with hash-routed filters (#/all, #/active, #/done).
"use strict";

let nextId = 1;
let tasks = [
  { id: nextId++, title: "Buy groceries", done: false },
  { id: nextId++, title: "Write weekly report", done: true },
  { id: nextId++, title: "Call the dentist", done: false },
];

const list = document.getElementById("task-list");
const input = document.getElementById("new-task");
const counter = document.getElementById("counter");
const empty = document.getElementById("empty");

function currentFilter() {
  const name = location.hash.replace(/^#\/?/, "");
  return ["all", "active", "done"].includes(name) ? name : "all";
}

function visibleTasks(filter) {
  if (filter === "active") return tasks.filter((t) => !t.done);
  if (filter === "done") return tasks.filter((t) => t.done);
  return tasks;
}

function itemsLeftText() {
  const left = tasks.filter((t) => !t.done).length;
  return left + (left === 1 ? " item left" : " items left");
}

function renderTask(task) {
  const li = document.createElement("li");
  li.className = "task" + (task.done ? " done" : "");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "task-" + task.id;
  box.checked = task.done;
  box.addEventListener("change", () => toggleTask(task.id));
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.textContent = task.title;
  const del = document.createElement("button");
  del.type = "button";
  del.className = "delete";
  del.title = "Delete task";
  del.setAttribute("aria-label", "Delete '" + task.title + "'");
  del.innerHTML = '<img src="assets/trash.png" alt="Delete">';
  del.addEventListener("click", () => deleteTask(task.id));
  li.append(box, label, del);
  return li;
}

function render() {
  const filter = currentFilter();
  const shown = visibleTasks(filter);
  list.replaceChildren(...shown.map(renderTask));
  empty.hidden = shown.length > 0;
  counter.textContent = itemsLeftText();
  for (const tab of document.querySelectorAll(".filters a")) {
    tab.classList.toggle("selected", tab.dataset.filter === filter);
  }
}

function addTask(title) {
  const clean = title.trim();
  if (!clean) return;
  tasks.push({ id: nextId++, title: clean, done: false });
  render();
}

function toggleTask(id) {
  const task = tasks.find((t) => t.id === id);
  if (task) task.done = !task.done;
  render();
}

function deleteTask(id) {
  const index = tasks.findIndex((t) => t.id === id);
  if (index >= 0) tasks.splice(index, 1);
  render();
}

function clearCompleted() {
  tasks = tasks.filter((t) => !t.done);
  render();
}

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    addTask(input.value);
    input.value = "";
  }
});
document.getElementById("clear-done").addEventListener("click", clearCompleted);
window.addEventListener("hashchange", render);
render();
