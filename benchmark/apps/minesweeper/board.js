// Minesweeper rules: a fixed, seeded 9x9 layout with 10 mines, neighbour counts and flood fill.
"use strict";

const ROWS = 9;
const COLS = 9;
const MINES = 10;
const LAYOUT_SEED = 20261356;

function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function placeMines(seed) {
  const rand = mulberry32(seed);
  const mines = new Set();
  while (mines.size < MINES) mines.add(Math.floor(rand() * ROWS * COLS));
  return mines;
}

function neighbours(index) {
  const r = Math.floor(index / COLS);
  const c = index % COLS;
  const out = [];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const nr = r + dr;
      const nc = c + dc;
      if ((dr || dc) && nr >= 0 && nr < ROWS && nc >= 0 && nc < COLS) out.push(nr * COLS + nc);
    }
  }
  return out;
}

function countAdjacent(mines) {
  const counts = [];
  for (let i = 0; i < ROWS * COLS; i++) counts.push(neighbours(i).filter((n) => mines.has(n)).length);
  return counts;
}

// Cells a click on `start` reveals: the cell, and around zeros everything up to the numbered rim.
function floodReveal(start, mines, counts, revealed, flagged) {
  const opened = [];
  const stack = [start];
  const seen = new Set([start]);
  while (stack.length) {
    const cell = stack.pop();
    if (revealed.has(cell) || flagged.has(cell) || mines.has(cell)) continue;
    opened.push(cell);
    if (counts[cell] !== 0) continue;
    for (const n of neighbours(cell)) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return opened;
}

if (typeof module !== "undefined") module.exports = { ROWS, COLS, MINES, placeMines, countAdjacent, floodReveal, neighbours };
