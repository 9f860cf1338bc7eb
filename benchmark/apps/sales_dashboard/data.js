// Salesly data: 180 days of seeded daily sales per region and product (newest day last).
"use strict";

const DAYS = 180;
const REGIONS = ["North", "South", "East", "West"];
const PRODUCTS = [
  { name: "Aurora Headphones", category: "Electronics", price: 129, margin: 0.34, base: 6 },
  { name: "Pulse Smartwatch", category: "Electronics", price: 249, margin: 0.29, base: 3 },
  { name: "Linen Throw", category: "Home", price: 59, margin: 0.46, base: 8 },
  { name: "Ceramic Vase", category: "Home", price: 39, margin: 0.52, base: 10 },
  { name: "Trail Backpack", category: "Outdoor", price: 89, margin: 0.38, base: 5 },
  { name: "Camp Lantern", category: "Outdoor", price: 34, margin: 0.41, base: 9 },
  { name: "Yoga Mat Pro", category: "Fitness", price: 45, margin: 0.44, base: 9 },
  { name: "Kettlebell 12kg", category: "Fitness", price: 69, margin: 0.31, base: 4 },
  { name: "Chef Knife", category: "Kitchen", price: 79, margin: 0.48, base: 5 },
  { name: "Pour-over Set", category: "Kitchen", price: 49, margin: 0.5, base: 7 },
  { name: "Travel Journal", category: "Stationery", price: 19, margin: 0.61, base: 14 },
  { name: "Fountain Pen", category: "Stationery", price: 35, margin: 0.57, base: 6 },
];
const CATEGORIES = ["Electronics", "Home", "Outdoor", "Fitness", "Kitchen", "Stationery"];

function seededRandom(seed) {
  let s = seed >>> 0;
  return function next() {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// units[day][region][product], orders[day][region], visits[day][region]
function generateSales(seed) {
  const rand = seededRandom(seed);
  const regionBias = REGIONS.map(() => PRODUCTS.map(() => 0.6 + rand() * 0.9));
  const units = [];
  const orders = [];
  const visits = [];
  for (let d = 0; d < DAYS; d++) {
    const season = 1 + 0.25 * Math.sin((d / 7) * 2 * Math.PI) + d / DAYS * 0.3;
    const dayUnits = [];
    const dayOrders = [];
    const dayVisits = [];
    REGIONS.forEach((region, r) => {
      const row = PRODUCTS.map((p, i) => Math.round(p.base * regionBias[r][i] * season * (0.6 + rand() * 0.8)));
      const total = row.reduce((a, b) => a + b, 0);
      const orderCount = Math.max(1, Math.round(total / (1.3 + rand() * 0.4)));
      dayUnits.push(row);
      dayOrders.push(orderCount);
      dayVisits.push(Math.round(orderCount * (24 + rand() * 12)));
    });
    units.push(dayUnits);
    orders.push(dayOrders);
    visits.push(dayVisits);
  }
  return { units, orders, visits };
}

const SALES = generateSales(4242);
