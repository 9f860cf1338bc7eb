// 2048 with a seeded tile sequence: arrow keys move, equal tiles merge, score, win and game over.
"use strict";

const SIZE = 4;
const SEED = 2048;
const WIN_VALUE = 2048;
const KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

const byId = (id) => document.getElementById(id);
const game = { grid: [], score: 0, best: 0, moves: 0, rand: null, won: false, keepGoing: false, over: false };

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyCells() {
  const cells = [];
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) if (game.grid[r][c] === 0) cells.push([r, c]);
  return cells;
}

function spawnTile() {
  const cells = emptyCells();
  if (cells.length === 0) return;
  const [r, c] = cells[Math.floor(game.rand() * cells.length)];
  game.grid[r][c] = game.rand() < 0.9 ? 2 : 4;
}

function newGame() {
  game.grid = Array.from({ length: SIZE }, () => Array(SIZE).fill(0));
  game.rand = mulberry32(SEED);
  game.score = 0;
  game.moves = 0;
  game.won = false;
  game.keepGoing = false;
  game.over = false;
  spawnTile();
  spawnTile();
  render();
}

// Slide one line towards index 0 and merge equal neighbours once; returns the new line and points.
function slideLine(line) {
  const tiles = line.filter((v) => v !== 0);
  const out = [];
  let points = 0;
  for (let i = 0; i < tiles.length; i++) {
    if (i + 1 < tiles.length && tiles[i] === tiles[i + 1]) {
      const merged = tiles[i] * 2;
      out.push(merged);
      points += merged;
      i++;
    } else {
      out.push(tiles[i]);
    }
  }
  while (out.length < SIZE) out.push(0);
  return { line: out, points };
}

// Coordinates of line k read from the edge the tiles move towards.
function lineCoords(direction, k) {
  const idx = [...Array(SIZE).keys()];
  if (direction === "left") return idx.map((i) => [k, i]);
  if (direction === "right") return idx.map((i) => [k, SIZE - 1 - i]);
  if (direction === "up") return idx.map((i) => [i, k]);
  return idx.map((i) => [SIZE - 1 - i, k]);
}

function move(direction) {
  if (game.over || (game.won && !game.keepGoing)) return;
  let moved = false;
  for (let k = 0; k < SIZE; k++) {
    const coords = lineCoords(direction, k);
    const before = coords.map(([r, c]) => game.grid[r][c]);
    const { line, points } = slideLine(before);
    game.score += points;
    coords.forEach(([r, c], i) => {
      if (game.grid[r][c] !== line[i]) moved = true;
      game.grid[r][c] = line[i];
    });
  }
  if (!moved) return;
  game.moves += 1;
  spawnTile();
  game.best = Math.max(game.best, game.score);
  if (!game.won && game.grid.some((row) => row.includes(WIN_VALUE))) game.won = true;
  game.over = !canMove();
  render();
}

function canMove() {
  if (emptyCells().length > 0) return true;
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const v = game.grid[r][c];
      if ((c + 1 < SIZE && game.grid[r][c + 1] === v) || (r + 1 < SIZE && game.grid[r + 1][c] === v)) return true;
    }
  }
  return false;
}

function render() {
  const board = byId("board");
  board.innerHTML = "";
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const cell = document.createElement("div");
      cell.className = "cell";
      cell.setAttribute("aria-label", `row ${r + 1} column ${c + 1}`);
      const v = game.grid[r][c];
      if (v) {
        const tile = document.createElement("div");
        tile.className = "tile " + (v > WIN_VALUE ? "tile-super" : `tile-${v}`);
        tile.textContent = String(v);
        cell.appendChild(tile);
      }
      board.appendChild(cell);
    }
  }
  byId("score").textContent = String(game.score);
  byId("best").textContent = String(game.best);
  byId("moves").textContent = String(game.moves);
  const showWin = game.won && !game.keepGoing;
  byId("overlay").hidden = !(showWin || game.over);
  byId("overlay-text").textContent = game.over ? "Game over!" : "You win!";
  byId("keep-going").hidden = !showWin || game.over;
  byId("status").textContent = game.over ? "Game over" : showWin ? "You reached 2048!" : "Game in progress";
}

function init() {
  document.addEventListener("keydown", (e) => {
    const direction = KEYS[e.key];
    if (!direction) return;
    e.preventDefault();
    move(direction);
  });
  byId("new-game").addEventListener("click", newGame);
  byId("try-again").addEventListener("click", newGame);
  byId("keep-going").addEventListener("click", () => { game.keepGoing = true; render(); });
  newGame();
}

init();
