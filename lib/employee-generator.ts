// Deterministic generator of realistic employee records (seeded PRNG): the sample data in data/, benchmark and
// load-test input. Pure (no I/O); scripts/data/generate.ts writes its records to files.
import type { EmployeeRecord } from '../contracts/records';
import { mulberry32 } from './seeded-random';

const FIRST_NAMES = {
  M: [
    'James',
    'John',
    'Robert',
    'Michael',
    'David',
    'William',
    'Thomas',
    'Daniel',
    'Carlos',
    'Ahmed',
    'Wei',
    'Raj',
    'Luca',
    'Jan',
    'Kenji',
    'Omar',
  ],
  F: [
    'Mary',
    'Patricia',
    'Jennifer',
    'Linda',
    'Elizabeth',
    'Sarah',
    'Maria',
    'Anna',
    'Fatima',
    'Mei',
    'Priya',
    'Sofia',
    'Yuki',
    'Emma',
    'Chloe',
    'Ingrid',
  ],
} as const;
const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Martinez',
  'Lopez',
  'Wilson',
  'Anderson',
  'Taylor',
  'Thomas',
  'Moore',
  'Martin',
  'Lee',
  'Nguyen',
  'Chen',
  'Patel',
  'Kim',
  'Rossi',
  'Müller',
  'Silva',
  'Novak',
  'Tanaka',
];
/** Department, relative head count, and salary range [min, max] in whole units. */
const DEPARTMENTS: [name: string, weight: number, min: number, max: number][] = [
  ['Engineering', 30, 70_000, 165_000],
  ['Sales', 18, 42_000, 125_000],
  ['Marketing', 10, 48_000, 112_000],
  ['Finance', 9, 58_000, 140_000],
  ['HR', 6, 44_000, 95_000],
  ['Operations', 12, 38_000, 92_000],
  ['Support', 11, 32_000, 68_000],
  ['Legal', 4, 78_000, 175_000],
];
const TOTAL_WEIGHT = DEPARTMENTS.reduce((sum, [, weight]) => sum + weight, 0);
const FIRST_BIRTH_DAY = Date.UTC(1960, 0, 1) / 86_400_000;
const BIRTH_DAYS = Date.UTC(2003, 11, 31) / 86_400_000 - FIRST_BIRTH_DAY + 1;
/** A few records lack optional fields, so the "Unknown" department and "no birth date" paths are exercised. */
const MISSING_RATE = 0.02;

/** The department whose slice of [0, TOTAL_WEIGHT) holds `roll`. */
function pickDepartment(roll: number): (typeof DEPARTMENTS)[number] {
  for (const department of DEPARTMENTS) {
    roll -= department[1];
    if (roll < 0) return department;
  }
  return DEPARTMENTS[DEPARTMENTS.length - 1]!;
}

export function* generateEmployees(count: number, seed: number): Generator<EmployeeRecord> {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  for (let i = 0; i < count; i++) {
    const gender = random() < 0.5 ? 'M' : 'F';
    const [department, , min, max] = pickDepartment(random() * TOTAL_WEIGHT);
    // Skew towards the lower part of the range, as real pay scales are; whole hundreds.
    const salary = Math.round((min + (max - min) * random() ** 1.6) / 100) * 100;
    const birthDate = new Date((FIRST_BIRTH_DAY + Math.floor(random() * BIRTH_DAYS)) * 86_400_000).toISOString().slice(0, 10);
    const record: EmployeeRecord = { id: i + 1, name: `${pick(FIRST_NAMES[gender])} ${pick(LAST_NAMES)}`, gender, salary };
    if (random() >= MISSING_RATE) record.birth_date = birthDate;
    if (random() >= MISSING_RATE) record.department = department;
    yield record;
  }
}
