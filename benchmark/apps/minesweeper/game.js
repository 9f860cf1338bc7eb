// MineField page: renders the board, digs and flags cells, counts, detects win and loss.
"use strict";

const SAFE_CELLS = ROWS * COLS - MINES;
const LETTERS = "ABCDEFGHI";
const boardEl = document.getElementById("board");
const flagButton = document.getElementById("flag-mode");
let game;

function newGame() {
  const mines = placeMines(LAYOUT_SEED);
  game = { mines, counts: countAdjacent(mines), revealed: new Set(), flagged: new Set(), moves: 0, over: null, boom: null, flagMode: game ? game.flagMode : false };
  render();
}

function cellName(index) {
  return LETTERS[index % COLS] + (Math.floor(index / COLS) + 1);
}

function dig(index) {
  if (game.revealed.has(index) || game.flagged.has(index)) return;
  game.moves += 1;
  if (game.mines.has(index)) {
    game.over = "lost";
    game.boom = index;
    return;
  }
  for (const cell of floodReveal(index, game.mines, game.counts, game.revealed, game.flagged)) game.revealed.add(cell);
  if (game.revealed.size === SAFE_CELLS) game.over = "won";
}

function toggleFlag(index) {
  if (game.revealed.has(index)) return;
  if (game.flagged.has(index)) game.flagged.delete(index);
  else game.flagged.add(index);
  game.moves += 1;
}

function onCell(index, wantFlag) {
  if (game.over) return;
  if (wantFlag) toggleFlag(index);
  else dig(index);
  render();
}

function cellContent(button, index) {
  const showMine = game.mines.has(index) && (game.over === "lost" || game.over === "won");
  if (game.flagged.has(index) && !(game.over === "lost" && game.mines.has(index))) {
    button.innerHTML = '<img src="assets/flag.png" alt="flag">';
  } else if (showMine && game.over === "lost") {
    button.innerHTML = '<img src="assets/mine.png" alt="mine">';
  } else if (game.revealed.has(index)) {
    const n = game.counts[index];
    button.textContent = n ? String(n) : "";
    if (n) button.classList.add("n" + n);
  }
}

function renderBoard() {
  const parts = [document.createElement("span")];
  for (let c = 0; c < COLS; c++) {
    const label = document.createElement("span");
    label.className = "axis col";
    label.textContent = LETTERS[c];
    parts.push(label);
  }
  for (let r = 0; r < ROWS; r++) {
    const label = document.createElement("span");
    label.className = "axis";
    label.textContent = String(r + 1);
    parts.push(label);
    for (let c = 0; c < COLS; c++) {
      const index = r * COLS + c;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cell";
      button.dataset.cell = cellName(index);
      button.setAttribute("aria-label", "Cell " + cellName(index));
      if (game.revealed.has(index)) button.classList.add("open");
      if (game.boom === index) button.classList.add("boom");
      cellContent(button, index);
      button.addEventListener("click", () => onCell(index, game.flagMode));
      button.addEventListener("contextmenu", (event) => {
        event.preventDefault();
        onCell(index, true);
      });
      parts.push(button);
    }
  }
  boardEl.replaceChildren(...parts);
}

function pad3(n) {
  return (n < 0 ? "-" : "") + String(Math.abs(n)).padStart(n < 0 ? 2 : 3, "0");
}

function render() {
  renderBoard();
  const minesLeft = MINES - game.flagged.size;
  document.getElementById("mines-left").textContent = String(minesLeft);
  document.getElementById("bar-mines").textContent = pad3(minesLeft);
  document.getElementById("revealed").textContent = game.revealed.size + " / " + SAFE_CELLS;
  document.getElementById("moves").textContent = String(game.moves);
  document.getElementById("bar-moves").textContent = pad3(game.moves);
  const face = document.getElementById("face-img");
  face.src = "assets/face-" + (game.over === "won" ? "cool" : game.over === "lost" ? "dead" : "smile") + ".png";
  const status = document.getElementById("status");
  status.className = "status " + (game.over || "");
  if (game.over === "won") status.textContent = "You win! All 71 safe cells cleared in " + game.moves + " moves";
  else if (game.over === "lost") status.textContent = "Boom! You hit a mine on " + cellName(game.boom) + ". Click the face to retry";
  else if (game.moves === 0) status.textContent = "Click any cell to start digging";
  else status.textContent = "Keep going: " + (SAFE_CELLS - game.revealed.size) + " safe cells to open";
  flagButton.setAttribute("aria-pressed", String(game.flagMode));
  flagButton.lastChild.textContent = "Flag mode: " + (game.flagMode ? "On" : "Off");
}

flagButton.addEventListener("click", () => {
  game.flagMode = !game.flagMode;
  render();
});
document.getElementById("face").addEventListener("click", newGame);
newGame();
