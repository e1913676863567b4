/**
 * INS (NIR + key) validation. key = 97 − (NIR mod 97), after replacing 2A by 19 and 2B by 18
 * (Corsica). Only positions 6–7 (department) may hold letters.
 */
const INS_SHAPE = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/;

export const insKey = (nir13: string): number => {
  const numeric = nir13.slice(0, 5) + nir13.slice(5, 7).replace('2A', '19').replace('2B', '18') + nir13.slice(7);
  return 97 - Number(BigInt(numeric) % 97n);
};

export const isValidIns = (value: string): boolean => {
  if (!INS_SHAPE.test(value)) return false;
  return insKey(value.slice(0, 13)) === Number(value.slice(13));
};
