// CoT type → MIL-STD-2525C symbol identification code (SIDC), the 10-character form milsymbol
// completes with '-' (size/mobility, country, order of battle unset).
//
//   a-f-G-U-C  →  S F G P UC----
//   │ │ │ └─┴── function id: the remaining atoms, upper case, padded with '-' to 6
//   │ │ └────── battle dimension: P space, A air, G ground, S sea surface, U subsurface, F SOF
//   │ └──────── affiliation
//   └────────── 'a' = atom (a thing on the battlefield); other CoT types have no 2525 symbol
// Coding scheme is always S (warfighting), status always P (present).

/** CoT affiliation atom → 2525C standard identity. */
export const AFFILIATION = Object.freeze({
  p: 'P', // pending
  u: 'U', // unknown
  a: 'A', // assumed friend
  f: 'F', // friend
  n: 'N', // neutral
  s: 'S', // suspect
  h: 'H', // hostile
  j: 'J', // joker
  k: 'K', // faker
  o: 'O', // none specified
  x: 'U', // CoT "other": 2525C has no such identity, drawn as unknown
});

/** CoT battle dimension atom → 2525C battle dimension. */
export const DIMENSION = Object.freeze({
  P: 'P', // space
  A: 'A', // air
  G: 'G', // ground
  S: 'S', // sea surface
  U: 'U', // subsurface
  F: 'F', // special operations forces
});

/**
 * The 2525C SIDC for a CoT type, or null when the type is not an atom ('a-…') with at least an
 * affiliation. Unknown affiliations become U (unknown), unknown dimensions Z (unknown).
 * @param {string} type
 * @returns {string|null}
 */
export function cotToSidc(type) {
  if (typeof type !== 'string') return null;
  const atoms = type.split('-');
  if (atoms[0] !== 'a' || atoms.length < 2 || atoms[1] === '') return null;
  const affiliation = AFFILIATION[atoms[1].toLowerCase()] ?? 'U';
  const dimension = atoms.length > 2 ? (DIMENSION[atoms[2].toUpperCase()] ?? 'Z') : 'Z';
  let fn = '';
  for (const atom of atoms.slice(3)) {
    // Function id atoms are single letters/digits in CoT; keep only what a SIDC can hold.
    fn += atom.toUpperCase().replace(/[^A-Z0-9]/g, '');
  }
  fn = (fn + '------').slice(0, 6);
  return `S${affiliation}${dimension}P${fn}`;
}
